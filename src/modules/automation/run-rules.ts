import type { AutomationDeps } from './automation.deps.js';
import { loadContactFacts, rememberCrmChange } from './contact-facts.js';
import type { AutomationEvent } from './core/automation-event.js';
import { evaluateRule } from './core/evaluate-rule.js';
import type { Rule } from './core/rule.js';
import { executeAction } from './execute-action.js';
import { isHandled, markHandled } from './pending-events.js';
import { ruleRepository } from './rule.repository.js';
import { runRepository, type ActionResult, type Run, type RunStatus } from './run.repository.js';
import { scheduleWindowChecks } from './window-closing.job.js';

/**
 * Handles one event: every enabled rule, in order, whose trigger matches gets a run. All runs are
 * decided (conditions evaluated, actions filled, the run row inserted) before any acts, so that a
 * replay after a crash carries out the stored decisions instead of deciding again against a CRM
 * state that has moved on. Call it holding the contact's lease (see automation.subscriber.ts).
 */
export async function runRulesForEvent(deps: AutomationDeps, event: AutomationEvent, only?: { ruleId: string }): Promise<void> {
  const { db, clock } = deps;
  if (await isHandled(db, event.id)) return;
  const facts = await loadContactFacts(db, event);
  if (facts) {
    const stored = await ruleRepository.list(db, { enabledOnly: true });
    const rules = only ? stored.filter((s) => s.rule.id === only.ruleId) : stored;
    const runs: { run: Run; rule: Rule }[] = [];
    for (const { rule } of rules) {
      const now = clock.now();
      const evaluation = evaluateRule(rule, event, facts, { now, regex: deps.regex });
      if (!evaluation.trigger.matched) continue;
      const status: RunStatus = !evaluation.matched ? 'skipped' : evaluation.problem ? 'failed' : 'running';
      const candidate: Run = {
        id: deps.ids.next(),
        ruleId: rule.id,
        ruleName: rule.name,
        eventId: event.id,
        eventType: event.type,
        contactId: event.contactId,
        status,
        evaluation,
        errorCode: evaluation.problem?.code ?? null,
        errorMessage: evaluation.problem?.message ?? null,
        startedAt: now,
        finishedAt: status === 'running' ? null : now,
      };
      const claimed = await db.transaction().execute(async (trx) => {
        const result = await runRepository.claim(trx, candidate);
        // A placeholder without a value: nothing is done, and each action says why.
        if (result.created && evaluation.problem) {
          for (const [index, action] of rule.actions.entries()) {
            const failedHere = index === evaluation.problem.actionIndex;
            await runRepository.recordResult(trx, candidate.id, {
              index,
              type: action.type,
              status: failedHere ? 'failed' : 'skipped',
              code: failedHere ? evaluation.problem.code : 'AUTOMATION_RUN_FAILED',
              message: failedHere ? evaluation.problem.message : 'not done: the run failed before acting',
              detail: null,
              at: now,
            });
          }
        }
        return result.run;
      });
      runs.push({ run: claimed, rule });
    }
    // The CRM state moves on only once every decision that compared against it is stored.
    await rememberCrmChange(db, event, clock.now());
    for (const { run, rule } of runs) if (run.status === 'running') await executeRun(deps, run, rule);
    // A run left unfinished by a crash whose rule was disabled or deleted since: its plan is still carried out.
    for (const run of await runRepository.unfinished(db, event.id)) {
      if (!runs.some((r) => r.run.id === run.id)) await executeRun(deps, run, (await ruleRepository.find(db, run.ruleId))?.rule ?? null);
    }
    if (event.type === 'message.received') await scheduleWindowChecks(deps, event, stored.map((s) => s.rule));
  }
  await markHandled(db, event, clock.now());
}

/** Carries out a run's planned actions in order, skipping those already recorded; stops at a failure unless the action says to continue. */
export async function executeRun(deps: AutomationDeps, run: Run, rule: Rule | null): Promise<void> {
  const done = (await runRepository.results(deps.db, [run.id])).get(run.id) ?? [];
  const continues = (index: number) => rule?.actions[index]?.continueOnError === true;
  let firstFailure: ActionResult | null = null;
  let stopped = false;
  for (const action of run.evaluation.actions) {
    let result = done.find((r) => r.index === action.index);
    if (!result) {
      result = stopped
        ? await recordSkipped(deps, run, action.index, action.type)
        : await executeAction(deps, run, rule, action);
    }
    if (result.status === 'failed') {
      firstFailure ??= result;
      if (!continues(action.index)) stopped = true;
    }
  }
  await runRepository.finish(
    deps.db,
    run.id,
    firstFailure ? { status: 'failed', errorCode: firstFailure.code, errorMessage: `action ${firstFailure.index + 1} (${firstFailure.type}): ${firstFailure.message}` } : { status: 'succeeded', errorCode: null, errorMessage: null },
    deps.clock.now(),
  );
}

async function recordSkipped(deps: AutomationDeps, run: Run, index: number, type: string): Promise<ActionResult> {
  const result: ActionResult = { index, type, status: 'skipped', code: 'AUTOMATION_PREVIOUS_ACTION_FAILED', message: 'not done: an earlier action failed', detail: null, at: deps.clock.now() };
  await runRepository.recordResult(deps.db, run.id, result);
  return result;
}
