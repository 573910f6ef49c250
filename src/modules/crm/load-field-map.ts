import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../../platform/config.js';
import type { CrmKind } from './crm-connector.js';
import { parseFieldMapConfig, resolveFieldMap, type FieldMap } from './core/field-mapping.js';

/**
 * The field map of the configured connector: its defaults, overridden by `CRM_FIELD_MAP` (JSON) or
 * the file `CRM_FIELD_MAP_FILE` (JSON or YAML). A map that does not parse stops start-up, naming
 * the variable and the entry at fault.
 */
export function loadFieldMap(kind: CrmKind, config: { CRM_FIELD_MAP?: string | undefined; CRM_FIELD_MAP_FILE?: string | undefined }): FieldMap {
  let text: string | undefined = config.CRM_FIELD_MAP;
  let variable = 'CRM_FIELD_MAP';
  if (config.CRM_FIELD_MAP_FILE) {
    variable = 'CRM_FIELD_MAP_FILE';
    try {
      text = readFileSync(config.CRM_FIELD_MAP_FILE, 'utf8');
    } catch (error) {
      throw new ConfigError(`Invalid configuration: ${variable} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  if (text === undefined) return resolveFieldMap(kind, undefined);
  let raw: unknown;
  try {
    raw = variable === 'CRM_FIELD_MAP_FILE' && !/\.json$/i.test(config.CRM_FIELD_MAP_FILE ?? '') ? parseYaml(text) : JSON.parse(text);
  } catch {
    throw new ConfigError(`Invalid configuration: ${variable} is not valid ${variable === 'CRM_FIELD_MAP' ? 'JSON' : 'JSON or YAML'}`);
  }
  const parsed = parseFieldMapConfig(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`Invalid configuration: ${variable} at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  return resolveFieldMap(kind, parsed.data);
}
