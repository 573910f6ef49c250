import { sql } from 'kysely';
import type { DbExecutor } from '../../db/database.js';
import { ONE_ROW } from '../../db/one-row.js';
import { preparedQuery } from '../../db/prepared-query.js';
import { statusRank } from './core/status-order.js';
import { messageRepository, type MessageRow } from './message.repository.js';

/**
 * Outbound messages on the timeline. The entry appears when the message is queued (no wamid
 * yet) and is completed when Meta accepts it; statuses then arrive by wamid as for any message.
 */

export type QueuedEntry = {
  id: string;
  contactId: string;
  businessPhoneNumberId: string;
  type: string;
  text: string | null;
  content: unknown;
  queuedAt: number;
};

export async function recordOutboundQueued(exec: DbExecutor, entry: QueuedEntry): Promise<void> {
  // No wamid yet, so nothing for `wamid`'s unique key to skip: the row is always added.
  await messageRepository.insertIfAbsent(exec, {
    id: entry.id,
    wamid: null,
    contact_id: entry.contactId,
    business_phone_number_id: entry.businessPhoneNumberId,
    direction: 'outbound',
    type: entry.type,
    text: entry.text,
    status: 'queued',
    status_rank: statusRank('queued'),
    error_code: null,
    error_title: null,
    error_details: null,
    wa_timestamp: entry.queuedAt,
    media: null,
    content: JSON.stringify(entry.content),
    context: null,
    referral: null,
    pricing: null,
    raw: null,
    created_at: entry.queuedAt,
    updated_at: entry.queuedAt,
  });
}

type Completion = Pick<MessageRow, 'id' | 'status' | 'status_rank' | 'error_code' | 'error_title' | 'error_details' | 'pricing' | 'updated_at'> & { wamid: string };

const ACCEPTED = statusRank('accepted');

// Run for every send Meta accepts (src/db/prepared-query.ts). The usual case, no status before
// the answer: the entry takes the wamid and `accepted`, unless it is further on already, in one
// statement that needs no read of the entry.
const acceptEntry = preparedQuery((db, v: { id: string; wamid: string; now: number }) =>
  db
    .updateTable('messages')
    .set((eb) => ({
      wamid: v.wamid,
      status: eb.case().when('status_rank', '<', ACCEPTED).then('accepted').else(eb.ref('status')).end(),
      status_rank: eb.case().when('status_rank', '<', ACCEPTED).then(ACCEPTED).else(eb.ref('status_rank')).end(),
      updated_at: v.now,
    }))
    .where('id', '=', v.id),
);
const completeEntry = preparedQuery((db, v: Completion) =>
  db
    .updateTable('messages')
    .set({
      wamid: v.wamid,
      status: v.status,
      status_rank: v.status_rank,
      error_code: v.error_code,
      error_title: v.error_title,
      error_details: v.error_details,
      pricing: v.pricing,
      updated_at: v.updated_at,
    })
    .where('id', '=', v.id),
);

/**
 * Gives a queued entry the wamid Meta answered with. Status webhooks can beat us to it (Meta
 * answers the send and posts `sent` at nearly the same moment): they then created an entry of
 * unknown content under that wamid, which is folded into ours here, keeping the furthest status.
 */
export async function completeOutboundSend(exec: DbExecutor, entryId: string, wamid: string, now: number): Promise<void> {
  const early = await messageRepository.findByWamid(exec, wamid);
  if (early?.id === entryId) return;
  if (!early) {
    await acceptEntry.execute(exec, { id: entryId, wamid, now });
    return;
  }
  await exec.deleteFrom('messages').where('id', '=', early.id).execute();
  const entry = await messageRepository.findById(exec, entryId);
  if (!entry) return;
  const best: Pick<MessageRow, 'status' | 'status_rank'> =
    early.status_rank > Math.max(entry.status_rank, ACCEPTED)
      ? { status: early.status, status_rank: early.status_rank }
      : entry.status_rank > ACCEPTED
        ? { status: entry.status, status_rank: entry.status_rank }
        : { status: 'accepted', status_rank: ACCEPTED };
  await completeEntry.execute(exec, {
    id: entryId,
    wamid,
    ...best,
    error_code: entry.error_code ?? early.error_code,
    error_title: entry.error_title ?? early.error_title,
    error_details: entry.error_details ?? early.error_details,
    pricing: entry.pricing ?? early.pricing,
    updated_at: now,
  });
}

/** A send that will not happen: the entry shows `failed` with the reason (Meta's code when there is one). */
export async function failOutboundEntry(
  exec: DbExecutor,
  entryId: string,
  error: { code: number; title: string; details: string | null },
  now: number,
): Promise<void> {
  await exec
    .updateTable('messages')
    .set({ status: 'failed', status_rank: statusRank('failed'), error_code: error.code, error_title: error.title, error_details: error.details, updated_at: now })
    .where('id', '=', entryId)
    .where('status_rank', '<', statusRank('failed'))
    .execute();
}

/**
 * `direction = 'inbound'` with the value written into the SQL: only then may SQLite answer from
 * the partial index `messages_last_inbound` (migration 0009), whose WHERE a bound parameter does
 * not prove. Every read of a contact's inbound messages uses it, instead of reading all of them.
 */
export const INBOUND = sql.lit<'inbound'>('inbound');

// Every API accept and every send reads one of these (src/db/prepared-query.ts).
const lastInboundToNumber = preparedQuery((db, v: { contactId: string; businessPhoneNumberId: string }) =>
  db
    .selectFrom('messages')
    .select('wa_timestamp')
    .where('contact_id', '=', v.contactId)
    .where('direction', '=', INBOUND)
    .where('business_phone_number_id', '=', v.businessPhoneNumberId)
    .orderBy('wa_timestamp', 'desc')
    .limit(ONE_ROW),
);
const newestInbound = preparedQuery((db, v: { contactId: string }) =>
  db
    .selectFrom('messages')
    .select(['business_phone_number_id', 'wa_timestamp'])
    .where('contact_id', '=', v.contactId)
    .where('direction', '=', INBOUND)
    .where('business_phone_number_id', 'is not', null)
    .orderBy('wa_timestamp', 'desc')
    .limit(ONE_ROW),
);

/**
 * When the contact last wrote to a business number (epoch ms), for the 24-hour window. The
 * newest matching row rather than max(): walking `messages_last_inbound` from the newest, it
 * stops at the first message to that number, where max() with the number as a filter would
 * read all of the contact's inbound messages.
 */
export async function lastInboundAt(exec: DbExecutor, contactId: string, businessPhoneNumberId: string): Promise<number | null> {
  const row = await lastInboundToNumber.first(exec, { contactId, businessPhoneNumberId });
  return row === undefined ? null : Number(row.wa_timestamp);
}

/** The contact's most recent message to one of the business numbers: to which, and when. */
export type LastInbound = { businessPhoneNumberId: string; at: number };

/**
 * Which business number the contact wrote to most recently, and when (epoch ms); null if they
 * never wrote. The newest inbound message of all is also the newest to its own number, so this
 * one read serves both for picking the sending number and for that number's 24-hour window.
 */
export async function lastInbound(exec: DbExecutor, contactId: string): Promise<LastInbound | null> {
  const row = await newestInbound.first(exec, { contactId });
  return row?.business_phone_number_id ? { businessPhoneNumberId: row.business_phone_number_id, at: Number(row.wa_timestamp) } : null;
}

export async function findEntry(exec: DbExecutor, id: string): Promise<MessageRow | undefined> {
  return messageRepository.findById(exec, id);
}
