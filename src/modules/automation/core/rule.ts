import { z } from 'zod';
import { checkPlaceholders } from './placeholders.js';
import { checkSafeRegex } from './safe-regex.js';
import { BusinessHours } from './business-hours.js';

/**
 * The public format of an automation rule: what `POST /api/v1/rules` takes, what
 * `AUTOMATION_RULES_FILE` lists, and what is stored. Everything a rule can say is checked here,
 * so that a rule that is accepted can always be evaluated (placeholders name known roots,
 * regular expressions are safe, business hours name a real time zone).
 */

export const RULE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

const Text = (max: number) => z.string().trim().min(1).max(max);
/** A text with `{{placeholders}}`; their roots are checked here, their values when the rule runs. */
const Templated = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .superRefine((text, ctx) => {
      for (const problem of checkPlaceholders(text)) ctx.addIssue({ code: 'custom', message: problem });
    });

// ---------------------------------------------------------------------------------------------
// Triggers

const Keyword = Text(100);

export const SafeRegexSource = z
  .string()
  .min(1)
  .max(200, 'a regex is at most 200 characters')
  .superRefine((source, ctx) => {
    const problem = checkSafeRegex(source);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const CrmPersonCreated = z.object({ type: z.literal('crm.person_created') }).strict();
const CrmPersonUpdated = z.object({ type: z.literal('crm.person_updated') }).strict();
const MessageReceived = z
  .object({
    type: z.literal('message.received'),
    /** Any of these words or phrases, matched as whole words, ignoring case and accents. */
    keywords: z.array(Keyword).min(1).max(50).optional(),
    /** A JavaScript regular expression (case-insensitive, Unicode), checked for catastrophic backtracking. */
    regex: SafeRegexSource.optional(),
    /** Only the contact's first message ever. */
    firstMessage: z.boolean().optional(),
    /** Only messages that arrive outside these business hours. */
    outsideBusinessHours: BusinessHours.optional(),
    /** Taps on buttons and list rows count as messages only when true (they have their own trigger, `reply`). */
    includeReplies: z.boolean().optional(),
  })
  .strict();
const Reply = z
  .object({
    type: z.literal('reply'),
    /** The tapped button's or row's payload (id); omitted: any reply. */
    payloads: z.array(Text(256)).min(1).max(50).optional(),
    kind: z.enum(['button', 'list']).optional(),
  })
  .strict();
const MessageFailed = z
  .object({
    type: z.literal('message.failed'),
    /** Meta's error codes (131026, 131047, …); omitted: any failure. */
    errorCodes: z.array(z.number().int()).min(1).max(50).optional(),
  })
  .strict();
const WindowClosing = z
  .object({
    type: z.literal('window.closing'),
    /** How long before the 24-hour customer-service window closes. */
    minutesBefore: z.number().int().min(1).max(24 * 60 - 1),
  })
  .strict();
const ConsentOptOut = z
  .object({
    type: z.literal('consent.opt_out'),
    categories: z.array(z.enum(['marketing', 'utility', 'authentication', 'all'])).min(1).optional(),
  })
  .strict();

export const Trigger = z.discriminatedUnion('type', [CrmPersonCreated, CrmPersonUpdated, MessageReceived, Reply, MessageFailed, WindowClosing, ConsentOptOut]);
export type Trigger = z.infer<typeof Trigger>;
export type TriggerType = Trigger['type'];

// ---------------------------------------------------------------------------------------------
// Conditions

/**
 * What a condition looks at: the contact (`tags`, `locale`, `name`, `phone`, `owner`,
 * `fields.<name>`) or the event (`event.<path>`, e.g. `event.text`, `event.reply.payload`).
 */
export const CONDITION_FIELD = /^(tags|locale|name|phone|owner|fields\.[A-Za-z0-9_]{1,64}|event(\.[A-Za-z0-9_]{1,64}){1,4})$/;

const ConditionValue = z.union([z.string().max(1000), z.number(), z.boolean()]);
export const CONDITION_OPS = ['equals', 'not_equals', 'contains', 'not_contains', 'in', 'exists', 'not_exists', 'changed', 'added', 'removed'] as const;

export const Condition = z
  .object({
    field: z.string().regex(CONDITION_FIELD, 'tags, locale, name, phone, owner, fields.<name> or event.<path>'),
    op: z.enum(CONDITION_OPS),
    value: z.union([ConditionValue, z.array(ConditionValue).min(1).max(100)]).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const needsValue = !['exists', 'not_exists', 'changed'].includes(c.op);
    if (needsValue && c.value === undefined) ctx.addIssue({ code: 'custom', path: ['value'], message: `${c.op} needs a value` });
    if (!needsValue && c.value !== undefined) ctx.addIssue({ code: 'custom', path: ['value'], message: `${c.op} takes no value` });
    if (c.op === 'in' && !Array.isArray(c.value)) ctx.addIssue({ code: 'custom', path: ['value'], message: 'in takes a list of values' });
    if (c.op !== 'in' && Array.isArray(c.value)) ctx.addIssue({ code: 'custom', path: ['value'], message: `${c.op} takes one value, not a list` });
    if ((c.op === 'added' || c.op === 'removed') && c.field !== 'tags') ctx.addIssue({ code: 'custom', path: ['op'], message: `${c.op} applies to tags only` });
    if (c.field === 'tags' && ['equals', 'not_equals', 'in'].includes(c.op)) {
      ctx.addIssue({ code: 'custom', path: ['op'], message: 'tags are a list: use contains, not_contains, added, removed, exists, not_exists or changed' });
    }
  });
export type Condition = z.infer<typeof Condition>;

// ---------------------------------------------------------------------------------------------
// Actions

const PhoneNumberId = z.string().regex(/^\d+$/, 'the numeric phone-number id');
const common = { continueOnError: z.boolean().optional().describe('Run the next actions even if this one fails (default: stop)') };
const TemplateValues = z.union([z.array(Templated(1024)).max(50), z.record(z.string().regex(/^[A-Za-z0-9_]{1,64}$/), Templated(1024))]);

const SendTemplate = z
  .object({
    type: z.literal('send_template'),
    name: z.string().regex(/^[a-z0-9_]{1,512}$/, 'template names are lowercase letters, digits and _'),
    language: z.string().min(2).max(15).optional(),
    /** Values with placeholders: `{"body": ["{{contact.name}}"], "buttons": ["budget_low", …]}`. */
    parameters: z
      .object({
        header: TemplateValues.optional(),
        body: TemplateValues.optional(),
        buttons: z.union([z.array(Templated(256)).max(10), z.record(z.string().regex(/^\d$/), Templated(256))]).optional(),
      })
      .strict()
      .optional(),
    from: PhoneNumberId.optional(),
    ...common,
  })
  .strict();
const SendMessage = z.object({ type: z.literal('send_message'), text: Templated(4096), from: PhoneNumberId.optional(), ...common }).strict();
const UpdateCrmField = z
  .object({
    type: z.literal('update_crm_field'),
    field: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'a field name: letters, digits and _'),
    /** The new value (with placeholders, e.g. `{{reply.title}}`); null clears the field. */
    value: z.union([Templated(2000), z.null()]),
    ...common,
  })
  .strict();
const AddTag = z.object({ type: z.literal('add_tag'), tag: Templated(100), ...common }).strict();
const RemoveTag = z.object({ type: z.literal('remove_tag'), tag: Templated(100), ...common }).strict();
const AssignConversation = z
  .object({
    type: z.literal('assign_conversation'),
    /** A user; omitted: the inbox's assignment rules choose. */
    userId: Text(200).optional(),
    ...common,
  })
  .strict();
const CreateTask = z
  .object({
    type: z.literal('create_task'),
    subject: Templated(255),
    body: Templated(4000).optional(),
    dueInMinutes: z.number().int().min(0).max(525_600).optional(),
    /** `contact_owner` (default): the CRM record's owner; or a user id. */
    owner: Text(200).optional(),
    ...common,
  })
  .strict();
const ReopenAndAlert = z.object({ type: z.literal('reopen_and_alert'), reason: Templated(500), ...common }).strict();
const Webhook = z
  .object({
    type: z.literal('webhook'),
    url: z.url({ protocol: /^https?$/ }).max(2000),
    /** Signs the body: `X-Switchboard-Signature: sha256=<hex HMAC-SHA256 of the body>`. */
    secret: z.string().min(16, 'a webhook secret is at least 16 characters').max(200),
    timeoutMs: z.number().int().min(100).max(30_000).optional(),
    ...common,
  })
  .strict();

export const Action = z.discriminatedUnion('type', [SendTemplate, SendMessage, UpdateCrmField, AddTag, RemoveTag, AssignConversation, CreateTask, ReopenAndAlert, Webhook]);
export type Action = z.infer<typeof Action>;
export type ActionType = Action['type'];

// ---------------------------------------------------------------------------------------------
// The rule

export const Rule = z
  .object({
    id: z.string().regex(RULE_ID, 'letters, digits, _, - and . (at most 100), starting with a letter or digit'),
    name: Text(200),
    description: z.string().max(2000).optional(),
    enabled: z.boolean().default(true),
    /** Rules are evaluated in ascending position (then by id); omitted: after the others. */
    position: z.number().int().min(0).max(1_000_000).optional(),
    trigger: Trigger,
    conditions: z.array(Condition).max(50).default([]),
    actions: z.array(Action).min(1, 'a rule has at least one action').max(20),
  })
  .strict();
export type Rule = z.infer<typeof Rule>;
export type RuleInput = z.input<typeof Rule>;

/** `POST /rules` and `PUT /rules/{id}` may leave the id to the path or to the server. */
export const RuleBody = Rule.extend({ id: Rule.shape.id.optional() }).strict();
