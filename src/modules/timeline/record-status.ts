import type { DbExecutor } from '../../db/database.js';
import type { StatusChanged } from '../inbound/core/inbound-event.js';
import { statusRank } from './core/status-order.js';
import { messageRepository } from './message.repository.js';
import { newMessageRow } from './record-message.js';
import type { TimelineDeps } from './timeline.deps.js';

/**
 * Applies a delivery status to the message it is about. Safe in any order and any number of
 * times: each (wamid, status) is recorded once, and the message's status only moves forward.
 * A status for a wamid the hub has never seen (sent by another tool, or arriving before the hub
 * recorded its own send) creates an outbound entry of unknown content that a later send completes.
 * Returns whether this status was new (what subscribers are told about).
 */
export async function recordStatus(
  exec: DbExecutor,
  event: StatusChanged,
  recipientContactId: () => Promise<string>,
  deps: TimelineDeps,
): Promise<boolean> {
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
  if (!firstSeen || event.status === null) return false;

  const rank = statusRank(event.status);
  if ((await messageRepository.findIdByWamid(exec, event.wamid)) === undefined) {
    await messageRepository.insertIfAbsent(exec, {
      ...newMessageRow(deps, await recipientContactId(), event.wamid, event.timestamp),
      business_phone_number_id: event.business?.phoneNumberId ?? null,
      direction: 'outbound',
      status: event.status,
      status_rank: rank,
    });
  }
  await messageRepository.applyStatus(exec, event.wamid, { status: event.status, rank, waTimestamp: event.timestamp, pricing }, now);
  const error = event.errors[0];
  if (event.status === 'failed' && error) {
    // Kept even when a later `read` outranks the failure: the code explains what happened.
    await messageRepository.setError(exec, event.wamid, { code: error.code, title: error.title, details: error.details }, now);
  }
  return true;
}
