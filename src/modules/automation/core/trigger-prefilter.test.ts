import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AutomationEvent } from './automation-event.js';
import { matchTrigger, type ContactFacts, type EvaluationContext } from './evaluate-rule.js';
import { Trigger } from './rule.js';
import { triggerTypeCanFire } from './trigger-prefilter.js';

const NOW = Date.UTC(2026, 10, 30, 15, 0);
const ctx: EvaluationContext = { now: NOW, regex: (source, text) => new RegExp(source, 'iu').test(text) };
const facts = (firstMessage: boolean): ContactFacts => ({
  id: 'c-1', name: 'Dana', phone: '+14155550142', locale: 'en_US', fields: {}, tags: [], ownerId: null, previous: null, firstMessage,
});

const triggers = fc.constantFrom<Record<string, unknown>>(
  { type: 'crm.person_created' },
  { type: 'crm.person_updated' },
  { type: 'message.received' },
  { type: 'message.received', includeReplies: true },
  { type: 'message.received', keywords: ['price'], firstMessage: true },
  { type: 'reply' },
  { type: 'reply', payloads: ['yes'], kind: 'button' },
  { type: 'message.failed' },
  { type: 'message.failed', errorCodes: [131026] },
  { type: 'window.closing', minutesBefore: 60 },
  { type: 'consent.opt_out' },
  { type: 'consent.opt_out', categories: ['marketing'] },
).map((t) => Trigger.parse(t));

const base = { id: 'e-1', contactId: 'c-1', occurredAt: NOW };
const events = fc.oneof(
  fc.record({
    text: fc.constantFrom('hello', 'price?', ''),
    reply: fc.option(fc.record({ kind: fc.constantFrom('button', 'list'), payload: fc.constantFrom('yes', 'no'), title: fc.constantFrom('Yes', 'price') }), { nil: null }),
  }).map((m): AutomationEvent => ({ ...base, type: 'message.received', wamid: 'w', businessPhoneNumberId: '1', messageType: m.reply ? 'interactive' : 'text', quotedWamid: null, ...m })),
  fc.record({ status: fc.constantFrom('sent', 'delivered', 'read', 'failed'), errors: fc.constantFrom([], [{ code: 131026, title: 'x' }], [{ code: 470, title: 'y' }]) })
    .map((s): AutomationEvent => ({ ...base, type: 'message.status', wamid: 'w', outboundMessageId: null, businessPhoneNumberId: '1', ...s })),
  fc.record({ action: fc.constantFrom('opt_in', 'opt_out'), category: fc.constantFrom('marketing', 'utility') })
    .map((c): AutomationEvent => ({ ...base, type: 'consent.changed', businessPhoneNumberId: '1', source: 'keyword', ...c })),
  fc.constantFrom('created', 'updated').map((change): AutomationEvent => ({ ...base, type: 'crm.person_changed', change, connector: 'builtin', crmId: 'p', tags: [], fields: {}, ownerId: null })),
);

describe('the trigger prefilter', () => {
  it('never rules out an event that the trigger would match (property)', () => {
    fc.assert(
      fc.property(triggers, events, fc.boolean(), (trigger, event, first) => {
        if (matchTrigger(trigger, 'r', event, facts(first), ctx).matched) expect(triggerTypeCanFire(trigger.type, event)).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it('rules out plain messages for reply rules, and delivered statuses and opt-ins for everything', () => {
    const plain: AutomationEvent = { ...base, type: 'message.received', text: 'hi', reply: null };
    const tap: AutomationEvent = { ...plain, reply: { kind: 'button', payload: 'yes', title: 'Yes' } };
    expect(triggerTypeCanFire('reply', plain)).toBe(false);
    expect(triggerTypeCanFire('reply', tap)).toBe(true);
    expect(triggerTypeCanFire('window.closing', plain)).toBe(true);
    for (const type of Trigger.options.map((o) => o.shape.type.value)) {
      expect(triggerTypeCanFire(type, { ...base, type: 'message.status', status: 'delivered' })).toBe(false);
      expect(triggerTypeCanFire(type, { ...base, type: 'consent.changed', action: 'opt_in', category: 'marketing' })).toBe(false);
    }
  });
});
