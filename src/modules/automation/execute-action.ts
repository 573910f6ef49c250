import type { DbExecutor } from '../../db/database.js';
import { queueMessage, OutboundRequest } from '../outbound/index.js';
import type { AutomationDeps } from './automation.deps.js';
import type { PlannedAction } from './core/evaluate-rule.js';
import type { Rule } from './core/rule.js';
import { runRepository, type ActionResult, type Run } from './run.repository.js';

/**
 * Carries out one planned action and records its result, exactly once where the target allows:
 * database actions (CRM commands, the inbox) commit together with their result; a send carries
 * the idempotency key `automation:<run>:<action>`, so a send repeated after a crash answers with
 * the message already queued; a webhook carries it as `X-Switchboard-Delivery` for the receiver
 * to drop a repeat.
 */

export const actionKey = (runId: string, index: number) => `automation:${runId}:${index}`;

type Outcome = Omit<ActionResult, 'index' | 'type' | 'at'>;

const ok = (detail: Record<string, unknown> | null = null): Outcome => ({ status: 'ok', code: null, message: null, detail });
const failed = (code: string, message: string, detail: Record<string, unknown> | null = null): Outcome => ({ status: 'failed', code, message, detail });

/** An expected refusal (a value with a stable code) rather than a fault to retry. */
function asRefusal(error: unknown): { code: string; message: string } | null {
  if (!(error instanceof Error) || !['AppError', 'CrmError', 'InboxError'].includes(error.name)) return null;
  const { code, retryable } = error as Error & { code?: unknown; retryable?: unknown };
  if (typeof code !== 'string' || retryable === true) return null;
  return { code, message: error.message };
}

async function inDatabase(deps: AutomationDeps, run: Run, action: PlannedAction, work: (trx: DbExecutor) => Promise<Outcome>): Promise<ActionResult> {
  const result = (outcome: Outcome): ActionResult => ({ index: action.index, type: action.type, at: deps.clock.now(), ...outcome });
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const done = result(await work(trx));
      await runRepository.recordResult(trx, run.id, done);
      return done;
    });
  } catch (error) {
    const refusal = asRefusal(error);
    if (!refusal) throw error;
    const done = result(failed(refusal.code, refusal.message));
    await runRepository.recordResult(deps.db, run.id, done);
    return done;
  }
}

async function send(deps: AutomationDeps, run: Run, action: Extract<PlannedAction, { type: 'send_template' | 'send_message' }>): Promise<Outcome> {
  const request = OutboundRequest.safeParse({ ...action.request, idempotencyKey: actionKey(run.id, action.index) });
  if (!request.success) {
    const issue = request.error.issues[0];
    return failed('AUTOMATION_ACTION_INVALID', `${issue?.path.join('.') || 'request'}: ${issue?.message ?? 'invalid'}`);
  }
  const queued = await queueMessage(request.data, deps.queueDeps);
  if (!queued.ok) return failed(queued.error.code, queued.error.message, queued.error.details ?? null);
  return ok({ messageId: queued.value.message.id, replayed: queued.value.replayed });
}

export async function executeAction(deps: AutomationDeps, run: Run, rule: Rule | null, action: PlannedAction): Promise<ActionResult> {
  const key = actionKey(run.id, action.index);
  const record = async (outcome: Outcome): Promise<ActionResult> => {
    const result: ActionResult = { index: action.index, type: action.type, at: deps.clock.now(), ...outcome };
    await runRepository.recordResult(deps.db, run.id, result);
    return result;
  };
  const contactId = run.contactId;
  const noCrm = () => record(failed('AUTOMATION_CRM_NOT_CONFIGURED', 'No CRM is configured to carry out this action.'));
  const noInbox = () => record(failed('AUTOMATION_INBOX_NOT_CONFIGURED', 'The shared inbox is not available to carry out this action.'));

  switch (action.type) {
    case 'send_template':
    case 'send_message':
      // queueMessage opens its own transaction: never inside ours (SQLite has one connection).
      return record(await send(deps, run, action));
    case 'update_crm_field':
    case 'add_tag':
    case 'remove_tag': {
      const crm = deps.crm;
      if (!crm) return noCrm();
      const change =
        action.type === 'update_crm_field' ? { fields: { [action.field]: action.value } } : action.type === 'add_tag' ? { addTags: [action.tag] } : { removeTags: [action.tag] };
      return inDatabase(deps, run, action, async (trx) => {
        await crm.updatePerson(trx, { contactId, ...change, idempotencyKey: key });
        return ok(change);
      });
    }
    case 'create_task': {
      const crm = deps.crm;
      if (!crm) return noCrm();
      return inDatabase(deps, run, action, async (trx) => {
        await crm.createTask(trx, { contactId, subject: action.subject, body: action.body, dueAt: action.dueAt, ownerId: action.ownerId, idempotencyKey: key });
        return ok({ subject: action.subject, ownerId: action.ownerId, dueAt: action.dueAt });
      });
    }
    case 'assign_conversation': {
      const inbox = deps.inbox;
      if (!inbox) return noInbox();
      return inDatabase(deps, run, action, async (trx) => {
        await inbox.assign(trx, { contactId, phoneNumberId: action.phoneNumberId, ...(action.userId ? { userId: action.userId } : {}) });
        return ok({ userId: action.userId });
      });
    }
    case 'reopen_and_alert': {
      const inbox = deps.inbox;
      if (!inbox) return noInbox();
      return inDatabase(deps, run, action, async (trx) => {
        await inbox.reopenAndAlert(trx, { contactId, phoneNumberId: action.phoneNumberId, reason: action.reason });
        return ok({ reason: action.reason });
      });
    }
    case 'webhook': {
      // The secret is read from the rule, never stored on the run.
      const definition = rule?.actions[action.index];
      if (!definition || definition.type !== 'webhook') return record(failed('WEBHOOK_SECRET_UNAVAILABLE', 'The rule no longer has this webhook action; its secret is unknown.'));
      const posted = await deps.webhooks.post({
        url: action.url,
        secret: definition.secret,
        body: { ...action.body, deliveryId: key, runId: run.id },
        deliveryId: key,
        timeoutMs: action.timeoutMs ?? deps.webhookTimeoutMs,
      });
      return record(posted.ok ? ok({ status: posted.status, durationMs: posted.durationMs }) : failed(posted.code, posted.message, posted.status ? { status: posted.status } : null));
    }
  }
}
