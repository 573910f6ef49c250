import { errorCodesOf, recordOf, replyOf, stringOf, type AutomationEvent } from './automation-event.js';
import { isOpen } from './business-hours.js';
import { renderPlaceholders, type Scope } from './placeholders.js';
import type { Action, Condition, Rule, Trigger } from './rule.js';
import { REGEX_MAX_INPUT } from './safe-regex.js';
import { firstKeyword, includesText, sameText } from './text-match.js';

/**
 * Whether a rule fires for an event, and exactly what it would do: the trigger, each condition
 * with the value it saw, and the actions with every placeholder filled. Pure: the engine stores
 * this evaluation on the run before acting, and the dry-run shows it without acting.
 */

/** What is known of the contact when the event is handled. */
export type ContactFacts = {
  id: string;
  name: string | null;
  phone: string | null;
  locale: string | null;
  /** The contact's custom fields, with the CRM's fields (after the field mapping) over them. */
  fields: Record<string, unknown>;
  tags: string[];
  ownerId: string | null;
  /** Fields and tags before this event (a CRM change); null when unknown (a person just created). */
  previous: { fields: Record<string, unknown>; tags: string[] } | null;
  /** A `message.received` that is the contact's first inbound message. */
  firstMessage: boolean;
};

/** Runs a rule's regular expression on a text within a time budget (see regex-tester.ts). */
export type RegexTester = (source: string, text: string) => boolean | 'timeout';

export type TriggerResult = { matched: boolean; reason: string };

export type ConditionResult = Condition & { actual: unknown; matched: boolean };

/** An action with its values filled: what the engine carries out. Keys are derived from the run and `index`. */
export type PlannedAction =
  | { index: number; type: 'send_template'; request: { contactId: string; from?: string; type: 'template'; template: { name: string; language?: string; parameters?: Record<string, unknown> } } }
  | { index: number; type: 'send_message'; request: { contactId: string; from?: string; type: 'text'; text: { body: string } } }
  | { index: number; type: 'update_crm_field'; field: string; value: string | null }
  | { index: number; type: 'add_tag' | 'remove_tag'; tag: string }
  | { index: number; type: 'assign_conversation'; phoneNumberId: string | null; userId: string | null }
  | { index: number; type: 'create_task'; subject: string; body: string | null; dueAt: number | null; ownerId: string | null }
  | { index: number; type: 'reopen_and_alert'; phoneNumberId: string | null; reason: string }
  /** The secret stays in the rule: a plan is shown by the API and stored on the run. */
  | { index: number; type: 'webhook'; url: string; timeoutMs: number | null; body: Record<string, unknown> };

export type EvaluationProblem = { code: string; message: string; actionIndex: number };

export type Evaluation = {
  trigger: TriggerResult;
  conditions: ConditionResult[];
  /** The trigger and every condition matched. */
  matched: boolean;
  /** Filled actions, when matched and every placeholder has a value. */
  actions: PlannedAction[];
  /** Why the actions could not be filled (nothing is then done). */
  problem: EvaluationProblem | null;
};

export type EvaluationContext = { now: number; regex: RegexTester };

// ---------------------------------------------------------------------------------------------
// Triggers

const yes = (reason: string): TriggerResult => ({ matched: true, reason });
const no = (reason: string): TriggerResult => ({ matched: false, reason });

export function matchTrigger(trigger: Trigger, ruleId: string, event: AutomationEvent, facts: ContactFacts, ctx: EvaluationContext): TriggerResult {
  switch (trigger.type) {
    case 'crm.person_created':
    case 'crm.person_updated': {
      if (event.type !== 'crm.person_changed') return no(`a ${event.type} event is not a CRM change`);
      const change = trigger.type === 'crm.person_created' ? 'created' : 'updated';
      return event['change'] === change ? yes(`the CRM person was ${change}`) : no(`the CRM person was ${String(event['change'])}, not ${change}`);
    }
    case 'message.received': {
      if (event.type !== 'message.received') return no(`a ${event.type} event is not an inbound message`);
      const reply = replyOf(event);
      if (reply && !trigger.includeReplies) return no('a button or list reply (use the reply trigger, or includeReplies)');
      // A tap is matched by what the button or row says.
      const text = reply ? reply.title : (stringOf(event, 'text') ?? '');
      const reasons: string[] = ['an inbound message'];
      if (trigger.keywords) {
        const found = firstKeyword(text, trigger.keywords);
        if (!found) return no('no keyword in the message');
        reasons.push(`with the keyword "${found}"`);
      }
      if (trigger.regex !== undefined) {
        const result = ctx.regex(trigger.regex, text.slice(0, REGEX_MAX_INPUT));
        if (result === 'timeout') return no('the regex took longer than its time budget (counted as no match)');
        if (!result) return no('the regex does not match the message');
        reasons.push('matching the regex');
      }
      if (trigger.firstMessage) {
        if (!facts.firstMessage) return no('not the contact\'s first message');
        reasons.push('the contact\'s first');
      }
      if (trigger.outsideBusinessHours) {
        if (isOpen(trigger.outsideBusinessHours, event.occurredAt)) return no('inside business hours');
        reasons.push('outside business hours');
      }
      return yes(reasons.join(', '));
    }
    case 'reply': {
      if (event.type !== 'message.received') return no(`a ${event.type} event is not a reply`);
      const reply = replyOf(event);
      if (!reply) return no('the message is not a button or list reply');
      const kind = reply.kind === 'list' ? 'list' : 'button';
      if (trigger.kind && trigger.kind !== kind) return no(`a ${kind} reply, not a ${trigger.kind} reply`);
      if (trigger.payloads && !trigger.payloads.includes(reply.payload)) return no(`the payload "${reply.payload}" is not one of the rule's`);
      return yes(`a ${kind} reply "${reply.title}" (payload "${reply.payload}")`);
    }
    case 'message.failed': {
      if (event.type !== 'message.status' || event['status'] !== 'failed') return no('not a failed message');
      const codes = errorCodesOf(event);
      if (trigger.errorCodes && !codes.some((c) => trigger.errorCodes!.includes(c))) return no(`error ${codes.join(', ') || 'without a code'} is not one of the rule's`);
      return yes(`a message failed${codes.length > 0 ? ` (error ${codes.join(', ')})` : ''}`);
    }
    case 'window.closing': {
      if (event.type !== 'window.closing') return no(`a ${event.type} event is not a closing window`);
      // Each scheduled check belongs to the rule that asked for it.
      if (event['ruleId'] !== ruleId || event['minutesBefore'] !== trigger.minutesBefore) return no('the window check was scheduled for another rule');
      return yes(`the 24-hour window closes in ${trigger.minutesBefore} minutes`);
    }
    case 'consent.opt_out': {
      if (event.type !== 'consent.changed' || event['action'] !== 'opt_out') return no('not an opt-out');
      const category = String(event['category']);
      if (trigger.categories && !trigger.categories.includes(category as never) && !trigger.categories.includes('all')) return no(`an opt-out of ${category}, not of the rule's categories`);
      return yes(`the contact opted out of ${category}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Conditions

const present = (v: unknown) => v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0);

function readPath(root: unknown, parts: string[]): unknown {
  let value = root;
  for (const part of parts) {
    if (value === null || typeof value !== 'object' || !Object.prototype.hasOwnProperty.call(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function currentValue(field: string, event: AutomationEvent, facts: ContactFacts): unknown {
  if (field === 'tags') return facts.tags;
  if (field === 'locale') return facts.locale;
  if (field === 'name') return facts.name;
  if (field === 'phone') return facts.phone;
  if (field === 'owner') return facts.ownerId;
  if (field.startsWith('fields.')) return facts.fields[field.slice('fields.'.length)] ?? null;
  return readPath(event, field.split('.').slice(1));
}

function previousValue(field: string, facts: ContactFacts): unknown {
  if (!facts.previous) return undefined;
  if (field === 'tags') return facts.previous.tags;
  if (field.startsWith('fields.')) return facts.previous.fields[field.slice('fields.'.length)] ?? null;
  return undefined;
}

function equal(actual: unknown, expected: unknown): boolean {
  if (actual === undefined || actual === null) return false;
  if (typeof expected === 'number' || typeof actual === 'number') return Number(actual) === Number(expected) && String(actual).trim() !== '';
  if (typeof expected === 'boolean' || typeof actual === 'boolean') return String(actual) === String(expected);
  return sameText(String(actual), String(expected));
}

const tagsOf = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);
const hasTag = (tags: string[], tag: unknown) => tags.some((t) => sameText(t, String(tag)));

function sameTags(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((t) => hasTag(b, t));
}

function conditionHolds(c: Condition, actual: unknown, facts: ContactFacts): boolean {
  const list = Array.isArray(actual) ? actual : null;
  switch (c.op) {
    case 'exists':
      return present(actual);
    case 'not_exists':
      return !present(actual);
    case 'equals':
      return equal(actual, c.value);
    case 'not_equals':
      return !equal(actual, c.value);
    case 'in':
      return (c.value as unknown[]).some((v) => equal(actual, v));
    case 'contains':
      return list ? list.some((item) => equal(item, c.value)) : present(actual) && includesText(String(actual), String(c.value));
    case 'not_contains':
      return list ? !list.some((item) => equal(item, c.value)) : !(present(actual) && includesText(String(actual), String(c.value)));
    case 'changed': {
      const before = previousValue(c.field, facts);
      // Without a previous state (a person just created), what has a value has changed.
      if (!facts.previous) return present(actual);
      if (c.field === 'tags') return !sameTags(tagsOf(actual), tagsOf(before));
      return (present(actual) || present(before)) && !(present(actual) && present(before) && String(actual) === String(before));
    }
    case 'added':
      return hasTag(tagsOf(actual), c.value) && !hasTag(tagsOf(previousValue('tags', facts)), c.value);
    case 'removed':
      return facts.previous !== null && !hasTag(tagsOf(actual), c.value) && hasTag(tagsOf(previousValue('tags', facts)), c.value);
  }
}

export function evaluateConditions(conditions: Condition[], event: AutomationEvent, facts: ContactFacts): ConditionResult[] {
  return conditions.map((c) => {
    const actual = currentValue(c.field, event, facts);
    return { ...c, actual: actual ?? null, matched: conditionHolds(c, actual, facts) };
  });
}

// ---------------------------------------------------------------------------------------------
// Actions

/** The values placeholders read. */
export function renderScope(rule: Pick<Rule, 'id' | 'name'>, event: AutomationEvent, facts: ContactFacts): Scope {
  const name = facts.name?.trim() || null;
  const reply = replyOf(event);
  return {
    contact: {
      id: facts.id,
      name,
      firstName: name ? name.split(/\s+/)[0] : null,
      phone: facts.phone,
      locale: facts.locale,
      owner: facts.ownerId,
      tags: facts.tags,
      fields: facts.fields,
    },
    ...(reply ? { reply } : {}),
    ...(event.type === 'message.received' ? { message: { text: event['text'], wamid: event['wamid'], type: event['messageType'] } } : {}),
    event,
    rule: { id: rule.id, name: rule.name },
  };
}

class MissingValue extends Error {
  constructor(
    readonly paths: string[],
    readonly where: string,
  ) {
    super(`${paths.map((p) => `{{${p}}}`).join(', ')} ${paths.length === 1 ? 'has' : 'have'} no value (${where})`);
  }
}

function fill(text: string, scope: Scope, where: string): string {
  const rendered = renderPlaceholders(text, scope);
  if (!rendered.ok) throw new MissingValue(rendered.missing, where);
  return rendered.text;
}

function fillValues<T extends string[] | Record<string, string>>(values: T, scope: Scope, where: string): T {
  if (Array.isArray(values)) return values.map((v, i) => fill(v, scope, `${where}[${i}]`)) as T;
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, fill(v, scope, `${where}.${k}`)])) as T;
}

function planAction(action: Action, index: number, event: AutomationEvent, facts: ContactFacts, scope: Scope, now: number): PlannedAction {
  const where = (field: string) => `action ${index + 1}, ${action.type}.${field}`;
  const eventNumber = stringOf(event, 'businessPhoneNumberId');
  switch (action.type) {
    case 'send_template': {
      const from = action.from ?? eventNumber ?? undefined;
      const p = action.parameters;
      const parameters = p
        ? {
            ...(p.header ? { header: fillValues(p.header, scope, where('parameters.header')) } : {}),
            ...(p.body ? { body: fillValues(p.body, scope, where('parameters.body')) } : {}),
            ...(p.buttons ? { buttons: fillValues(p.buttons, scope, where('parameters.buttons')) } : {}),
          }
        : undefined;
      return {
        index,
        type: 'send_template',
        request: {
          contactId: facts.id,
          ...(from ? { from } : {}),
          type: 'template',
          template: { name: action.name, ...(action.language ? { language: action.language } : {}), ...(parameters ? { parameters } : {}) },
        },
      };
    }
    case 'send_message': {
      const from = action.from ?? eventNumber ?? undefined;
      return { index, type: 'send_message', request: { contactId: facts.id, ...(from ? { from } : {}), type: 'text', text: { body: fill(action.text, scope, where('text')) } } };
    }
    case 'update_crm_field':
      return { index, type: 'update_crm_field', field: action.field, value: action.value === null ? null : fill(action.value, scope, where('value')) };
    case 'add_tag':
    case 'remove_tag':
      return { index, type: action.type, tag: fill(action.tag, scope, where('tag')) };
    case 'assign_conversation':
      return { index, type: 'assign_conversation', phoneNumberId: eventNumber, userId: action.userId ?? null };
    case 'create_task': {
      const owner = action.owner === undefined || action.owner === 'contact_owner' ? facts.ownerId : action.owner;
      return {
        index,
        type: 'create_task',
        subject: fill(action.subject, scope, where('subject')),
        body: action.body === undefined ? null : fill(action.body, scope, where('body')),
        dueAt: action.dueInMinutes === undefined ? null : now + action.dueInMinutes * 60_000,
        ownerId: owner,
      };
    }
    case 'reopen_and_alert':
      return { index, type: 'reopen_and_alert', phoneNumberId: eventNumber, reason: fill(action.reason, scope, where('reason')) };
    case 'webhook':
      return {
        index,
        type: 'webhook',
        url: action.url,
        timeoutMs: action.timeoutMs ?? null,
        body: { event, contact: scope['contact'], rule: scope['rule'] },
      };
  }
}

/** Every action filled, or the first placeholder without a value (then none is planned). */
export function planActions(rule: Rule, event: AutomationEvent, facts: ContactFacts, now: number): { actions: PlannedAction[]; problem: EvaluationProblem | null } {
  const scope = renderScope(rule, event, facts);
  const actions: PlannedAction[] = [];
  for (const [index, action] of rule.actions.entries()) {
    try {
      actions.push(planAction(action, index, event, facts, scope, now));
    } catch (error) {
      if (!(error instanceof MissingValue)) throw error;
      return { actions: [], problem: { code: 'AUTOMATION_PLACEHOLDER_MISSING', message: error.message, actionIndex: index } };
    }
  }
  return { actions, problem: null };
}

export function evaluateRule(rule: Rule, event: AutomationEvent, facts: ContactFacts, ctx: EvaluationContext): Evaluation {
  const trigger = matchTrigger(rule.trigger, rule.id, event, facts, ctx);
  if (!trigger.matched) return { trigger, conditions: [], matched: false, actions: [], problem: null };
  const conditions = evaluateConditions(rule.conditions, event, facts);
  const matched = conditions.every((c) => c.matched);
  if (!matched) return { trigger, conditions, matched, actions: [], problem: null };
  const planned = planActions(rule, event, facts, ctx.now);
  return { trigger, conditions, matched, ...planned };
}

/** The facts a CRM change brings: its tags, fields and owner are the contact's from now on. */
export function withCrmChange(facts: ContactFacts, event: AutomationEvent): ContactFacts {
  if (event.type !== 'crm.person_changed') return facts;
  const fields = recordOf(event, 'fields') ?? {};
  const tags = Array.isArray(event['tags']) ? (event['tags'] as unknown[]).map(String) : facts.tags;
  const owner = event['ownerId'];
  return {
    ...facts,
    fields: { ...facts.fields, ...fields },
    tags,
    ownerId: typeof owner === 'string' ? owner : owner === null ? null : facts.ownerId,
    previous: event['change'] === 'created' ? null : facts.previous,
  };
}
