import { sql } from 'kysely';
import type { AutomationRuleTable } from '../../db/automation-tables.js';
import type { DbExecutor } from '../../db/database.js';
import { preparedQuery } from '../../db/prepared-query.js';
import { Rule, type TriggerType } from './core/rule.js';

export type RuleSource = 'api' | 'file';
export type StoredRule = { rule: Rule & { position: number }; source: RuleSource; createdAt: number; updatedAt: number };

function toStored(row: AutomationRuleTable): StoredRule {
  // Stored definitions were validated when saved; parsing again applies defaults added since.
  const rule = Rule.parse(JSON.parse(row.definition));
  return { rule: { ...rule, enabled: row.enabled === 1, position: Number(row.position) }, source: row.source as RuleSource, createdAt: Number(row.created_at), updatedAt: Number(row.updated_at) };
}

/** Asked for every published event: prepared once (src/db/prepared-query.ts). */
const enabledTriggerTypes = preparedQuery((db) => db.selectFrom('automation_rules').select('trigger_type').distinct().where('enabled', '=', sql.lit(1)));

export const ruleRepository = {
  /** In evaluation order: position, then id. */
  async list(exec: DbExecutor, options: { enabledOnly?: boolean } = {}): Promise<StoredRule[]> {
    let query = exec.selectFrom('automation_rules').selectAll().orderBy('position').orderBy('id');
    if (options.enabledOnly) query = query.where('enabled', '=', 1);
    return (await query.execute()).map(toStored);
  },

  /** The trigger types of the enabled rules (the engine's filter on published events). */
  async enabledTriggerTypes(exec: DbExecutor): Promise<TriggerType[]> {
    return (await enabledTriggerTypes.execute(exec, {})).rows.map((r) => r.trigger_type as TriggerType);
  },

  async find(exec: DbExecutor, id: string): Promise<StoredRule | undefined> {
    const row = await exec.selectFrom('automation_rules').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toStored(row);
  },

  async nextPosition(exec: DbExecutor): Promise<number> {
    const row = await exec.selectFrom('automation_rules').select((eb) => eb.fn.max('position').as('max')).executeTakeFirst();
    return row?.max == null ? 0 : Number(row.max) + 1;
  },

  /**
   * Creates or replaces the rule; returns whether it was created. An upsert, so that processes
   * loading the same rules file at the same moment do not collide on the id.
   */
  async save(exec: DbExecutor, rule: Rule & { position: number }, source: RuleSource, now: number): Promise<{ created: boolean }> {
    const existing = await exec.selectFrom('automation_rules').select('id').where('id', '=', rule.id).executeTakeFirst();
    const columns = {
      name: rule.name,
      enabled: rule.enabled ? 1 : 0,
      position: rule.position,
      trigger_type: rule.trigger.type,
      definition: JSON.stringify(rule),
      source,
      updated_at: now,
    };
    await exec
      .insertInto('automation_rules')
      .values({ id: rule.id, ...columns, created_at: now })
      .onConflict((oc) => oc.column('id').doUpdateSet(columns))
      .execute();
    return { created: existing === undefined };
  },

  async delete(exec: DbExecutor, id: string): Promise<boolean> {
    const result = await exec.deleteFrom('automation_rules').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  },
};
