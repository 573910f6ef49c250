/**
 * Zod schemas for WhatsApp Cloud API webhook bodies (see shared/meta/NOTES.md §3–6).
 *
 * Meta adds fields without notice and omits many others, so every object is loose (unknown keys
 * are kept) and every field is `lenient`: a missing or mistyped field becomes `undefined` instead
 * of failing its object. Only the envelope itself is strict, because it decides whether a body is
 * a WhatsApp webhook at all.
 */
import { z } from 'zod';

/** Never fails: the parsed value when it matches, `undefined` when it is missing or does not. */
const lenient = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);

/** A list whose unreadable items become `undefined` rather than losing the whole list. */
const list = <T extends z.ZodType>(item: T) => lenient(z.array(lenient(item)));

/** Items kept exactly as sent: they are parsed one by one so that each event's `raw` is the original. */
const rawList = lenient(z.array(z.unknown()));

const str = lenient(z.string());
const bool = lenient(z.boolean());

/** Meta sends numbers here; numeric strings are accepted too (ids and prices have been seen as strings). */
const num = lenient(z.union([z.number(), z.string().regex(/^-?\d{1,15}(\.\d{1,15})?$/).transform(Number)]));

/** Unix seconds: strings inside `messages`/`statuses`, integers in `entry[].time` and `user_preferences`. */
const epochSeconds = lenient(z.union([z.number().int().nonnegative(), z.string().regex(/^\d{1,12}$/).transform(Number)]));

// ---------------------------------------------------------------------------------------------
// Envelope

export const WebhookChangeSchema = z.looseObject({
  field: z.string(),
  /** Kept untouched (same reference): it is parsed per field by the event mapper. */
  value: z.unknown(),
});

export const WebhookEntrySchema = z.looseObject({
  /** The WABA id. */
  id: str,
  /** Only on account-level fields (templates, quality, account updates). */
  time: epochSeconds,
  changes: z.array(WebhookChangeSchema),
});

export const WebhookEnvelopeSchema = z.looseObject({
  object: z.literal('whatsapp_business_account'),
  entry: z.array(WebhookEntrySchema),
});

export type WebhookEnvelope = z.infer<typeof WebhookEnvelopeSchema>;
export type WebhookEntry = z.infer<typeof WebhookEntrySchema>;
export type WebhookChange = z.infer<typeof WebhookChangeSchema>;

// ---------------------------------------------------------------------------------------------
// Shared pieces of `value`

export const MetadataSchema = z.looseObject({ display_phone_number: str, phone_number_id: str });

/** `value.contacts[]`: who the messages/statuses of this change are from or to. */
export const WebhookContactSchema = z.looseObject({
  wa_id: str,
  user_id: str,
  parent_user_id: str,
  profile: lenient(z.looseObject({ name: str, username: str })),
});
export type WebhookContact = z.infer<typeof WebhookContactSchema>;

export const MetaErrorSchema = z.looseObject({
  code: num,
  title: str,
  message: str,
  error_data: lenient(z.looseObject({ details: str })),
  href: str,
});
export type WebhookError = z.infer<typeof MetaErrorSchema>;

// ---------------------------------------------------------------------------------------------
// Messages

const MediaSchema = z.looseObject({
  id: str,
  mime_type: str,
  sha256: str,
  caption: str,
  filename: str,
  url: str,
  voice: bool,
  animated: bool,
});
export type WebhookMedia = z.infer<typeof MediaSchema>;

const ContextSchema = z.looseObject({
  from: str,
  id: str,
  forwarded: bool,
  frequently_forwarded: bool,
  referred_product: lenient(z.looseObject({ catalog_id: str, product_retailer_id: str })),
});

const ReferralSchema = z.looseObject({
  source_url: str,
  source_id: str,
  source_type: str,
  headline: str,
  body: str,
  media_type: str,
  image_url: str,
  video_url: str,
  thumbnail_url: str,
  ctwa_clid: str,
  welcome_message: lenient(z.looseObject({ text: str })),
});

const SharedContactSchema = z.looseObject({
  name: lenient(z.looseObject({ formatted_name: str, first_name: str, middle_name: str, last_name: str })),
  org: lenient(z.looseObject({ company: str })),
  phones: list(z.looseObject({ phone: str, wa_id: str, type: str })),
  emails: list(z.looseObject({ email: str, type: str })),
});
export type WebhookSharedContact = z.infer<typeof SharedContactSchema>;

const InteractiveSchema = z.looseObject({
  type: str,
  button_reply: lenient(z.looseObject({ id: str, title: str })),
  list_reply: lenient(z.looseObject({ id: str, title: str, description: str })),
  // A JSON *string* as documented; anything else is kept as it came.
  nfm_reply: lenient(z.looseObject({ name: str, body: str, response_json: z.unknown() })),
});
export type WebhookInteractive = z.infer<typeof InteractiveSchema>;

const OrderSchema = z.looseObject({
  catalog_id: str,
  text: str,
  product_items: list(z.looseObject({ product_retailer_id: str, quantity: num, item_price: num, currency: str })),
});
export type WebhookOrder = z.infer<typeof OrderSchema>;

/** `value.messages[]`: one object named after `type` carries the type-specific content. */
export const WebhookMessageSchema = z.looseObject({
  id: str,
  /** Phone (wa_id); omitted for username users who withhold their number. */
  from: str,
  from_user_id: str,
  from_parent_user_id: str,
  timestamp: epochSeconds,
  type: str,
  text: lenient(z.looseObject({ body: str })),
  image: lenient(MediaSchema),
  video: lenient(MediaSchema),
  audio: lenient(MediaSchema),
  document: lenient(MediaSchema),
  sticker: lenient(MediaSchema),
  location: lenient(z.looseObject({ latitude: num, longitude: num, name: str, address: str, url: str })),
  contacts: list(SharedContactSchema),
  interactive: lenient(InteractiveSchema),
  button: lenient(z.looseObject({ payload: str, text: str })),
  reaction: lenient(z.looseObject({ message_id: str, emoji: str })),
  order: lenient(OrderSchema),
  system: lenient(z.looseObject({ body: str, wa_id: str, user_id: str, type: str })),
  unsupported: lenient(z.looseObject({ type: str })),
  context: lenient(ContextSchema),
  referral: lenient(ReferralSchema),
  errors: list(MetaErrorSchema),
});
export type WebhookMessage = z.infer<typeof WebhookMessageSchema>;

/** `value.message_echoes[]` (coexistence): a message shape sent by the business, with a recipient. */
export const WebhookMessageEchoSchema = WebhookMessageSchema.extend({
  to: str,
  to_user_id: str,
  to_parent_user_id: str,
});
export type WebhookMessageEcho = z.infer<typeof WebhookMessageEchoSchema>;

// ---------------------------------------------------------------------------------------------
// Statuses and other per-field items

export const WebhookStatusSchema = z.looseObject({
  id: str,
  status: str,
  timestamp: epochSeconds,
  /** Omitted when we sent to a BSUID and the phone cannot be shared. */
  recipient_id: str,
  recipient_user_id: str,
  recipient_parent_user_id: str,
  biz_opaque_callback_data: str,
  conversation: lenient(
    z.looseObject({ id: str, expiration_timestamp: epochSeconds, origin: lenient(z.looseObject({ type: str })) }),
  ),
  pricing: lenient(z.looseObject({ pricing_model: str, type: str, category: str, billable: bool })),
  errors: list(MetaErrorSchema),
});
export type WebhookStatus = z.infer<typeof WebhookStatusSchema>;

export const UserPreferenceSchema = z.looseObject({
  wa_id: str,
  user_id: str,
  parent_user_id: str,
  detail: str,
  category: str,
  value: str,
  timestamp: epochSeconds,
});
export type WebhookUserPreference = z.infer<typeof UserPreferenceSchema>;

const PreviousCurrentSchema = lenient(z.looseObject({ previous: str, current: str }));

export const UserIdUpdateSchema = z.looseObject({
  wa_id: str,
  detail: str,
  user_id: PreviousCurrentSchema,
  parent_user_id: PreviousCurrentSchema,
  timestamp: epochSeconds,
});
export type WebhookUserIdUpdate = z.infer<typeof UserIdUpdateSchema>;

/** `changes[].value`: which lists are present depends on `field`. */
export const WebhookValueSchema = z.looseObject({
  metadata: lenient(MetadataSchema),
  contacts: list(WebhookContactSchema),
  messages: rawList,
  statuses: rawList,
  errors: rawList,
  message_echoes: rawList,
  user_preferences: rawList,
  user_id_update: rawList,
});
export type WebhookValue = z.infer<typeof WebhookValueSchema>;
