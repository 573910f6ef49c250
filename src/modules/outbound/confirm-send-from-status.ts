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
 */
export async function confirmSendFromStatus(exec: DbExecutor, event: StatusChanged, now: number): Promise<void> {
  const callback = event.bizOpaqueCallbackData;
  if (!callback?.startsWith(CALLBACK_PREFIX)) return;
  const row = await outboxRepository.findById(exec, callback.slice(CALLBACK_PREFIX.length));
  if (!row || row.wamid !== null) return;
  await outboxRepository.update(exec, row.id, { state: 'accepted', wamid: event.wamid, lease_until: null, updated_at: now });
  await completeOutboundSend(exec, row.id, event.wamid, now);
}
