/**
 * Inputs of the control surface (in-process methods and `/_simulator/*` alike), as zod schemas:
 * types are inferred from them, and the HTTP routes parse with the same schemas.
 */
import { z } from 'zod';

const digits = (min: number, max: number) => z.string().regex(new RegExp(`^\\d{${min},${max}}$`), `must be ${min}–${max} digits`);
const rate = z.number().min(0).max(1);
const ms = z.number().int().min(0);
/** Meta batches "up to 1000 updates" in one webhook POST (NOTES §9). */
export const MAX_WEBHOOK_UPDATES = 1000;

/** A business phone number registered on a WABA. */
export const NumberInputSchema = z.object({
  phoneNumberId: digits(1, 20),
  /** Digits only, as `metadata.display_phone_number` carries it. */
  displayPhoneNumber: digits(6, 15),
  wabaId: digits(1, 20),
  /** Meta's default is 80 messages per second per number (NOTES §9). */
  throughputMps: z.number().positive().default(80),
});
export type NumberInput = z.input<typeof NumberInputSchema>;
export type PhoneNumber = z.output<typeof NumberInputSchema>;

export const CustomerInputSchema = z.object({
  /** The WhatsApp id (digits, `+` tolerated). Omitted with a `username`: a username-only user whose phone is withheld. */
  waId: z.string().regex(/^\+?\d{6,15}$/, 'must be 6–15 digits').optional(),
  /** Generated (`CC.` + 20 digits, country from the calling code) when omitted. */
  bsuid: z.string().regex(/^[A-Z]{2}\.[A-Za-z0-9]{1,128}$/, 'must look like CC.<alphanumerics>').optional(),
  name: z.string().min(1),
  username: z.string().min(1).optional(),
  /** Sends to this user are accepted, then fail with a `failed` status 131026. */
  notOnWhatsApp: z.boolean().default(false),
  /** Other numbers that reach this user, e.g. Brazil's form with the ninth digit (`to` wins; `wa_id` is the real one). */
  aliases: z.array(z.string().regex(/^\+?\d{6,15}$/)).default([]),
  /** Whether this user's phone reports `read` (else statuses stop at `delivered`). */
  reads: z.boolean().default(true),
});
export type CustomerInput = z.input<typeof CustomerInputSchema>;

export const TEMPLATE_STATUSES = [
  'APPROVED', 'PENDING', 'REJECTED', 'PAUSED', 'DISABLED', 'IN_APPEAL', 'PENDING_DELETION', 'ARCHIVED', 'LIMIT_EXCEEDED',
] as const;
export const TemplateStatusSchema = z.enum(TEMPLATE_STATUSES);
export type TemplateStatus = z.infer<typeof TemplateStatusSchema>;

export const TemplateCategorySchema = z
  .string()
  .transform((s) => s.toUpperCase())
  .pipe(z.enum(['MARKETING', 'UTILITY', 'AUTHENTICATION']));
export type TemplateCategory = z.output<typeof TemplateCategorySchema>;

/** Meta: lowercase alphanumerics and underscores, at most 512 characters (NOTES §11). */
export const TEMPLATE_NAME = /^[a-z0-9_]{1,512}$/;

/** A template as Meta lists it (graph-template-list-page.json), given up front or through the control surface. */
export const TemplateSeedSchema = z.object({
  /** Defaults to the WABA of the first number. */
  wabaId: z.string().optional(),
  id: z.string().optional(),
  name: z.string().regex(TEMPLATE_NAME, 'must match ^[a-z0-9_]{1,512}$'),
  language: z.string().min(2),
  category: TemplateCategorySchema,
  status: TemplateStatusSchema.default('APPROVED'),
  /** Inferred from the placeholders (`{{1}}` positional, `{{name}}` named) when omitted. */
  parameter_format: z.string().transform((s) => s.toUpperCase()).pipe(z.enum(['POSITIONAL', 'NAMED'])).optional(),
  components: z.array(z.looseObject({ type: z.string() })).default([]),
  sub_category: z.string().optional(),
  /** Template pacing (NOTES §0.8): what `messages[].message_status` says for sends of this template. */
  messageStatus: z.enum(['accepted', 'held_for_quality_assessment', 'paused']).default('accepted'),
});
export type TemplateSeed = z.input<typeof TemplateSeedSchema>;

const Endpoint = z.enum(['messages', 'media', 'templates', 'any']).default('messages');
const Match = z.object({ to: z.string().optional(), type: z.string().optional() }).optional();

export const InjectErrorSchema = z
  .object({
    /** A Meta error code (envelope from the catalogue); with `httpStatus` alone, a Graph-style 5xx. */
    code: z.number().int().optional(),
    httpStatus: z.number().int().min(400).max(599).optional(),
    details: z.string().optional(),
    times: z.number().int().positive().default(1),
    endpoint: Endpoint,
    /** Only sends whose `to`/`recipient` (digits compared) and `type` match. */
    match: Match,
  })
  .refine((v) => v.code !== undefined || v.httpStatus !== undefined, { message: 'code or httpStatus is required' });
export type InjectErrorInput = z.input<typeof InjectErrorSchema>;

export const InjectTimeoutSchema = z.object({
  times: z.number().int().positive().default(1),
  /** How long the response is held; then the request is processed and answered (a late 200 is realistic: the send happened). */
  delayMs: ms.default(30_000),
  endpoint: Endpoint,
  match: Match,
});
export type InjectTimeoutInput = z.input<typeof InjectTimeoutSchema>;

/** Settings that may change while the simulator runs (`configure`, `PATCH /_simulator/config`). */
export const SettingsSchema = z.object({
  /** The hub's `/webhooks/whatsapp`. Without it, deliveries fail and are retried until one is set. */
  webhookUrl: z.url({ protocol: /^https?$/ }).nullable().default(null),
  appSecret: z.string().min(1).default('simulator-app-secret'),
  statusDelaysMs: z
    .object({ sent: ms.default(50), delivered: ms.default(150), read: ms.default(400) })
    .prefault({}),
  /**
   * How long each Graph request waits before it is handled and answered, drawn evenly from
   * [min, max]: Meta's own answers take 100–300 ms, the simulator's well under one (0 by default).
   */
  answerDelayMs: z
    .object({ min: ms.default(0), max: ms.default(0) })
    .prefault({})
    .refine((d) => d.max >= d.min, { message: 'answerDelayMs.max must be at least answerDelayMs.min' }),
  /** Probability that a status webhook is delivered twice (Meta retries and batches: expect duplicates). */
  duplicateRate: rate.default(0),
  /** Probability that a message's statuses arrive out of order (two neighbours swapped). */
  outOfOrderRate: rate.default(0),
  /**
   * Status webhooks batched as Meta does under load (status-batcher.ts): the statuses of one
   * number falling due within `windowMs` go out in one POST of at most `maxUpdates` (Meta's most
   * by default). 0 sends one POST per status.
   */
  webhookBatch: z
    .object({ windowMs: ms.default(0), maxUpdates: z.number().int().min(1).max(MAX_WEBHOOK_UPDATES).default(MAX_WEBHOOK_UPDATES) })
    .prefault({}),
  /** A `to` nobody registered: becomes a new customer (`accept`) or fails 131026 like a number without WhatsApp. */
  unknownRecipients: z.enum(['accept', 'undeliverable']).default('accept'),
  /** Numbers that are not on WhatsApp: sends are accepted, then fail with status 131026. */
  undeliverableNumbers: z.array(z.string()).default([]),
  /**
   * Which policy errors come as a `failed` status webhook after a 200 instead of a Graph error.
   * Meta reports 131026 and 131050 asynchronously; 131047 has been seen both ways (NOTES, "Sources disagree" 10).
   */
  asyncFailures: z.array(z.union([z.literal(131026), z.literal(131047), z.literal(131050)])).default([131026, 131050]),
  /** The customer service window (NOTES §12). */
  serviceWindowMs: ms.default(24 * 60 * 60 * 1000),
  /** Pair rate limit (NOTES §9): about 1 message per 6 s per user, bursts of up to 45. */
  pairRateLimit: z.object({ capacity: z.number().int().positive().default(45), refillIntervalMs: z.number().int().positive().default(6_000) }).prefault({}),
  /** Media download URLs expire after 5 minutes (NOTES §10). */
  mediaUrlTtlMs: z.number().int().positive().default(5 * 60 * 1000),
  /**
   * `GET /{media-id}` returns `sha256`; Meta's sample (graph-media-metadata.json) is hex while
   * webhooks carry base64. Choose what the hub should be tested against.
   */
  mediaSha256Encoding: z.enum(['hex', 'base64']).default('hex'),
  /** How long a created template stays PENDING before the review webhook. */
  templateReviewDelayMs: ms.default(1_000),
  webhookRetry: z
    .object({
      baseDelayMs: z.number().int().positive().default(1_000),
      maxDelayMs: z.number().int().positive().default(60_000),
      maxAttempts: z.number().int().positive().default(10),
      timeoutMs: z.number().int().positive().default(10_000),
    })
    .prefault({}),
  /** Base URL put in webhook media `url`s; defaults to the address `listen` returned. */
  publicBaseUrl: z.url().nullable().default(null),
});
export type Settings = z.output<typeof SettingsSchema>;
export type SettingsInput = z.input<typeof SettingsSchema>;

export const ConversationScriptSchema = z.object({
  /** Customers (id, waId or BSUID) taking part; all customers when omitted. */
  customers: z.array(z.string()).optional(),
  /** The business number they write to; the first number when omitted. */
  numberId: z.string().optional(),
  /** Average time between two customer-initiated messages. */
  intervalMs: z.number().int().positive().default(5_000),
  /** Lines customers write; a built-in multilingual set when omitted. */
  script: z.array(z.string().min(1)).optional(),
  /** Delay before a customer reacts to what it received. */
  replyDelayMs: ms.default(1_000),
  /** Probability of reacting 👍 to a free-form message. */
  reactRate: rate.default(0.25),
  /** Probability of answering a free-form message with a line of the script. */
  replyRate: rate.default(0.3),
});
export type ConversationScript = z.input<typeof ConversationScriptSchema>;
