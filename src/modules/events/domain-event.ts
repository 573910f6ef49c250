import { z } from 'zod';

/**
 * What happened to a contact, told to every subscriber (CRM sync, automation, the inbox's live
 * updates). Each event has an `id` that is stable across replays, so a subscriber's job is
 * enqueued once per event however often the cause is processed again.
 */
const reply = z.object({
  kind: z.enum(['button', 'list', 'quick_reply']),
  /** The button's or row's id (quick-reply buttons of templates carry a payload). */
  payload: z.string(),
  title: z.string(),
});

const messageReceived = z.object({
  type: z.literal('message.received'),
  id: z.string(),
  contactId: z.string(),
  wamid: z.string(),
  businessPhoneNumberId: z.string().nullable(),
  messageType: z.string(),
  text: z.string().nullable(),
  /** Set when the message is a tap on a button or a list row. */
  reply: reply.nullable(),
  /** The wamid of the message this one quotes (a reply to a template, …). */
  quotedWamid: z.string().nullable(),
  occurredAt: z.number(),
});

const messageQueued = z.object({
  type: z.literal('message.queued'),
  id: z.string(),
  contactId: z.string(),
  /** The outbound message's id (`GET /api/v1/messages/{id}`). */
  messageId: z.string(),
  businessPhoneNumberId: z.string(),
  messageType: z.string(),
  text: z.string().nullable(),
  templateName: z.string().nullable(),
  occurredAt: z.number(),
});

const messageStatus = z.object({
  type: z.literal('message.status'),
  id: z.string(),
  contactId: z.string(),
  /** Null for a send that failed before Meta accepted it (then `outboundMessageId` is set). */
  wamid: z.string().nullable(),
  outboundMessageId: z.string().nullable(),
  businessPhoneNumberId: z.string().nullable(),
  status: z.string(),
  errors: z.array(z.object({ code: z.number(), title: z.string() })),
  occurredAt: z.number(),
});

const consentChanged = z.object({
  type: z.literal('consent.changed'),
  id: z.string(),
  contactId: z.string(),
  businessPhoneNumberId: z.string().nullable(),
  category: z.string(),
  action: z.enum(['opt_out', 'opt_in']),
  source: z.string(),
  occurredAt: z.number(),
});

/** A person was created or changed in the CRM (built-in or external) and is linked to `contactId`. */
const crmPersonChanged = z.object({
  type: z.literal('crm.person_changed'),
  id: z.string(),
  contactId: z.string(),
  change: z.enum(['created', 'updated']),
  connector: z.string(),
  crmId: z.string(),
  tags: z.array(z.string()),
  /** Switchboard field names (after the field mapping) → values, as they are after the change. */
  fields: z.record(z.string(), z.string().nullable()),
  ownerId: z.string().nullable(),
  occurredAt: z.number(),
});

export const domainEventSchema = z.discriminatedUnion('type', [messageReceived, messageQueued, messageStatus, consentChanged, crmPersonChanged]);

export type DomainEvent = z.infer<typeof domainEventSchema>;
export type DomainEventType = DomainEvent['type'];
export type DomainEventOf<T extends DomainEventType> = Extract<DomainEvent, { type: T }>;
