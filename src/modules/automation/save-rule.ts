import type { z } from 'zod';
import type { Db } from '../../db/database.js';
import type { Clock } from '../../platform/clock.js';
import { AppError, err, ok, type Result } from '../../platform/errors.js';
import type { IdGenerator } from '../../platform/ids.js';
import { Rule, RuleBody } from './core/rule.js';
import { ruleRepository, type RuleSource, type StoredRule } from './rule.repository.js';

export type RuleIssue = { path: string; message: string };

export const issuesOf = (error: z.ZodError): RuleIssue[] => error.issues.map((i) => ({ path: i.path.join('.') || '(rule)', message: i.message }));

/** A rule that does not follow the format: the first problem in the message, all in `details.issues`. */
export function ruleInvalid(issues: RuleIssue[], prefix = 'The rule is invalid'): AppError {
  const first = issues[0];
  return new AppError('RULE_INVALID', `${prefix}: ${first ? `${first.path}: ${first.message}` : 'invalid'}`, { issues });
}

export type SaveRuleDeps = { db: Db; clock: Clock; ids: IdGenerator };

/** What the API shows instead of a webhook secret; sent back unchanged, it keeps the stored one. */
export const SECRET_MASK = '[stored secret: hidden]';

/** The rule as the API shows it: webhook secrets masked. */
export function withSecretsMasked<T extends { actions: Rule['actions'] }>(rule: T): T {
  return { ...rule, actions: rule.actions.map((a) => (a.type === 'webhook' ? { ...a, secret: SECRET_MASK } : a)) };
}

/**
 * Puts the stored secret back where a client returned the mask for a webhook whose URL is
 * unchanged; a mask anywhere else is an error (the secret cannot be guessed).
 */
function unmaskSecrets(input: unknown, existing: Rule | undefined): { input: unknown; issues: RuleIssue[] } {
  const actions = (input as { actions?: unknown } | null)?.actions;
  if (!Array.isArray(actions)) return { input, issues: [] };
  const issues: RuleIssue[] = [];
  const unmasked = actions.map((action: unknown, i) => {
    const a = action as { type?: unknown; url?: unknown; secret?: unknown } | null;
    if (a?.type !== 'webhook' || a.secret !== SECRET_MASK) return action;
    const stored = existing?.actions.find((e) => e.type === 'webhook' && e.url === a.url);
    if (stored?.type === 'webhook') return { ...a, secret: stored.secret };
    issues.push({ path: `actions.${i}.secret`, message: 'give the secret: the stored one is kept only for the same webhook url of an existing rule' });
    return action;
  });
  return { input: { ...(input as object), actions: unmasked }, issues };
}

/**
 * Stores a rule. `create` refuses an id already taken; `replace` creates or replaces (PUT, and
 * the rules file, which upserts by id). A rule keeps its position unless it gives one.
 */
export async function saveRule(
  deps: SaveRuleDeps,
  input: unknown,
  options: { mode: 'create' | 'replace'; pathId?: string; source: RuleSource },
): Promise<Result<{ stored: StoredRule; created: boolean }>> {
  const bodyId = (input as { id?: unknown } | null)?.id;
  const id = options.pathId ?? (typeof bodyId === 'string' ? bodyId : undefined);
  const existing = id === undefined ? undefined : await ruleRepository.find(deps.db, id);
  const unmasked = unmaskSecrets(input, existing?.rule);
  const parsed = RuleBody.safeParse(unmasked.input);
  if (!parsed.success || unmasked.issues.length > 0) return err(ruleInvalid([...(parsed.success ? [] : issuesOf(parsed.error)), ...unmasked.issues]));
  const body = parsed.data;
  if (options.pathId !== undefined && body.id !== undefined && body.id !== options.pathId) {
    return err(new AppError('RULE_ID_MISMATCH', `The body's id ${body.id} is not the path's ${options.pathId}.`));
  }
  const ruleId = id ?? deps.ids.next();
  const checkedId = Rule.shape.id.safeParse(ruleId);
  if (!checkedId.success) return err(ruleInvalid([{ path: 'id', message: checkedId.error.issues[0]?.message ?? 'invalid' }]));

  return deps.db.transaction().execute(async (trx) => {
    const existing = await ruleRepository.find(trx, ruleId);
    if (existing && options.mode === 'create') return err(new AppError('RULE_ALREADY_EXISTS', `A rule ${ruleId} exists already (PUT /rules/${ruleId} replaces it).`));
    const position = body.position ?? existing?.rule.position ?? (await ruleRepository.nextPosition(trx));
    const rule = { ...body, id: ruleId, position };
    const { created } = await ruleRepository.save(trx, rule, options.source, deps.clock.now());
    const stored = await ruleRepository.find(trx, ruleId);
    return ok({ stored: stored!, created });
  });
}
