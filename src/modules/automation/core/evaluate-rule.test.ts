import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AutomationEvent } from './automation-event.js';
import { evaluateRule, type ContactFacts, type EvaluationContext } from './evaluate-rule.js';
import { Rule, type RuleInput } from './rule.js';

const NOW = Date.UTC(2026, 10, 30, 15, 0);
const ctx: EvaluationContext = { now: NOW, regex: (source, text) => new RegExp(source, 'iu').test(text) };

const facts = (over: Partial<ContactFacts> = {}): ContactFacts => ({
  id: 'c-1',
  name: 'Dana Whitfield',
  phone: '+14155550142',
  locale: 'en_US',
  fields: {},
  tags: [],
  ownerId: 'owner-7',
  previous: null,
  firstMessage: false,
  ...over,
});

const rule = (over: Partial<RuleInput>): Rule =>
  Rule.parse({ id: 'r', name: 'R', trigger: { type: 'message.received' }, actions: [{ type: 'add_tag', tag: 'x' }], ...over });

const inbound = (over: Record<string, unknown> = {}): AutomationEvent => ({
  type: 'message.received',
  id: 'e-1',
  contactId: 'c-1',
  wamid: 'wamid.1',
  businessPhoneNumberId: '1001',
  messageType: 'text',
  text: 'hello',
  reply: null,
  quotedWamid: null,
  occurredAt: NOW,
  ...over,
});

const crmChange = (over: Record<string, unknown> = {}): AutomationEvent => ({
  type: 'crm.person_changed',
  id: 'e-2',
  contactId: 'c-1',
  change: 'created',
  connector: 'builtin',
  crmId: 'p-1',
  tags: ['Hot Lead – High Priority'],
  fields: {},
  ownerId: 'owner-7',
  occurredAt: NOW,
  ...over,
});

describe('triggers', () => {
  it('a CRM creation with the hot-lead tag sends the template with the first name', () => {
    const r = rule({
      trigger: { type: 'crm.person_created' },
      conditions: [{ field: 'tags', op: 'contains', value: 'hot lead – high priority' }],
      actions: [{ type: 'send_template', name: 'property_inquiry', parameters: { body: ['{{contact.firstName}}'] } }],
    });
    const evaluation = evaluateRule(r, crmChange(), facts({ tags: ['Hot Lead – High Priority'] }), ctx);
    expect(evaluation.matched).toBe(true);
    expect(evaluation.actions).toEqual([
      { index: 0, type: 'send_template', request: { contactId: 'c-1', type: 'template', template: { name: 'property_inquiry', parameters: { body: ['Dana'] } } } },
    ]);
    expect(evaluateRule(r, crmChange({ change: 'updated' }), facts(), ctx).trigger.matched).toBe(false);
    expect(evaluateRule(r, crmChange(), facts({ tags: ['Cold'] }), ctx)).toMatchObject({ matched: false, conditions: [{ matched: false, actual: ['Cold'] }] });
  });

  it('a button reply writes its title into a field and books a task for the owner', () => {
    const r = rule({
      trigger: { type: 'reply', payloads: ['budget_1m_2m', 'budget_2m_plus'] },
      actions: [
        { type: 'update_crm_field', field: 'budget', value: '{{reply.title}}' },
        { type: 'create_task', subject: 'Follow up with {{contact.name}} ({{reply.title}})', dueInMinutes: 60 },
      ],
    });
    const tap = inbound({ messageType: 'button', text: null, reply: { kind: 'button', payload: 'budget_1m_2m', title: '$1M – $2M' } });
    expect(evaluateRule(r, tap, facts(), ctx).actions).toEqual([
      { index: 0, type: 'update_crm_field', field: 'budget', value: '$1M – $2M' },
      { index: 1, type: 'create_task', subject: 'Follow up with Dana Whitfield ($1M – $2M)', body: null, dueAt: NOW + 3_600_000, ownerId: 'owner-7' },
    ]);
    expect(evaluateRule(r, { ...tap, reply: { kind: 'button', payload: 'budget_low', title: 'low' } }, facts(), ctx).trigger.matched).toBe(false);
    expect(evaluateRule(r, inbound(), facts(), ctx).trigger).toEqual({ matched: false, reason: 'the message is not a button or list reply' });
    expect(evaluateRule(rule({ trigger: { type: 'reply', kind: 'list' } }), tap, facts(), ctx).trigger.matched).toBe(false);
  });

  it('inbound messages match by keyword, regex, first message and business hours; replies only when asked', () => {
    const kw = rule({ trigger: { type: 'message.received', keywords: ['preço', 'price'] } });
    expect(evaluateRule(kw, inbound({ text: 'Qual o PRECO?' }), facts(), ctx).trigger).toEqual({ matched: true, reason: 'an inbound message, with the keyword "preço"' });
    expect(evaluateRule(kw, inbound({ text: 'priceless' }), facts(), ctx).trigger.matched).toBe(false);
    const re = rule({ trigger: { type: 'message.received', regex: '^order\\s*#?\\d+$' } });
    expect(evaluateRule(re, inbound({ text: 'Order #123' }), facts(), ctx).trigger.matched).toBe(true);
    expect(evaluateRule(re, inbound({ text: 'my order' }), facts(), ctx).trigger.matched).toBe(false);
    expect(evaluateRule(re, inbound(), facts(), { ...ctx, regex: () => 'timeout' }).trigger.reason).toMatch(/time budget/);
    const first = rule({ trigger: { type: 'message.received', firstMessage: true } });
    expect(evaluateRule(first, inbound(), facts({ firstMessage: true }), ctx).trigger.matched).toBe(true);
    expect(evaluateRule(first, inbound(), facts({ firstMessage: false }), ctx).trigger.matched).toBe(false);
    const afterHours = rule({ trigger: { type: 'message.received', outsideBusinessHours: { timeZone: 'UTC', schedule: { mon: [['09:00', '17:00']] } } } });
    expect(evaluateRule(afterHours, inbound({ occurredAt: Date.UTC(2026, 10, 30, 12, 0) }), facts(), ctx).trigger.matched).toBe(false);
    expect(evaluateRule(afterHours, inbound({ occurredAt: Date.UTC(2026, 10, 30, 20, 0) }), facts(), ctx).trigger.matched).toBe(true);
    const tap = inbound({ reply: { kind: 'button', payload: 'p', title: 'price' } });
    expect(evaluateRule(kw, tap, facts(), ctx).trigger.matched).toBe(false);
    expect(evaluateRule(rule({ trigger: { type: 'message.received', keywords: ['price'], includeReplies: true } }), tap, facts(), ctx).trigger.matched).toBe(true);
  });

  it('failures match by error code, opt-outs by category, window checks by their rule', () => {
    const failed: AutomationEvent = { type: 'message.status', id: 's', contactId: 'c-1', wamid: 'w', status: 'failed', errors: [{ code: 131026, title: 'x' }], occurredAt: NOW };
    expect(evaluateRule(rule({ trigger: { type: 'message.failed', errorCodes: [131026] } }), failed, facts(), ctx).trigger.matched).toBe(true);
    expect(evaluateRule(rule({ trigger: { type: 'message.failed', errorCodes: [131047] } }), failed, facts(), ctx).trigger.matched).toBe(false);
    expect(evaluateRule(rule({ trigger: { type: 'message.failed' } }), { ...failed, status: 'delivered' }, facts(), ctx).trigger.matched).toBe(false);
    const optOut: AutomationEvent = { type: 'consent.changed', id: 'o', contactId: 'c-1', category: 'marketing', action: 'opt_out', source: 'keyword', businessPhoneNumberId: null, occurredAt: NOW };
    expect(evaluateRule(rule({ trigger: { type: 'consent.opt_out' } }), optOut, facts(), ctx).trigger.matched).toBe(true);
    expect(evaluateRule(rule({ trigger: { type: 'consent.opt_out', categories: ['utility'] } }), optOut, facts(), ctx).trigger.matched).toBe(false);
    expect(evaluateRule(rule({ trigger: { type: 'consent.opt_out' } }), { ...optOut, action: 'opt_in' }, facts(), ctx).trigger.matched).toBe(false);
    const closing: AutomationEvent = { type: 'window.closing', id: 'w', contactId: 'c-1', ruleId: 'r', minutesBefore: 30, occurredAt: NOW };
    expect(evaluateRule(rule({ trigger: { type: 'window.closing', minutesBefore: 30 } }), closing, facts(), ctx).trigger.matched).toBe(true);
    expect(evaluateRule(rule({ id: 'other', trigger: { type: 'window.closing', minutesBefore: 30 } }), closing, facts(), ctx).trigger.matched).toBe(false);
  });
});

describe('conditions', () => {
  const on = (conditions: RuleInput['conditions'], f: Partial<ContactFacts> = {}, event: AutomationEvent = inbound()) =>
    evaluateRule(rule({ conditions, trigger: { type: event.type !== 'crm.person_changed' ? 'message.received' : event['change'] === 'created' ? 'crm.person_created' : 'crm.person_updated' } }), event, facts(f), ctx).conditions.map(
      (c) => c.matched,
    );

  it('compare fields and event data ignoring case and accents, numbers as numbers', () => {
    expect(on([{ field: 'fields.city', op: 'equals', value: 'SÃO PAULO' }], { fields: { city: 'São Paulo' } })).toEqual([true]);
    expect(on([{ field: 'fields.score', op: 'equals', value: 10 }], { fields: { score: '10.0' } })).toEqual([true]);
    expect(on([{ field: 'fields.score', op: 'in', value: [1, 2] }], { fields: { score: 3 } })).toEqual([false]);
    expect(on([{ field: 'locale', op: 'contains', value: 'en' }])).toEqual([true]);
    expect(on([{ field: 'event.text', op: 'contains', value: 'ELL' }])).toEqual([true]);
    expect(on([{ field: 'event.reply.payload', op: 'exists' }])).toEqual([false]);
    expect(on([{ field: 'fields.missing', op: 'not_exists' }, { field: 'owner', op: 'equals', value: 'owner-7' }])).toEqual([true, true]);
    expect(on([{ field: 'fields.missing', op: 'not_equals', value: 'x' }])).toEqual([true]);
  });

  it('see changes against the previous CRM state: tags added and removed, fields changed', () => {
    const update = crmChange({ change: 'updated' });
    const previous = { fields: { budget: '$1M' }, tags: ['Cold'] };
    const now = { fields: { budget: '$2M' }, tags: ['Hot'], previous };
    expect(on([{ field: 'tags', op: 'added', value: 'hot' }, { field: 'tags', op: 'removed', value: 'cold' }, { field: 'fields.budget', op: 'changed' }, { field: 'tags', op: 'changed' }], now, update)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    const same = { fields: { budget: '$1M' }, tags: ['Cold'], previous };
    expect(on([{ field: 'tags', op: 'added', value: 'cold' }, { field: 'fields.budget', op: 'changed' }, { field: 'tags', op: 'changed' }], same, update)).toEqual([false, false, false]);
    // A person just created: whatever has a value has changed, every tag is added.
    expect(on([{ field: 'tags', op: 'added', value: 'hot' }, { field: 'fields.budget', op: 'changed' }, { field: 'tags', op: 'removed', value: 'x' }], { tags: ['Hot'], fields: { budget: '1' } }, crmChange())).toEqual([
      true,
      true,
      false,
    ]);
  });
});

describe('placeholders in actions', () => {
  it('a missing value plans nothing and names the action and the placeholder', () => {
    const r = rule({ actions: [{ type: 'add_tag', tag: 'ok' }, { type: 'update_crm_field', field: 'budget', value: '{{reply.title}}' }] });
    const evaluation = evaluateRule(r, inbound(), facts(), ctx);
    expect(evaluation.actions).toEqual([]);
    expect(evaluation.problem).toEqual({ code: 'AUTOMATION_PLACEHOLDER_MISSING', actionIndex: 1, message: '{{reply.title}} has no value (action 2, update_crm_field.value)' });
  });

  it('sends from the number the message came to, and the webhook body carries no secret', () => {
    const r = rule({
      actions: [
        { type: 'send_message', text: 'Got it, {{contact.firstName}}' },
        { type: 'webhook', url: 'https://hooks.example.com/in', secret: 'super-secret-value-123' },
      ],
    });
    const [send, hook] = evaluateRule(r, inbound(), facts(), ctx).actions;
    expect(send).toEqual({ index: 0, type: 'send_message', request: { contactId: 'c-1', from: '1001', type: 'text', text: { body: 'Got it, Dana' } } });
    expect(JSON.stringify(hook)).not.toContain('super-secret');
  });

  it('evaluation is deterministic and never throws for any text (property)', () => {
    const r = rule({ trigger: { type: 'message.received', keywords: ['a', 'b c'], regex: '\\d{3}' }, actions: [{ type: 'send_message', text: 'echo {{message.text}}' }] });
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const a = evaluateRule(r, inbound({ text }), facts(), ctx);
        expect(evaluateRule(r, inbound({ text }), facts(), ctx)).toEqual(a);
        if (a.matched && a.problem === null) expect(a.actions[0]).toMatchObject({ request: { text: { body: `echo ${text}` } } });
      }),
    );
  });
});
