import type { DbExecutor } from '../../db/database.js';
import type { StatusChanged } from '../inbound/index.js';
import { completeOutboundSend } from '../timeline/index.js';
import { CALLBACK_PREFIX } from './outbound-sender.js';
import { outboxRepository } from './outbox.repository.js';

/**
 * A status webhook names our outbox row in `biz_opaque_callback_data`. When the row has no wamid
 * yet (the send's answer is still on its way, or was lost in a timeout or a crash), the status
 * proves Meta accepted it: the row takes the wamid and will not be sent again.
 * Call before the status is applied, so that it lands on the row's own timeline entry.
 *
 * `entry` is the timeline entry that carries the status's wamid, if any. When it is the row's own
 * entry (they share the id), the send was recorded already, and the row with it, both in one
 * transaction: nothing to read. That is every status of a send whose answer arrived first.
 * Returns whether it gave the row its wamid (the caller's `entry` is then out of date).
 */
export async function confirmSendFromStatus(exec: DbExecutor, event: StatusChanged, now: number, entry: { id: string } | undefined): Promise<boolean> {
  const callback = event.bizOpaqueCallbackData;
  if (!callback?.startsWith(CALLBACK_PREFIX)) return false;
  const outboxId = callback.slice(CALLBACK_PREFIX.length);
  if (entry?.id === outboxId) return false;
  const row = await outboxRepository.findById(exec, outboxId);
  if (!row || row.wamid !== null) return false;
  await outboxRepository.update(exec, row.id, { state: 'accepted', wamid: event.wamid, lease_until: null, updated_at: now });
  await completeOutboundSend(exec, row.id, event.wamid, now);
  return true;
}
