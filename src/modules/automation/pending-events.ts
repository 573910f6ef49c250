import type { DbExecutor } from '../../db/database.js';
import { domainEventSchema, type DomainEvent } from '../events/index.js';

/**
 * The per-contact order. Events reach the engine as queue jobs that can run concurrently, be
 * retried or be claimed out of order; before handling an event, the handler (holding the
 * contact's lease) looks for the contact's earlier events still waiting in the queue and handles
 * them first. An event is earlier when it occurred earlier, or at the same time and was
 * enqueued first.
 */

export type QueuedEvent = { event: DomainEvent; jobId: string; enqueuedAt: number };

const isEarlier = (a: QueuedEvent, b: QueuedEvent) =>
  a.event.occurredAt !== b.event.occurredAt ? a.event.occurredAt < b.event.occurredAt : a.enqueuedAt !== b.enqueuedAt ? a.enqueuedAt < b.enqueuedAt : a.jobId < b.jobId;

export async function isHandled(exec: DbExecutor, eventId: string): Promise<boolean> {
  return (await exec.selectFrom('automation_handled_events').select('event_id').where('event_id', '=', eventId).executeTakeFirst()) !== undefined;
}

export async function markHandled(exec: DbExecutor, event: { id: string; contactId: string; type: string; occurredAt: number }, now: number): Promise<void> {
  await exec
    .insertInto('automation_handled_events')
    .values({ event_id: event.id, contact_id: event.contactId, event_type: event.type, occurred_at: event.occurredAt, handled_at: now })
    .onConflict((oc) => oc.column('event_id').doNothing())
    .execute();
}

/** The contact's events waiting in `jobName` that come before `current`, oldest first, not yet handled. */
export async function earlierPendingEvents(exec: DbExecutor, jobName: string, current: QueuedEvent, mayTrigger: (event: DomainEvent) => boolean): Promise<QueuedEvent[]> {
  // The subscriber's jobs carry the contact as their ordering key (an index), whatever the backlog.
  const rows = await exec
    .selectFrom('jobs')
    .select(['id', 'payload', 'created_at'])
    .where('name', '=', jobName)
    .where('ordering_key', '=', current.event.contactId)
    .where('state', 'in', ['pending', 'running'])
    .where('id', '!=', current.jobId)
    .execute();
  const earlier: QueuedEvent[] = [];
  for (const row of rows) {
    const parsed = domainEventSchema.safeParse(JSON.parse(row.payload));
    if (!parsed.success || parsed.data.contactId !== current.event.contactId || parsed.data.id === current.event.id || !mayTrigger(parsed.data)) continue;
    const queued = { event: parsed.data, jobId: row.id, enqueuedAt: Number(row.created_at) };
    if (isEarlier(queued, current) && !(await isHandled(exec, parsed.data.id))) earlier.push(queued);
  }
  return earlier.sort((a, b) => (isEarlier(a, b) ? -1 : 1));
}

/** The job's own enqueue time (for ties), or now when it is unknown. */
export async function enqueuedAt(exec: DbExecutor, jobId: string, fallback: number): Promise<number> {
  const row = await exec.selectFrom('jobs').select('created_at').where('id', '=', jobId).executeTakeFirst();
  return row ? Number(row.created_at) : fallback;
}
