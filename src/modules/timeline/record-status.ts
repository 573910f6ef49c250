import type { DbExecutor } from '../../db/database.js';
import type { StatusChanged } from '../inbound/core/inbound-event.js';
import { statusRank } from './core/status-order.js';
import { messageRepository, type EntryOwner, type StatusTarget } from './message.repository.js';
import { newMessageRow } from './record-message.js';
import type { TimelineDeps } from './timeline.deps.js';

/**
 * Applies a delivery status to the message it is about. Safe in any order and any number of
 * times: each (wamid, status) is recorded once, and the message's status only moves forward.
 * A status for a wamid the hub has never seen (sent by another tool, or arriving before the hub
 * recorded its own send) creates an outbound entry of unknown content that a later send completes.
 * `entry` is the entry that carries the wamid, as the caller just read it with
 * `messageRepository.findStatusTarget` (undefined: none yet).
 * Returns the entry a new status was applied to (what subscribers are told about), or null when
 * the status was known already.
 */
export async function recordStatus(
  exec: DbExecutor,
  event: StatusChanged,
  recipientContactId: () => Promise<string>,
  deps: TimelineDeps,
  entry: StatusTarget | undefined,
): Promise<EntryOwner | null> {
  const now = deps.clock.now();
  const pricing = event.pricing ? JSON.stringify(event.pricing) : null;
  const firstSeen = await messageRepository.addStatusEvent(exec, {
    wamid: event.wamid,
    status: event.rawStatus,
    wa_timestamp: event.timestamp,
    errors: event.errors.length > 0 ? JSON.stringify(event.errors) : null,
    pricing,
    received_at: now,
  });
  // Seen before: its effects were committed together with that first record.
  if (!firstSeen || event.status === null) return null;

  const rank = statusRank(event.status);
  let owner = entry;
  if (owner === undefined) {
    const row = {
      ...newMessageRow(deps, await recipientContactId(), event.wamid, event.timestamp),
      business_phone_number_id: event.business?.phoneNumberId ?? null,
      direction: 'outbound' as const,
      status: event.status,
      status_rank: rank,
    };
    // Not added: another worker's status for the same wamid added the entry first (PostgreSQL).
    owner = (await messageRepository.insertIfAbsent(exec, row)) ? row : await messageRepository.findStatusTarget(exec, event.wamid);
    if (owner === undefined) throw new Error(`no timeline entry for ${event.wamid} after adding one`);
  }
  await messageRepository.applyStatus(exec, event.wamid, { status: event.status, rank, waTimestamp: event.timestamp, pricing }, now, owner);
  const error = event.errors[0];
  if (event.status === 'failed' && error) {
    // Kept even when a later `read` outranks the failure: the code explains what happened.
    await messageRepository.setError(exec, event.wamid, { code: error.code, title: error.title, details: error.details }, now);
  }
  return owner;
}
