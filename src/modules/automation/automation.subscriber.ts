import type { DbExecutor } from '../../db/database.js';
import type { DomainEvent, EventSubscriber } from '../events/index.js';
import { subscriberJobName } from '../events/index.js';
import type { AutomationDeps } from './automation.deps.js';
import { withContactLease } from './contact-lease.js';
import { earlierPendingEvents, enqueuedAt } from './pending-events.js';
import { triggerTypeCanFire } from './core/trigger-prefilter.js';
import { ruleRepository } from './rule.repository.js';
import { runRulesForEvent } from './run-rules.js';

export const AUTOMATION_SUBSCRIBER = 'automation';

/** Statuses other than `failed` and opt-ins trigger no rule: they are passed over without taking the contact's lease. */
export const mayTriggerRules = (event: DomainEvent) =>
  event.type === 'message.status' ? event.status === 'failed' : event.type === 'consent.changed' ? event.action === 'opt_out' : true;

/**
 * Whether the engine needs to see the event at all. CRM changes always go through (the engine
 * keeps the last CRM state that `changed` conditions compare against); other events only while
 * an enabled rule has a trigger type that can fire on them (`triggerTypeCanFire`), so a hub
 * without rules, or whose rules wait for button taps, makes no automation job for the flood of
 * plain messages. A rule enabled later applies to the events that happen from then on.
 */
export async function engineNeeds(event: DomainEvent, exec: DbExecutor): Promise<boolean> {
  if (event.type === 'crm.person_changed') return true;
  if (!mayTriggerRules(event)) return false;
  const types = await ruleRepository.enabledTriggerTypes(exec);
  return types.some((type) => triggerTypeCanFire(type, event));
}

/**
 * The engine's entry point: each domain event becomes a lease job (`event.automation`; lease
 * because actions call Meta, the CRM and webhooks, and `queueMessage` opens its own
 * transactions). Per contact, events are handled one at a time and in order: the handler takes
 * the contact's lease, handles the contact's earlier events still waiting in the queue, then its
 * own. Each is handled once (automation_handled_events), each rule once per event (the run's
 * unique key).
 */
export function automationSubscriber(deps: AutomationDeps, options: { leaseMs?: number; waitMs?: number } = {}): EventSubscriber {
  const leaseMs = options.leaseMs ?? 5 * 60_000;
  const jobName = subscriberJobName({ name: AUTOMATION_SUBSCRIBER });
  return {
    name: AUTOMATION_SUBSCRIBER,
    handles: ['message.received', 'message.status', 'consent.changed', 'crm.person_changed'],
    // Nothing is enqueued for events no rule can trigger on (the sent/delivered/read flood).
    accepts: engineNeeds,
    // A contact's waiting events are found by this key (pending-events.ts).
    orderingKey: (event) => event.contactId,
    mode: 'lease',
    leaseMs,
    // A busy contact is retried soon, not after the default backoff.
    retry: { baseDelayMs: 250, maxDelayMs: 60_000 },
    async handle(event, ctx) {
      if (!mayTriggerRules(event)) return;
      await withContactLease(deps.db, deps.clock, { contactId: event.contactId, holder: ctx.jobId, leaseMs, waitMs: options.waitMs ?? 3_000 }, async () => {
        const current = { event, jobId: ctx.jobId, enqueuedAt: await enqueuedAt(deps.db, ctx.jobId, deps.clock.now()) };
        for (const earlier of await earlierPendingEvents(deps.db, jobName, current, mayTriggerRules)) await runRulesForEvent(deps, earlier.event);
        await runRulesForEvent(deps, event);
      });
    },
  };
}
