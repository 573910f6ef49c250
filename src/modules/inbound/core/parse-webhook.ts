/**
 * Turns a WhatsApp Cloud API webhook body into domain events (inbound-event.ts). Pure: no I/O, no
 * clock. Field shapes and quirks: shared/meta/NOTES.md §3–6.
 *
 * Robustness rules, because Meta's payloads drift and one bad item must not cost the others:
 * - A valid envelope never makes `toInboundEvents` throw; every field is read leniently.
 * - Every `raw` is the item object exactly as Meta sent it (same reference).
 * - Nothing is silently dropped. An item that cannot become its event (not an object, or no `id`
 *   for messages/statuses/echoes: without a wamid we could neither dedupe nor answer it, and a
 *   made-up one would collide) is not emitted on its own; instead its whole change is *also*
 *   emitted as a `field_update` carrying the raw `value`, next to the events that did parse.
 *   A change that yields no event at all (unknown field, empty or odd value) is a `field_update`.
 */
import type {
  BusinessNumber,
  DeliveryStatus,
  FieldUpdate,
  InboundEvent,
  MessageContent,
  MessageContext,
  MessageReceived,
  MediaRef,
  MetaError,
  Referral,
  SharedContact,
  UserIdentity,
} from './inbound-event.js';
import {
  MetaErrorSchema,
  UserIdUpdateSchema,
  UserPreferenceSchema,
  WebhookEnvelopeSchema,
  WebhookMessageEchoSchema,
  WebhookMessageSchema,
  WebhookStatusSchema,
  WebhookValueSchema,
  type WebhookChange,
  type WebhookContact,
  type WebhookEntry,
  type WebhookEnvelope,
  type WebhookError,
  type WebhookInteractive,
  type WebhookMedia,
  type WebhookMessage,
  type WebhookOrder,
  type WebhookSharedContact,
  type WebhookValue,
} from './webhook.schema.js';

export type { WebhookEnvelope } from './webhook.schema.js';

export type ParseEnvelopeResult =
  | { ok: true; envelope: WebhookEnvelope; fields: string[] }
  | { ok: false; code: 'NOT_WHATSAPP_ENVELOPE'; message: string };

/** Checks only the envelope; the items inside are read leniently later by `toInboundEvents`. */
export function parseWebhookEnvelope(body: unknown): ParseEnvelopeResult {
  const parsed = WebhookEnvelopeSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'body';
    return { ok: false, code: 'NOT_WHATSAPP_ENVELOPE', message: `not a WhatsApp webhook: ${where}: ${issue?.message ?? 'invalid'}` };
  }
  const fields = [...new Set(parsed.data.entry.flatMap((entry) => entry.changes.map((change) => change.field)))];
  return { ok: true, envelope: parsed.data, fields };
}

export function toInboundEvents(envelope: WebhookEnvelope): InboundEvent[] {
  return envelope.entry.flatMap((entry) => entry.changes.flatMap((change) => changeToEvents(entry, change)));
}

// ---------------------------------------------------------------------------------------------
// Per change

/** What every item of one change shares. */
type Scope = {
  wabaId: string;
  business: BusinessNumber | null;
  contacts: WebhookContact[];
  /** `entry.time` in ms, used when an item has no readable timestamp of its own (else 0). */
  fallbackTime: number;
};

/** `null` marks an item that could not become an event (see the robustness rules above). */
type Mapped = InboundEvent | null;

function changeToEvents(entry: WebhookEntry, change: WebhookChange): InboundEvent[] {
  const wabaId = entry.id ?? '';
  const time = entry.time === undefined ? null : entry.time * 1000;
  const fieldUpdate: FieldUpdate = { kind: 'field_update', wabaId, field: change.field, time, value: change.value };
  const value = WebhookValueSchema.safeParse(change.value);
  if (!value.success) return [fieldUpdate];
  const scope: Scope = {
    wabaId,
    business: businessNumber(value.data),
    contacts: (value.data.contacts ?? []).filter(isDefined),
    fallbackTime: time ?? 0,
  };
  const mapped = mapField(change.field, value.data, scope);
  const events = mapped.filter(isDefined);
  return events.length > 0 && events.length === mapped.length ? events : [...events, fieldUpdate];
}

function mapField(field: string, value: WebhookValue, scope: Scope): Mapped[] {
  switch (field) {
    case 'messages':
      return [
        ...eachItem(value.messages, (raw) => messageEvent(raw, scope)),
        ...eachItem(value.statuses, (raw) => statusEvent(raw, scope)),
        ...webhookErrors(value.errors, scope),
      ];
    case 'smb_message_echoes':
      return eachItem(value.message_echoes, (raw) => echoEvent(raw, scope));
    case 'user_preferences':
      return eachItem(value.user_preferences, (raw) => preferenceEvent(raw, scope));
    case 'user_id_update':
      return eachItem(value.user_id_update, (raw) => bsuidEvent(raw, scope));
    default:
      return [];
  }
}

function eachItem(items: unknown[] | undefined, map: (raw: unknown) => Mapped): Mapped[] {
  return (items ?? []).map(map);
}

/** Routing key is `phone_number_id`, so it is kept even if the display number is missing. */
function businessNumber(value: WebhookValue): BusinessNumber | null {
  const phoneNumberId = value.metadata?.phone_number_id;
  if (!phoneNumberId) return null;
  return { phoneNumberId, displayPhoneNumber: value.metadata?.display_phone_number ?? '' };
}

// ---------------------------------------------------------------------------------------------
// Messages

function messageEvent(raw: unknown, scope: Scope): Mapped {
  const parsed = WebhookMessageSchema.safeParse(raw);
  if (!parsed.success) return null;
  const m = parsed.data;
  if (!m.id) return null;
  const common = {
    wabaId: scope.wabaId,
    business: scope.business,
    wamid: m.id,
    from: identity({ waId: m.from, bsuid: m.from_user_id, parentBsuid: m.from_parent_user_id }, scope.contacts),
    timestamp: ms(m.timestamp, scope.fallbackTime),
  };
  if (m.type === 'reaction' && m.reaction?.message_id) {
    // Removing a reaction sends `emoji: ""` or no `emoji` at all.
    return { kind: 'reaction_changed', ...common, targetWamid: m.reaction.message_id, emoji: m.reaction.emoji || null, raw };
  }
  if (m.type === 'system' && m.system?.type === 'user_changed_number') {
    // `from` is the old number; `system.wa_id`/`user_id` are the new ones. No `contacts` is sent.
    const { wa_id, user_id, body } = m.system;
    return { kind: 'user_changed_number', ...common, newWaId: wa_id ?? null, newBsuid: user_id ?? null, body: body ?? null, raw };
  }
  return {
    kind: 'message_received',
    ...common,
    ...describeMessage(m, raw),
    context: messageContext(m.context),
    referral: referral(m.referral),
    errors: metaErrors(m.errors),
    raw,
  };
}

type Description = Pick<MessageReceived, 'type' | 'rawType' | 'text' | 'media' | 'content'>;

/** Type-specific reading. A type we do not model (or a reaction without a target) is `unknown`. */
function describeMessage(m: WebhookMessage, raw: unknown): Description {
  const rawType = m.type ?? '';
  const nothing = { rawType, text: null, media: null, content: null };
  switch (rawType) {
    case 'text':
      return { ...nothing, type: 'text', text: nonEmpty(m.text?.body) };
    case 'image':
    case 'video':
    case 'audio':
    case 'document':
    case 'sticker': {
      const media = m[rawType];
      return { ...nothing, type: rawType, text: nonEmpty(media?.caption), media: mediaRef(media) };
    }
    case 'location': {
      const loc = m.location;
      if (!loc) return { ...nothing, type: 'location' };
      const content: MessageContent =
        loc.latitude !== undefined && loc.longitude !== undefined
          ? { type: 'location', latitude: loc.latitude, longitude: loc.longitude, name: loc.name ?? null, address: loc.address ?? null, url: loc.url ?? null }
          : { type: 'raw', value: ownField(raw, 'location') };
      return { ...nothing, type: 'location', text: nonEmpty(loc.name), content };
    }
    case 'contacts':
      return { ...nothing, type: 'contacts', content: m.contacts ? { type: 'contacts', contacts: m.contacts.filter(isDefined).map(sharedContact) } : null };
    case 'interactive':
      return { ...nothing, type: 'interactive', ...interactive(m.interactive, ownField(raw, 'interactive')) };
    case 'button': {
      // Template quick reply. `payload` is the developer's payload, or the label when none was set.
      const payload = m.button?.payload ?? m.button?.text;
      const text = m.button?.text ?? payload;
      if (payload === undefined || text === undefined) return { ...nothing, type: 'button', content: m.button ? { type: 'raw', value: ownField(raw, 'button') } : null };
      return { ...nothing, type: 'button', text: nonEmpty(text), content: { type: 'quick_reply', payload, text } };
    }
    case 'order':
      return { ...nothing, type: 'order', text: nonEmpty(m.order?.text), content: m.order ? order(m.order, ownField(raw, 'order')) : null };
    case 'system': {
      const sys = m.system;
      const content: MessageContent | null = sys ? { type: 'system', systemType: sys.type ?? '', body: sys.body ?? null } : null;
      return { ...nothing, type: 'system', text: nonEmpty(sys?.body), content };
    }
    case 'unsupported':
      // The reason is in the message's `errors` (131051); `unsupported.type` names the feature (poll, edit, …).
      return { ...nothing, type: 'unsupported', content: { type: 'unsupported', unsupportedType: m.unsupported?.type ?? null } };
    default:
      return { ...nothing, type: 'unknown', content: { type: 'raw', value: ownField(raw, rawType) } };
  }
}

function mediaRef(media: WebhookMedia | undefined): MediaRef | null {
  if (!media?.id) return null;
  return {
    id: media.id,
    mimeType: media.mime_type ?? null,
    sha256: media.sha256 ?? null,
    caption: media.caption ?? null,
    filename: media.filename ?? null,
    url: media.url ?? null,
    voice: media.voice === true,
    animated: media.animated === true,
  };
}

function sharedContact(c: WebhookSharedContact): SharedContact {
  const n = c.name;
  const joined = [n?.first_name, n?.middle_name, n?.last_name].filter(Boolean).join(' ');
  return {
    formattedName: n?.formatted_name ?? (joined || null),
    phones: (c.phones ?? []).filter(isDefined).map((p) => ({ phone: p.phone ?? null, waId: p.wa_id ?? null, type: p.type ?? null })),
    emails: (c.emails ?? []).filter(isDefined).flatMap((e) => (e.email ? [{ email: e.email, type: e.type ?? null }] : [])),
    organization: c.org?.company ?? null,
  };
}

function interactive(i: WebhookInteractive | undefined, rawInteractive: unknown): Pick<Description, 'text' | 'content'> {
  // Meta sometimes sends `type: interactive` with no `interactive` object (together with value.errors 131000).
  if (!i) return { text: null, content: null };
  const button = i.button_reply;
  if (i.type === 'button_reply' && button?.id !== undefined && button.title !== undefined) {
    return { text: nonEmpty(button.title), content: { type: 'button_reply', id: button.id, title: button.title } };
  }
  const row = i.list_reply;
  if (i.type === 'list_reply' && row?.id !== undefined && row.title !== undefined) {
    return { text: nonEmpty(row.title), content: { type: 'list_reply', id: row.id, title: row.title, description: row.description ?? null } };
  }
  const flow = i.nfm_reply;
  if (i.type === 'nfm_reply' && flow) {
    // `body` is what the chat bubble shows ("Sent"); `response_json` holds the answers as a JSON string.
    const content: MessageContent = { type: 'flow_reply', name: flow.name ?? null, body: flow.body ?? null, response: parseJsonString(flow.response_json) };
    return { text: nonEmpty(flow.body), content };
  }
  return { text: null, content: { type: 'raw', value: rawInteractive } };
}

/** A string that is not JSON (or a value that is not a string) is kept as it came. */
function parseJsonString(value: unknown): unknown {
  if (typeof value !== 'string') return value ?? null;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

/** All items readable, or the whole order kept raw: never a partial basket. */
function order(o: WebhookOrder, rawOrder: unknown): MessageContent {
  const items = (o.product_items ?? []).map((item) =>
    item?.product_retailer_id !== undefined && item.quantity !== undefined && item.item_price !== undefined && item.currency !== undefined
      ? { productRetailerId: item.product_retailer_id, quantity: item.quantity, itemPrice: item.item_price, currency: item.currency }
      : undefined,
  );
  const complete = items.filter(isDefined);
  if (o.catalog_id === undefined || complete.length !== items.length) return { type: 'raw', value: rawOrder };
  return { type: 'order', catalogId: o.catalog_id, text: nonEmpty(o.text), items: complete };
}

function messageContext(c: WebhookMessage['context']): MessageContext | null {
  if (!c) return null;
  const product = c.referred_product;
  return {
    from: c.from ?? null,
    quotedWamid: c.id ?? null,
    // Meta sets one flag or the other: `forwarded` up to 5 hops, `frequently_forwarded` beyond.
    forwarded: c.forwarded === true || c.frequently_forwarded === true,
    frequentlyForwarded: c.frequently_forwarded === true,
    referredProduct:
      product?.catalog_id !== undefined && product.product_retailer_id !== undefined
        ? { catalogId: product.catalog_id, productRetailerId: product.product_retailer_id }
        : null,
  };
}

function referral(r: WebhookMessage['referral']): Referral | null {
  if (!r) return null;
  return {
    sourceUrl: r.source_url ?? null,
    sourceId: r.source_id ?? null,
    sourceType: r.source_type ?? null,
    headline: r.headline ?? null,
    body: r.body ?? null,
    mediaType: r.media_type ?? null,
    imageUrl: r.image_url ?? null,
    videoUrl: r.video_url ?? null,
    thumbnailUrl: r.thumbnail_url ?? null,
    ctwaClid: r.ctwa_clid ?? null,
    welcomeMessage: r.welcome_message?.text ?? null,
  };
}

// ---------------------------------------------------------------------------------------------
// Statuses, errors and the other fields

const DELIVERY_STATUSES: readonly string[] = ['sent', 'delivered', 'read', 'played', 'failed'] satisfies DeliveryStatus[];

function isDeliveryStatus(s: string): s is DeliveryStatus {
  return DELIVERY_STATUSES.includes(s);
}

function statusEvent(raw: unknown, scope: Scope): Mapped {
  const parsed = WebhookStatusSchema.safeParse(raw);
  if (!parsed.success) return null;
  const s = parsed.data;
  if (!s.id) return null;
  const rawStatus = s.status ?? '';
  const { pricing, conversation } = s;
  return {
    kind: 'status_changed',
    wabaId: scope.wabaId,
    business: scope.business,
    wamid: s.id,
    rawStatus,
    status: isDeliveryStatus(rawStatus) ? rawStatus : null,
    timestamp: ms(s.timestamp, scope.fallbackTime),
    // `recipient_id` is absent when we sent to a BSUID; the contacts block is absent on `failed`.
    recipient: identity({ waId: s.recipient_id, bsuid: s.recipient_user_id, parentBsuid: s.recipient_parent_user_id }, scope.contacts),
    errors: metaErrors(s.errors),
    // CBP (before 2025-07) has no `type`; PMP adds it. `billable` is announced for deprecation.
    pricing: pricing
      ? { model: pricing.pricing_model ?? '', type: pricing.type ?? null, category: pricing.category ?? null, billable: pricing.billable ?? null }
      : null,
    // Omitted from webhook v24 on, except inside a free-entry-point window.
    conversation: conversation
      ? {
          id: conversation.id ?? null,
          originType: conversation.origin?.type ?? null,
          expiresAt: conversation.expiration_timestamp === undefined ? null : conversation.expiration_timestamp * 1000,
        }
      : null,
    bizOpaqueCallbackData: s.biz_opaque_callback_data ?? null,
    raw,
  };
}

/** `value.errors`: one event for the whole list; an unreadable item also surfaces the change raw. */
function webhookErrors(items: unknown[] | undefined, scope: Scope): Mapped[] {
  if (!items || items.length === 0) return [];
  const errors = items.flatMap((item) => {
    const parsed = MetaErrorSchema.safeParse(item);
    return parsed.success ? [metaError(parsed.data)] : [];
  });
  const event: Mapped[] = errors.length > 0 ? [{ kind: 'webhook_error', wabaId: scope.wabaId, business: scope.business, errors }] : [];
  return errors.length === items.length ? event : [...event, null];
}

function echoEvent(raw: unknown, scope: Scope): Mapped {
  const parsed = WebhookMessageEchoSchema.safeParse(raw);
  if (!parsed.success) return null;
  const e = parsed.data;
  if (!e.id) return null;
  return {
    kind: 'message_echoed',
    wabaId: scope.wabaId,
    business: scope.business,
    wamid: e.id,
    to: identity({ waId: e.to, bsuid: e.to_user_id, parentBsuid: e.to_parent_user_id }, scope.contacts),
    timestamp: ms(e.timestamp, scope.fallbackTime),
    type: e.type ?? '',
    text: describeMessage(e, raw).text,
    raw,
  };
}

function preferenceEvent(raw: unknown, scope: Scope): Mapped {
  const parsed = UserPreferenceSchema.safeParse(raw);
  if (!parsed.success) return null;
  const p = parsed.data;
  if (p.category === undefined || p.value === undefined) return null;
  return {
    kind: 'marketing_preference_changed',
    wabaId: scope.wabaId,
    business: scope.business,
    user: identity({ waId: p.wa_id, bsuid: p.user_id, parentBsuid: p.parent_user_id }, scope.contacts),
    category: p.category,
    value: p.value,
    detail: p.detail ?? null,
    timestamp: ms(p.timestamp, scope.fallbackTime),
  };
}

function bsuidEvent(raw: unknown, scope: Scope): Mapped {
  const parsed = UserIdUpdateSchema.safeParse(raw);
  const ids = parsed.success ? parsed.data.user_id : undefined;
  if (!parsed.success || !ids?.previous || !ids.current) return null;
  return {
    kind: 'bsuid_changed',
    wabaId: scope.wabaId,
    waId: parsed.data.wa_id ?? null,
    previousBsuid: ids.previous,
    currentBsuid: ids.current,
    timestamp: ms(parsed.data.timestamp, scope.fallbackTime),
  };
}

// ---------------------------------------------------------------------------------------------
// Shared helpers

function metaErrors(items: (WebhookError | undefined)[] | undefined): MetaError[] {
  return (items ?? []).filter(isDefined).map(metaError);
}

function metaError(e: WebhookError): MetaError {
  return {
    // Always present in practice; 0 rather than dropping an error Meta did report.
    code: e.code ?? 0,
    title: e.title ?? e.message ?? '',
    message: e.message ?? null,
    details: e.error_data?.details ?? null,
    href: e.href ?? null,
  };
}

type Ids = { waId: string | undefined; bsuid: string | undefined; parentBsuid: string | undefined };

/**
 * Merges the ids on the item with its `value.contacts[]` entry, matched on wa_id, else on BSUID,
 * else the only contact of the change, unless that one names a different wa_id or BSUID (then it
 * is someone else in a batch).
 */
function identity(ids: Ids, contacts: WebhookContact[]): UserIdentity {
  const contact = matchContact(ids, contacts);
  return {
    waId: ids.waId ?? contact?.wa_id ?? null,
    bsuid: ids.bsuid ?? contact?.user_id ?? null,
    parentBsuid: ids.parentBsuid ?? contact?.parent_user_id ?? null,
    profileName: contact?.profile?.name ?? null,
    username: contact?.profile?.username ?? null,
  };
}

function matchContact(ids: Ids, contacts: WebhookContact[]): WebhookContact | undefined {
  const byWaId = ids.waId === undefined ? undefined : contacts.find((c) => c.wa_id === ids.waId);
  if (byWaId) return byWaId;
  const byBsuid = ids.bsuid === undefined ? undefined : contacts.find((c) => c.user_id === ids.bsuid);
  if (byBsuid) return byBsuid;
  const only = contacts.length === 1 ? contacts[0] : undefined;
  const conflicts =
    only !== undefined &&
    ((ids.waId !== undefined && only.wa_id !== undefined) || (ids.bsuid !== undefined && only.user_id !== undefined));
  return conflicts ? undefined : only;
}

function ms(seconds: number | undefined, fallback: number): number {
  return seconds === undefined ? fallback : seconds * 1000;
}

function nonEmpty(s: string | undefined): string | null {
  return s ? s : null;
}

/** Reads a key only if it is the object's own (a `type` like "constructor" must not hit the prototype). */
function ownField(obj: unknown, key: string): unknown {
  return typeof obj === 'object' && obj !== null && Object.hasOwn(obj, key) ? (obj as Record<string, unknown>)[key] : null;
}

function isDefined<T>(x: T | undefined | null): x is T {
  return x !== undefined && x !== null;
}
