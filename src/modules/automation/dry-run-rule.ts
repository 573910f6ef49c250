import { z } from 'zod';
import { AppError, err, ok, type Result } from '../../platform/errors.js';
import { previewTemplate } from '../templates/index.js';
import type { AutomationDeps } from './automation.deps.js';
import { loadContactFacts } from './contact-facts.js';
import type { AutomationEvent } from './core/automation-event.js';
import { evaluateRule, type Evaluation, type PlannedAction } from './core/evaluate-rule.js';
import type { Rule } from './core/rule.js';

/**
 * `POST /rules/{id}/dry-run`: the rule's evaluation against a sample event (or a real one, with its
 * id), read-only: which conditions matched and the exact actions with their values filled, plus
 * what a template send would show. Nothing is sent, stored or scheduled.
 */

const Reply = z.object({ kind: z.enum(['button', 'list', 'quick_reply']).default('button'), payload: z.string().min(1), title: z.string().min(1) }).strict();

export const DryRunEvent = z
  .object({
    /** A domain event type (`message.received`, `crm.person_changed`, …) or `window.closing`… */
    type: z.string().min(1).optional(),
    /** …or a shorthand: message.received, reply, crm.person_created, crm.person_updated, message.failed, consent.opt_out, window.closing. */
    kind: z.enum(['message.received', 'reply', 'crm.person_created', 'crm.person_updated', 'message.failed', 'consent.opt_out', 'window.closing']).optional(),
    contactId: z.string().min(1),
    id: z.string().min(1).optional(),
    occurredAt: z.union([z.number().int(), z.iso.datetime()]).optional(),
    text: z.string().max(4096).nullable().optional(),
    reply: Reply.nullable().optional(),
    businessPhoneNumberId: z.string().nullable().optional(),
    tags: z.array(z.string()).optional(),
    fields: z.record(z.string(), z.string().nullable()).optional(),
    ownerId: z.string().nullable().optional(),
    errorCodes: z.array(z.number().int()).optional(),
    category: z.string().optional(),
  })
  .loose()
  .refine((e) => e.type !== undefined || e.kind !== undefined, 'give the event type, or a kind');
export type DryRunEvent = z.infer<typeof DryRunEvent>;

/** The sample as the engine would see it. */
export function sampleEvent(rule: Rule, sample: DryRunEvent, now: number): AutomationEvent {
  const occurredAt = sample.occurredAt === undefined ? now : typeof sample.occurredAt === 'number' ? sample.occurredAt : Date.parse(sample.occurredAt);
  const base = { ...sample, id: sample.id ?? 'dry-run', contactId: sample.contactId, occurredAt };
  const message = { wamid: 'dry-run', businessPhoneNumberId: sample.businessPhoneNumberId ?? null, quotedWamid: null };
  switch (sample.kind) {
    case 'message.received':
      return { ...message, messageType: 'text', reply: null, ...base, text: sample.text ?? null, type: 'message.received' };
    case 'reply':
      return { ...message, messageType: 'button', text: null, ...base, reply: sample.reply ?? null, type: 'message.received' };
    case 'crm.person_created':
    case 'crm.person_updated':
      return {
        connector: 'builtin',
        crmId: 'dry-run',
        ...base,
        tags: sample.tags ?? [],
        fields: sample.fields ?? {},
        ownerId: sample.ownerId ?? null,
        change: sample.kind === 'crm.person_created' ? 'created' : 'updated',
        type: 'crm.person_changed',
      };
    case 'message.failed':
      return { wamid: 'dry-run', ...base, status: 'failed', errors: (sample.errorCodes ?? []).map((code) => ({ code, title: `error ${code}` })), type: 'message.status' };
    case 'consent.opt_out':
      return { source: 'dry-run', businessPhoneNumberId: null, ...base, category: sample.category ?? 'marketing', action: 'opt_out', type: 'consent.changed' };
    case 'window.closing':
      return windowClosing(rule, { ...message, ...base });
    case undefined:
      return sample.type === 'window.closing' ? windowClosing(rule, { ...message, ...base }) : { ...base, type: sample.type! };
  }
}

function windowClosing(rule: Rule, base: Record<string, unknown> & { id: string; contactId: string; occurredAt: number }): AutomationEvent {
  const minutesBefore = rule.trigger.type === 'window.closing' ? rule.trigger.minutesBefore : 0;
  return { ...base, type: 'window.closing', ruleId: rule.id, minutesBefore, closesAt: base.occurredAt + minutesBefore * 60_000 };
}

export type DryRunAction = PlannedAction & { preview?: Record<string, unknown> };
export type DryRunResult = Omit<Evaluation, 'actions'> & { ruleId: string; enabled: boolean; wouldRun: boolean; event: AutomationEvent; actions: DryRunAction[] };

export async function dryRunRule(deps: AutomationDeps, rule: Rule, sample: DryRunEvent): Promise<Result<DryRunResult>> {
  const event = sampleEvent(rule, sample, deps.clock.now());
  const facts = await loadContactFacts(deps.db, event);
  if (!facts) return err(new AppError('CONTACT_NOT_FOUND', `No contact ${sample.contactId}.`));
  const evaluation = evaluateRule(rule, event, facts, { now: deps.clock.now(), regex: deps.regex });
  const actions: DryRunAction[] = [];
  for (const action of evaluation.actions) {
    if (action.type !== 'send_template') {
      actions.push(action);
      continue;
    }
    const { template } = action.request;
    const preview = await previewTemplate(
      { name: template.name, contactId: facts.id, language: template.language, parameters: template.parameters },
      { db: deps.db, numbers: deps.queueDeps.numbers, defaultLocale: deps.queueDeps.templateDefaultLanguage, timeZone: deps.queueDeps.templateTimeZone },
    );
    actions.push({
      ...action,
      preview: preview.ok
        ? { language: preview.value.language, sendable: preview.value.sendable, body: preview.value.body, buttons: preview.value.buttons }
        : { error: { code: preview.error.code, message: preview.error.message } },
    });
  }
  return ok({
    ruleId: rule.id,
    enabled: rule.enabled,
    wouldRun: rule.enabled && evaluation.matched && evaluation.problem === null,
    event,
    ...evaluation,
    actions,
  });
}
