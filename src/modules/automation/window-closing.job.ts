import { z } from 'zod';
import type { JobDefinition } from '../../jobs/job-definition.js';
import { lastInboundAt } from '../timeline/index.js';
import type { AutomationDeps } from './automation.deps.js';
import type { AutomationEvent, WindowClosingEvent } from './core/automation-event.js';
import type { Rule } from './core/rule.js';
import { withContactLease } from './contact-lease.js';

/**
 * `window.closing` triggers. When an inbound message arrives, a check is scheduled per
 * window.closing rule for the moment "window closes − N minutes"; when it runs, it fires the rule
 * only if no newer inbound message arrived meanwhile (that one scheduled its own check, for later).
 */

export const WINDOW_CLOSING_JOB = 'automation.window_closing';
const WINDOW_MS = 24 * 60 * 60_000;

const WindowCheck = z.object({
  ruleId: z.string(),
  minutesBefore: z.number().int(),
  contactId: z.string(),
  businessPhoneNumberId: z.string(),
  wamid: z.string(),
  inboundAt: z.number(),
});

export async function scheduleWindowChecks(deps: AutomationDeps, event: AutomationEvent, rules: Rule[]): Promise<void> {
  const number = event['businessPhoneNumberId'];
  if (typeof number !== 'string') return;
  const jobs = rules.flatMap((rule) => {
    if (!rule.enabled || rule.trigger.type !== 'window.closing') return [];
    const payload: z.infer<typeof WindowCheck> = {
      ruleId: rule.id,
      minutesBefore: rule.trigger.minutesBefore,
      contactId: event.contactId,
      businessPhoneNumberId: number,
      wamid: String(event['wamid']),
      inboundAt: event.occurredAt,
    };
    const runAt = event.occurredAt + WINDOW_MS - rule.trigger.minutesBefore * 60_000;
    return runAt > deps.clock.now() ? [{ name: WINDOW_CLOSING_JOB, payload, runAt, dedupeKey: `${WINDOW_CLOSING_JOB}:${rule.id}:${payload.wamid}` }] : [];
  });
  if (jobs.length > 0) await deps.enqueue(deps.db, jobs);
}

export function windowClosingJob(deps: AutomationDeps, run: (event: AutomationEvent, only: { ruleId: string }) => Promise<void>): JobDefinition<typeof WindowCheck> {
  return {
    name: WINDOW_CLOSING_JOB,
    payload: WindowCheck,
    mode: 'lease',
    leaseMs: 5 * 60_000,
    async handle(check, ctx) {
      const latest = await lastInboundAt(deps.db, check.contactId, check.businessPhoneNumberId);
      if (latest !== null && latest > check.inboundAt) return;
      const event: WindowClosingEvent = {
        type: 'window.closing',
        id: `window.closing:${check.ruleId}:${check.wamid}`,
        contactId: check.contactId,
        occurredAt: deps.clock.now(),
        ruleId: check.ruleId,
        businessPhoneNumberId: check.businessPhoneNumberId,
        wamid: check.wamid,
        lastInboundAt: check.inboundAt,
        closesAt: check.inboundAt + WINDOW_MS,
        minutesBefore: check.minutesBefore,
      };
      await withContactLease(deps.db, deps.clock, { contactId: check.contactId, holder: ctx.jobId, leaseMs: 5 * 60_000, waitMs: 3_000 }, () => run(event, { ruleId: check.ruleId }));
    },
  };
}
