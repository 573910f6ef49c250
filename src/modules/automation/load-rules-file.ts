import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../../platform/config.js';
import { Rule } from './core/rule.js';
import { issuesOf, saveRule, type SaveRuleDeps } from './save-rule.js';

/**
 * AUTOMATION_RULES_FILE: a JSON or YAML list of rules (or `{rules: [...]}`), loaded at start and
 * upserted by id (rules made in the API with other ids stay). Every rule is checked before any is
 * stored; a bad file stops start-up with one line naming the file and the rule.
 */
export async function loadRulesFile(path: string, deps: SaveRuleDeps): Promise<{ loaded: number }> {
  const fail = (reason: string) => new ConfigError(`Invalid AUTOMATION_RULES_FILE ${path}: ${reason}`);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw fail(`cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let document: unknown;
  try {
    document = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw fail(`is not valid ${extname(path).toLowerCase() === '.json' ? 'JSON' : 'YAML'} (${(error as Error).message.split('\n')[0]})`);
  }
  const list = Array.isArray(document) ? document : (document as { rules?: unknown } | null)?.rules;
  if (!Array.isArray(list)) throw fail('must be a list of rules (or an object with a "rules" list)');

  const seen = new Set<string>();
  for (const [i, item] of list.entries()) {
    const label = `rule ${i + 1}${typeof (item as { id?: unknown })?.id === 'string' ? ` ("${(item as { id: string }).id}")` : ''}`;
    const parsed = Rule.safeParse(item);
    if (!parsed.success) {
      const issue = issuesOf(parsed.error)[0];
      throw fail(`${label}: ${issue?.path}: ${issue?.message}`);
    }
    if (seen.has(parsed.data.id)) throw fail(`${label}: the id is used twice in the file`);
    seen.add(parsed.data.id);
  }
  for (const item of list) {
    const saved = await saveRule(deps, item, { mode: 'replace', source: 'file' });
    if (!saved.ok) throw fail(saved.error.message);
  }
  return { loaded: list.length };
}
