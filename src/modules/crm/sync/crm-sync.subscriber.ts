import { z } from 'zod';
import type { DbExecutor } from '../../../db/database.js';
import type { JobDefinition } from '../../../jobs/job-definition.js';
import { domainEventSchema, type DomainEvent, type EventSubscriber } from '../../events/index.js';
import { crmOutboxRepository } from './crm-outbox.repository.js';
import type { CrmSyncDeps } from './crm-sync.deps.js';
import { outboxKindOf } from './crm-sync-work.js';

export const CRM_SYNC_SUBSCRIBER = 'crm-sync';
/** Jobs of the per-event sync that preceded the outbox; still drained (into the outbox) after an upgrade. */
export const CRM_SYNC_RETRY = 'crm.sync_retry';

const retryPayload = z.object({ event: domainEventSchema, generation: z.number().int().min(1) });

/**
 * Every message and consent change of a contact, put in the CRM sync outbox in the event's own
 * delivery transaction (no network here), and the connector's `crm.flush` job woken. The flush
 * job (flush-crm-outbox.job.ts) links the contacts and logs the messages in batches.
 */
export function crmSyncSubscriber(deps: CrmSyncDeps): EventSubscriber {
  return {
    name: CRM_SYNC_SUBSCRIBER,
    handles: ['message.received', 'message.queued', 'consent.changed'],
    mode: 'transaction',
    handle: (event, ctx) => appendToOutbox(ctx.trx, event, deps),
  };
}

export function crmSyncRetryJob(deps: CrmSyncDeps): JobDefinition<typeof retryPayload> {
  return {
    name: CRM_SYNC_RETRY,
    payload: retryPayload,
    mode: 'transaction',
    handle: ({ event }, ctx) => appendToOutbox(ctx.trx, event, deps),
  };
}

export async function appendToOutbox(exec: DbExecutor, event: DomainEvent, deps: CrmSyncDeps): Promise<void> {
  const kind = outboxKindOf(event);
  if (!kind || !('contactId' in event)) return;
  const wake = await crmOutboxRepository.append(exec, { connector: deps.connector.kind, contactId: event.contactId, kind, event }, deps.clock.now());
  await deps.enqueue(exec, [wake]);
}
