import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { Rule } from './rule.js';

const valid = {
  id: 'hot-lead-inquiry',
  name: 'Hot lead gets the property inquiry',
  trigger: { type: 'crm.person_created' },
  conditions: [{ field: 'tags', op: 'contains', value: 'Hot Lead – High Priority' }],
  actions: [{ type: 'send_template', name: 'property_inquiry', parameters: { body: ['{{contact.firstName}}'] } }],
};

const issues = (input: unknown) => {
  const parsed = Rule.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('the rule format', () => {
  it('accepts the scenario rule and fills its defaults', () => {
    const rule = Rule.parse(valid);
    expect(rule.enabled).toBe(true);
    expect(rule.conditions).toHaveLength(1);
  });

  it('accepts every trigger and action kind', () => {
    const triggers = [
      { type: 'crm.person_updated' },
      { type: 'message.received', keywords: ['price', 'preço'], regex: '^order\\s*#?\\d+$', firstMessage: true, outsideBusinessHours: { timeZone: 'Europe/Lisbon', schedule: { mon: [['09:00', '18:00']] } } },
      { type: 'reply', payloads: ['budget_1m_2m'], kind: 'button' },
      { type: 'message.failed', errorCodes: [131026] },
      { type: 'window.closing', minutesBefore: 60 },
      { type: 'consent.opt_out', categories: ['marketing'] },
    ];
    const actions = [
      { type: 'send_message', text: 'Hi {{contact.name}}' },
      { type: 'update_crm_field', field: 'budget', value: '{{reply.title}}' },
      { type: 'update_crm_field', field: 'budget', value: null },
      { type: 'add_tag', tag: 'Engaged' },
      { type: 'remove_tag', tag: 'Cold' },
      { type: 'assign_conversation' },
      { type: 'assign_conversation', userId: 'u-1' },
      { type: 'create_task', subject: 'Call {{contact.name}}', dueInMinutes: 60, owner: 'contact_owner' },
      { type: 'reopen_and_alert', reason: 'Delivery failed' },
      { type: 'webhook', url: 'https://hooks.example.com/x', secret: 'a-secret-of-16-chars' },
    ];
    for (const trigger of triggers) expect(issues({ ...valid, trigger })).toEqual([]);
    expect(issues({ ...valid, actions })).toEqual([]);
  });

  it('refuses unknown placeholders, malformed ones and unbalanced braces, naming the path', () => {
    expect(issues({ ...valid, actions: [{ type: 'send_message', text: 'Hi {{contact.nickname}}' }] })[0]).toMatch(/^actions\.0\.text: \{\{contact\.nickname\}\} is unknown/);
    expect(issues({ ...valid, actions: [{ type: 'send_message', text: 'Hi {{ name }}' }] })[0]).toMatch(/is not a placeholder/);
    expect(issues({ ...valid, actions: [{ type: 'send_message', text: 'Hi {{contact.name}' }] })[0]).toMatch(/unbalanced/);
  });

  it('refuses catastrophic and invalid regexes', () => {
    expect(issues({ ...valid, trigger: { type: 'message.received', regex: '(a+)+$' } })[0]).toMatch(/^trigger\.regex: a repeated group/);
    expect(issues({ ...valid, trigger: { type: 'message.received', regex: '(x|xy)*z' } })[0]).toMatch(/repeated group/);
    expect(issues({ ...valid, trigger: { type: 'message.received', regex: '(a)\\1' } })[0]).toMatch(/backreferences/);
    expect(issues({ ...valid, trigger: { type: 'message.received', regex: '([a-z' } })[0]).toMatch(/not a valid regular expression/);
    expect(issues({ ...valid, trigger: { type: 'message.received', regex: 'a'.repeat(201) } })[0]).toMatch(/at most 200/);
  });

  it('refuses conditions whose operator does not fit', () => {
    expect(issues({ ...valid, conditions: [{ field: 'tags', op: 'equals', value: 'x' }] })[0]).toMatch(/tags are a list/);
    expect(issues({ ...valid, conditions: [{ field: 'fields.budget', op: 'added', value: 'x' }] })[0]).toMatch(/applies to tags only/);
    expect(issues({ ...valid, conditions: [{ field: 'fields.budget', op: 'equals' }] })[0]).toMatch(/needs a value/);
    expect(issues({ ...valid, conditions: [{ field: 'fields.budget', op: 'exists', value: 'x' }] })[0]).toMatch(/takes no value/);
    expect(issues({ ...valid, conditions: [{ field: 'nickname', op: 'exists' }] })[0]).toMatch(/^conditions\.0\.field/);
  });

  it('refuses bad business hours, ids, webhooks and empty action lists', () => {
    expect(issues({ ...valid, trigger: { type: 'message.received', outsideBusinessHours: { timeZone: 'Mars/Olympus', schedule: {} } } })[0]).toMatch(/IANA time zone/);
    expect(issues({ ...valid, trigger: { type: 'message.received', outsideBusinessHours: { timeZone: 'UTC', schedule: { mon: [['18:00', '09:00']] } } } })[0]).toMatch(/opens before it closes/);
    expect(issues({ ...valid, id: 'has spaces' })[0]).toMatch(/^id:/);
    expect(issues({ ...valid, actions: [{ type: 'webhook', url: 'ftp://x.example', secret: 'a-secret-of-16-chars' }] })[0]).toMatch(/^actions\.0\.url/);
    expect(issues({ ...valid, actions: [{ type: 'webhook', url: 'https://x.example', secret: 'short' }] })[0]).toMatch(/at least 16/);
    expect(issues({ ...valid, actions: [] })[0]).toMatch(/at least one action/);
    expect(issues({ ...valid, trigger: { type: 'crm.person_created', extra: 1 } })).not.toEqual([]);
  });

  it('round-trips every valid rule through JSON and YAML unchanged (property)', () => {
    const trigger = fc.constantFrom<Record<string, unknown>>(
      { type: 'crm.person_created' },
      { type: 'crm.person_updated' },
      { type: 'message.received', keywords: ['preço', 'price'], firstMessage: true },
      { type: 'message.received', regex: '^order\\s*#?\\d+$', outsideBusinessHours: { timeZone: 'Asia/Tokyo', schedule: { sat: [['10:00', '14:00']] }, closedDates: ['2026-12-31'] } },
      { type: 'reply', payloads: ['a', 'b'], kind: 'list' },
      { type: 'message.failed', errorCodes: [131026, 131047] },
      { type: 'window.closing', minutesBefore: 90 },
      { type: 'consent.opt_out', categories: ['all'] },
    );
    const condition = fc.constantFrom<Record<string, unknown>>(
      { field: 'tags', op: 'added', value: 'Hot Lead – High Priority' },
      { field: 'fields.budget', op: 'changed' },
      { field: 'event.reply.payload', op: 'in', value: ['x', 1, true] },
      { field: 'locale', op: 'equals', value: 'pt_BR' },
    );
    const action = fc.constantFrom<Record<string, unknown>>(
      { type: 'send_template', name: 'property_inquiry', language: 'en_US', parameters: { body: { name: '{{contact.firstName}}' }, buttons: { '0': 'p' } } },
      { type: 'send_message', text: 'Olá {{contact.firstName}} 👋\n{{message.text}}', from: '123' },
      { type: 'update_crm_field', field: 'budget', value: null, continueOnError: true },
      { type: 'create_task', subject: '{{rule.name}}', owner: 'user-9', dueInMinutes: 0 },
      { type: 'webhook', url: 'https://example.com/h?a=1', secret: 'x'.repeat(16), timeoutMs: 100 },
    );
    fc.assert(
      fc.property(trigger, fc.array(condition, { maxLength: 4 }), fc.array(action, { minLength: 1, maxLength: 5 }), fc.boolean(), (t, conditions, actions, enabled) => {
        const rule = Rule.parse({ id: 'r-1', name: 'Rule', enabled, trigger: t, conditions, actions });
        expect(Rule.parse(JSON.parse(JSON.stringify(rule)))).toEqual(rule);
        expect(Rule.parse(parseYaml(toYaml(rule)))).toEqual(rule);
      }),
    );
  });
});
