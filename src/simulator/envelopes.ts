/**
 * Webhook bodies with the exact nesting and key order of Meta's (test/fixtures/meta/*.json):
 * `entry[].id` is the WABA id, `messages`-field values carry `messaging_product` and `metadata`,
 * account-level fields carry `entry[].time` instead. Timestamps are strings of unix seconds in
 * messages/statuses and integers elsewhere (NOTES §3).
 */
import type { Customer } from './customers.js';
import type { StatusError } from './errors.js';
import type { PhoneNumber } from './schemas.js';

export type WebhookEnvelope = { object: 'whatsapp_business_account'; entry: unknown[] };

export const seconds = (ms: number) => Math.floor(ms / 1000);

/** `value.contacts[]`: profile, wa_id when the phone is shared, and the BSUID (2026). */
export function contactOf(customer: Customer): Record<string, unknown> {
  return {
    profile: { name: customer.name, ...(customer.username ? { username: customer.username } : {}) },
    ...(customer.waId ? { wa_id: customer.waId } : {}),
    user_id: customer.bsuid,
  };
}

function messagesField(number: PhoneNumber, field: string, value: Record<string, unknown>): WebhookEnvelope {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: number.wabaId,
        changes: [
          {
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: number.displayPhoneNumber, phone_number_id: number.phoneNumberId },
              ...value,
            },
            field,
          },
        ],
      },
    ],
  };
}

/** One inbound message; `content` holds `type` and its object (and `context` when replying). */
export function inboundMessageEnvelope(
  number: PhoneNumber,
  customer: Customer,
  wamid: string,
  atMs: number,
  content: Record<string, unknown> & { type: string },
): WebhookEnvelope {
  const { type, context, ...rest } = content;
  return messagesField(number, 'messages', {
    contacts: [contactOf(customer)],
    messages: [
      {
        // Username-only users come without `from` (inbound-text-username-no-phone.json).
        ...(customer.waId ? { from: customer.waId } : {}),
        from_user_id: customer.bsuid,
        id: wamid,
        timestamp: String(seconds(atMs)),
        type,
        ...rest,
        ...(context === undefined ? {} : { context }),
      },
    ],
  });
}

export type Pricing = {
  billable: boolean;
  pricing_model: 'PMP';
  type: 'regular' | 'free_customer_service';
  category: string;
};

export type StatusItem = {
  wamid: string;
  status: 'sent' | 'delivered' | 'read' | 'failed';
  atMs: number;
  /** `recipient_id`: the user's wa_id, absent when we sent to a BSUID and the phone is withheld. */
  recipientId: string | null;
  /** `recipient_user_id`: Meta omits it only on `failed` sends to a phone number (NOTES §5). */
  recipientUserId: string | null;
  bizOpaqueCallbackData: string | null;
  pricing: Pricing | null;
  errors: StatusError[] | null;
};

export type StatusUpdate = { customer: Customer | null; item: StatusItem };

/**
 * A status webhook: one number's statuses in one change, `value.statuses[]` in the order given
 * (Meta batches them: status-batcher.ts). `value.contacts[]` holds each customer of a
 * sent/delivered/read status once; `failed` alone brings none (NOTES §3).
 */
export function statusBatchEnvelope(number: PhoneNumber, updates: StatusUpdate[]): WebhookEnvelope {
  const contacts = new Map<Customer, Record<string, unknown>>();
  for (const { customer, item } of updates) {
    if (customer && item.status !== 'failed' && !contacts.has(customer)) contacts.set(customer, contactOf(customer));
  }
  return messagesField(number, 'messages', {
    ...(contacts.size > 0 ? { contacts: [...contacts.values()] } : {}),
    statuses: updates.map(({ item }) => ({
      id: item.wamid,
      status: item.status,
      timestamp: String(seconds(item.atMs)),
      ...(item.recipientId ? { recipient_id: item.recipientId } : {}),
      ...(item.recipientUserId ? { recipient_user_id: item.recipientUserId } : {}),
      ...(item.bizOpaqueCallbackData === null ? {} : { biz_opaque_callback_data: item.bizOpaqueCallbackData }),
      ...(item.pricing ? { pricing: item.pricing } : {}),
      ...(item.errors ? { errors: item.errors } : {}),
    })),
  });
}

/** `user_preferences`: the user stopped or resumed marketing messages (user-preferences-stop.json). */
export function userPreferencesEnvelope(number: PhoneNumber, customer: Customer, value: 'stop' | 'resume', atMs: number): WebhookEnvelope {
  return messagesField(number, 'user_preferences', {
    contacts: [contactOf(customer)],
    user_preferences: [
      {
        ...(customer.waId ? { wa_id: customer.waId } : {}),
        user_id: customer.bsuid,
        detail: value === 'stop' ? 'User requested to stop marketing messages' : 'User requested to resume marketing messages',
        category: 'marketing_messages',
        value,
        timestamp: seconds(atMs),
      },
    ],
  });
}

export type TemplateStatusUpdate = {
  event: string;
  message_template_id: number;
  message_template_name: string;
  message_template_language: string;
  reason: string | null;
  message_template_category: string;
  rejection_info?: { reason: string; recommendation: string };
  other_info?: { title: string; description: string };
};

/** `message_template_status_update` (template-status-approved.json): account level, so `time` and no metadata. */
export function templateStatusEnvelope(wabaId: string, atMs: number, value: TemplateStatusUpdate): Record<string, unknown> {
  return {
    entry: [{ id: wabaId, time: seconds(atMs), changes: [{ value, field: 'message_template_status_update' }] }],
    object: 'whatsapp_business_account',
  };
}
