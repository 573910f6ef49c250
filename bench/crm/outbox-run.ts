/**
 * The sync as the product runs it: contacts in a real SQLite database (a file), one
 * `message.received` event per message published to the `crm-sync` subscriber, and one job worker
 * with every CRM job (as `switchboard worker` registers them) running until the outbox is empty:
 * the subscriber appends to `crm_outbox`, `crm.flush` links the contacts (key lookup, phone
 * search, then one `batch/upsert` for the new ones) and logs the messages 100 per
 * `communications/batch/create`. "Drained" means the outbox empty and no job pending or running.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectDatabase, migrateToLatest, type DatabaseHandle } from '../../src/db/connect.js';
import { SqlJobQueue } from '../../src/jobs/sql-job-queue.js';
import { Worker } from '../../src/jobs/worker.js';
import { createContact } from '../../src/modules/contacts/index.js';
import { DEFAULT_FIELD_MAPS } from '../../src/modules/crm/core/field-mapping.js';
import { createTaskJob, updatePersonJob } from '../../src/modules/crm/sync/crm-command.jobs.js';
import type { CrmSyncDeps } from '../../src/modules/crm/sync/crm-sync.deps.js';
import { crmSyncRetryJob, crmSyncSubscriber } from '../../src/modules/crm/sync/crm-sync.subscriber.js';
import { crmFlushJob, crmOutboxReplayJob } from '../../src/modules/crm/sync/flush-crm-outbox.job.js';
import { eventPublisher, subscriberJob, type DomainEvent, type EventPublisher } from '../../src/modules/events/index.js';
import { systemClock } from '../../src/platform/clock.js';
import { uuidGenerator } from '../../src/platform/ids.js';
import { createLogger } from '../../src/platform/logger.js';
import type { Harness } from './hubspot-runs.js';
import type { Workload } from './workload.js';

export type OutboxRun = {
  /** Publishes the workload's messages (again, under new event ids when `replay` is set) and drains; returns the time taken. */
  sync(messages: Workload['messages'], replay?: string): Promise<{ elapsedMs: number; failed: number }>;
  close(): Promise<void>;
};

export async function outboxRun(h: Harness, w: Workload): Promise<OutboxRun> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-crm-bench-'));
  const handle: DatabaseHandle = connectDatabase(`sqlite:${join(dir, 'bench.db')}`);
  await migrateToLatest(handle.db);
  const db = handle.db;
  const clock = systemClock;
  const contactIds: string[] = [];
  for (const c of w.contacts) {
    const created = await createContact(db, { name: `${c.firstName} ${c.lastName}`, phone: c.phone }, { clock, ids: uuidGenerator, defaultRegion: 'US' });
    if (!created.ok) throw created.error;
    contactIds.push(created.value.id);
  }
  const queue = new SqlJobQueue(db, handle.dialect, clock, uuidGenerator, 8);
  const enqueue: CrmSyncDeps['enqueue'] = (exec, jobs) => queue.enqueue(exec, jobs);
  const deps: CrmSyncDeps = { db, connector: h.connector, fieldMap: DEFAULT_FIELD_MAPS.hubspot, clock, ids: uuidGenerator, defaultRegion: 'US', publish: async () => {}, enqueue };
  const subscriber = crmSyncSubscriber(deps);
  const publish: EventPublisher = eventPublisher([subscriber], enqueue);
  deps.publish = publish;
  const worker = new Worker(queue, [subscriberJob(subscriber), crmFlushJob(deps), crmOutboxReplayJob(deps), crmSyncRetryJob(deps), updatePersonJob(deps), createTaskJob(deps)], {
    batchSize: 100,
    pollIntervalMs: 50,
    clock,
    log: createLogger('silent'),
  });
  const count = async (query: Promise<{ n: number | string }>) => Number((await query).n);

  return {
    async sync(messages, replay = '') {
      const events: DomainEvent[] = messages.map((m, k) => ({
        type: 'message.received',
        id: `bench-event-${replay}${k}`,
        contactId: contactIds[m.contactIndex]!,
        wamid: m.wamid,
        businessPhoneNumberId: '1234567890',
        messageType: 'text',
        text: m.body,
        reply: null,
        quotedWamid: null,
        occurredAt: m.occurredAt,
      }));
      for (let i = 0; i < events.length; i += 500) await publish(db, events.slice(i, i + 500));
      const start = performance.now();
      worker.start();
      queue.notify();
      for (;;) {
        await sleep(100);
        const open = await count(db.selectFrom('jobs').select((eb) => eb.fn.countAll<number>().as('n')).where('state', 'in', ['pending', 'running']).executeTakeFirstOrThrow());
        const pending = await count(db.selectFrom('crm_outbox').select((eb) => eb.fn.countAll<number>().as('n')).where('state', '=', 'pending').executeTakeFirstOrThrow());
        if (open === 0 && pending === 0) break;
      }
      const elapsedMs = performance.now() - start;
      await worker.stop();
      const dead = await count(db.selectFrom('crm_outbox').select((eb) => eb.fn.countAll<number>().as('n')).where('state', '=', 'dead').executeTakeFirstOrThrow());
      return { elapsedMs, failed: dead };
    },
    async close() {
      await worker.stop();
      await handle.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
