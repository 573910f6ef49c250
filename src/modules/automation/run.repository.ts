import type { AutomationActionResultTable, AutomationRunTable } from '../../db/automation-tables.js';
import type { DbExecutor } from '../../db/database.js';
import type { Evaluation } from './core/evaluate-rule.js';

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'skipped';
export type ActionStatus = 'ok' | 'failed' | 'skipped';

export type ActionResult = {
  index: number;
  type: string;
  status: ActionStatus;
  code: string | null;
  message: string | null;
  detail: Record<string, unknown> | null;
  at: number;
};

export type Run = {
  id: string;
  ruleId: string;
  ruleName: string;
  eventId: string;
  eventType: string;
  contactId: string;
  status: RunStatus;
  evaluation: Evaluation;
  errorCode: string | null;
  errorMessage: string | null;
  startedAt: number;
  finishedAt: number | null;
};

const toRun = (row: AutomationRunTable): Run => ({
  id: row.id,
  ruleId: row.rule_id,
  ruleName: row.rule_name,
  eventId: row.event_id,
  eventType: row.event_type,
  contactId: row.contact_id,
  status: row.status as RunStatus,
  evaluation: JSON.parse(row.evaluation) as Evaluation,
  errorCode: row.error_code,
  errorMessage: row.error_message,
  startedAt: Number(row.started_at),
  finishedAt: row.finished_at === null ? null : Number(row.finished_at),
});

const toResult = (row: AutomationActionResultTable): ActionResult => ({
  index: Number(row.action_index),
  type: row.action_type,
  status: row.status as ActionStatus,
  code: row.code,
  message: row.message,
  detail: row.detail ? (JSON.parse(row.detail) as Record<string, unknown>) : null,
  at: Number(row.created_at),
});

export type RunPageQuery = { limit: number; before?: { startedAt: number; id: string } | undefined };

export const runRepository = {
  /**
   * Inserts the run unless the rule already ran for this event, and returns the one that stands:
   * the unique (rule_id, event_id) is what makes a rule fire at most once per event.
   */
  async claim(exec: DbExecutor, run: Run): Promise<{ run: Run; created: boolean }> {
    const inserted = await exec
      .insertInto('automation_runs')
      .values({
        id: run.id,
        rule_id: run.ruleId,
        rule_name: run.ruleName,
        event_id: run.eventId,
        event_type: run.eventType,
        contact_id: run.contactId,
        status: run.status,
        evaluation: JSON.stringify(run.evaluation),
        error_code: run.errorCode,
        error_message: run.errorMessage,
        started_at: run.startedAt,
        finished_at: run.finishedAt,
      })
      .onConflict((oc) => oc.columns(['rule_id', 'event_id']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0) return { run, created: true };
    const row = await exec.selectFrom('automation_runs').selectAll().where('rule_id', '=', run.ruleId).where('event_id', '=', run.eventId).executeTakeFirstOrThrow();
    return { run: toRun(row), created: false };
  },

  async finish(exec: DbExecutor, runId: string, outcome: { status: RunStatus; errorCode: string | null; errorMessage: string | null }, now: number): Promise<void> {
    await exec
      .updateTable('automation_runs')
      .set({ status: outcome.status, error_code: outcome.errorCode, error_message: outcome.errorMessage, finished_at: now })
      .where('id', '=', runId)
      .execute();
  },

  /** Records an action's outcome once: a second record for the same action (a replay) is ignored. */
  async recordResult(exec: DbExecutor, runId: string, result: ActionResult): Promise<void> {
    await exec
      .insertInto('automation_action_results')
      .values({
        run_id: runId,
        action_index: result.index,
        action_type: result.type,
        status: result.status,
        code: result.code,
        message: result.message,
        detail: result.detail ? JSON.stringify(result.detail) : null,
        created_at: result.at,
      })
      .onConflict((oc) => oc.columns(['run_id', 'action_index']).doNothing())
      .execute();
  },

  async results(exec: DbExecutor, runIds: string[]): Promise<Map<string, ActionResult[]>> {
    const byRun = new Map<string, ActionResult[]>(runIds.map((id) => [id, []]));
    if (runIds.length === 0) return byRun;
    const rows = await exec.selectFrom('automation_action_results').selectAll().where('run_id', 'in', runIds).orderBy('run_id').orderBy('action_index').execute();
    for (const row of rows) byRun.get(row.run_id)?.push(toResult(row));
    return byRun;
  },

  /** The event's runs left unfinished (a crash mid-run). */
  async unfinished(exec: DbExecutor, eventId: string): Promise<Run[]> {
    const rows = await exec.selectFrom('automation_runs').selectAll().where('event_id', '=', eventId).where('status', '=', 'running').execute();
    return rows.map(toRun);
  },

  /** Newest first, by rule or by contact. */
  async page(exec: DbExecutor, filter: { ruleId?: string; contactId?: string }, query: RunPageQuery): Promise<Run[]> {
    let q = exec.selectFrom('automation_runs').selectAll();
    if (filter.ruleId !== undefined) q = q.where('rule_id', '=', filter.ruleId);
    if (filter.contactId !== undefined) q = q.where('contact_id', '=', filter.contactId);
    const before = query.before;
    if (before) q = q.where((eb) => eb.or([eb('started_at', '<', before.startedAt), eb.and([eb('started_at', '=', before.startedAt), eb('id', '<', before.id)])]));
    const rows = await q.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(query.limit).execute();
    return rows.map(toRun);
  },
};
