import type { DbExecutor } from '../../db/database.js';
import type { MessageReceived, MessageEchoed, UserChangedNumber } from '../inbound/core/inbound-event.js';
import { messageRepository, type MessageRow } from './message.repository.js';
import type { TimelineDeps } from './timeline.deps.js';

const json = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));

/** A timeline row with nothing but its identity and time; callers fill in what they know. */
export function newMessageRow(deps: TimelineDeps, contactId: string, wamid: string | null, waTimestamp: number): MessageRow {
  const now = deps.clock.now();
  return {
    id: deps.ids.next(),
    wamid,
    contact_id: contactId,
    business_phone_number_id: null,
    direction: 'inbound',
    type: 'unknown',
    text: null,
    status: null,
    status_rank: 0,
    error_code: null,
    error_title: null,
    error_details: null,
    wa_timestamp: waTimestamp,
    media: null,
    content: null,
    context: null,
    referral: null,
    pricing: null,
    raw: null,
    created_at: now,
    updated_at: now,
  };
}

/** Puts an inbound message on its contact's timeline, once: the wamid is the key. Returns whether it is new. */
export async function recordInboundMessage(exec: DbExecutor, event: MessageReceived, contactId: string, deps: TimelineDeps): Promise<boolean> {
  const firstError = event.errors[0];
  return messageRepository.insertIfAbsent(exec, {
    ...newMessageRow(deps, contactId, event.wamid, event.timestamp),
    business_phone_number_id: event.business?.phoneNumberId ?? null,
    type: event.type,
    text: event.text,
    error_code: firstError?.code ?? null,
    error_title: firstError?.title ?? null,
    error_details: firstError?.details ?? null,
    media: json(event.media),
    content: json(event.content),
    context: json(event.context),
    referral: json(event.referral),
    raw: json(event.raw),
  });
}

/** The `user_changed_number` notice itself, shown on the timeline where it happened. */
export async function recordNumberChangeNotice(exec: DbExecutor, event: UserChangedNumber, contactId: string, deps: TimelineDeps): Promise<void> {
  await messageRepository.insertIfAbsent(exec, {
    ...newMessageRow(deps, contactId, event.wamid, event.timestamp),
    business_phone_number_id: event.business?.phoneNumberId ?? null,
    type: 'system',
    text: event.body,
    raw: json(event.raw),
  });
}

/** A message the business sent from the WhatsApp Business app (coexistence) joins the timeline as outbound. */
export async function recordEchoedMessage(exec: DbExecutor, event: MessageEchoed, contactId: string, deps: TimelineDeps): Promise<void> {
  await messageRepository.insertIfAbsent(exec, {
    ...newMessageRow(deps, contactId, event.wamid, event.timestamp),
    business_phone_number_id: event.business?.phoneNumberId ?? null,
    direction: 'outbound',
    type: event.type,
    text: event.text,
    raw: json(event.raw),
  });
}
