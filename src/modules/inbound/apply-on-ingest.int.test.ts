import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { inboundTestDeps } from '../../../test/support/inbound-test-deps.js';
import { statusBody, statusWebhook } from '../../../test/support/status-webhook.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../../test/support/test-databases.js';
import { SqlJobQueue } from '../../jobs/sql-job-queue.js';
import { Worker } from '../../jobs/worker.js';
import { ManualClock } from '../../platform/clock.js';
import { uuidGenerator } from '../../platform/ids.js';
import { createLogger } from '../../platform/logger.js';
import { applyWithInboundDeps, type ApplyOnIngest } from './apply-on-ingest.js';
import { createWebhookIngestor, type WebhookIngestor } from './ingest-webhook.js';
import { processInboundEventJob, PROCESS_INBOUND_EVENT } from './process-inbound-event.job.js';
import { signatureFor } from './webhook-signature.js';

const SECRET = 'test-app-secret';
const fixture = (name: string) => readFileSync(new URL(`../../../test/fixtures/meta/${name}.json`, import.meta.url));

describe.each(DIALECTS)('statuses applied on ingest, on %s', (dialect) => {
  let database: TestDatabase;
  let clock: ManualClock;
  let queue: SqlJobQueue;
  let worker: Worker;
  /** Errors the applier reported; `failFor` makes it fail for a wamid. */
  let reported: string[];
  let failFor: Set<string>;
  let ingestor: WebhookIngestor;
  const log = createLogger('silent');

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await database.drop();
  });
  beforeEach(async () => {
    for (const table of ['message_statuses', 'messages', 'contacts', 'dead_letters', 'jobs', 'inbox_events'] as const) await database.db.deleteFrom(table).execute();
    clock = new ManualClock(Date.UTC(2026, 10, 1));
    queue = new SqlJobQueue(database.db, database.dialect, clock, uuidGenerator, 5);
    const deps = inboundTestDeps(clock, () => queue);
    reported = [];
    failFor = new Set();
    const real = applyWithInboundDeps(deps, log);
    const applier: ApplyOnIngest = {
      async apply(exec, events) {
        await real.apply(exec, events);
        // After the real writes, so that a failure has something to take back.
        const failing = events.find((event) => event.kind === 'status_changed' && failFor.has(event.wamid));
        if (failing) throw new Error(`cannot apply ${failing.kind === 'status_changed' ? failing.wamid : ''}`);
      },
      onError: (error) => reported.push((error as Error).message),
    };
    ingestor = createWebhookIngestor({ database, queue, clock, ids: uuidGenerator, appSecret: SECRET, applyOnIngest: applier });
    worker = new Worker(queue, [processInboundEventJob(deps)], { batchSize: 100, pollIntervalMs: 10, clock, log });
  });

  const ingest = async (body: Buffer) => {
    const result = await ingestor.ingest(body, signatureFor(body, SECRET));
    expect(result.ok).toBe(true);
  };
  const statusOf = async (wamid: string) => (await database.db.selectFrom('messages').select('status').where('wamid', '=', wamid).executeTakeFirst())?.status ?? null;
  const historyOf = async (wamid: string) =>
    (await database.db.selectFrom('message_statuses').select('status').where('wamid', '=', wamid).orderBy('status').execute()).map((row) => row.status);
  const inboundJobs = () => database.db.selectFrom('jobs').select(['payload', 'state']).where('name', '=', PROCESS_INBOUND_EVENT).execute();

  it('applies a webhook of statuses before answering it, and queues no job for it', async () => {
    await ingest(statusWebhook({ wamid: 'wamid.A', status: 'delivered', timestamp: 1791040200 }, { wamid: 'wamid.B', status: 'sent', timestamp: 1791040100 }));
    expect(await statusOf('wamid.A')).toBe('delivered');
    expect(await statusOf('wamid.B')).toBe('sent');
    expect(await inboundJobs()).toEqual([]);
    expect(reported).toEqual([]);
  });

  it('leaves a redelivered body alone, and applies statuses arriving in any order once each', async () => {
    const read = statusBody('wamid.A', 'read', 1791040300);
    await ingest(read);
    await ingest(statusBody('wamid.A', 'delivered', 1791040200));
    await ingest(read);
    await Promise.all([ingest(statusBody('wamid.A', 'sent', 1791040100)), ingest(read)]);
    expect(await statusOf('wamid.A')).toBe('read');
    expect(await historyOf('wamid.A')).toEqual(['delivered', 'read', 'sent']);
    expect(await database.db.selectFrom('inbox_events').select('id').execute()).toHaveLength(3);
    expect(await inboundJobs()).toEqual([]);
  });

  it('leaves a body with anything but statuses to its job', async () => {
    await ingest(fixture('batch-messages-and-statuses'));
    expect(await database.db.selectFrom('messages').select('id').execute()).toEqual([]);
    expect(await inboundJobs()).toEqual([expect.objectContaining({ state: 'pending' })]);
    expect(await worker.drain()).toBe(1);
    expect((await database.db.selectFrom('messages').select('id').execute()).length).toBeGreaterThan(1);
  });

  it('queues a body it could not apply, with nothing of the attempt left, and the worker applies it', async () => {
    failFor.add('wamid.BAD');
    await ingest(statusBody('wamid.BAD', 'delivered', 1791040200));
    expect(reported).toEqual(['cannot apply wamid.BAD']);
    expect(await statusOf('wamid.BAD')).toBeNull();
    expect(await historyOf('wamid.BAD')).toEqual([]);
    expect(await inboundJobs()).toEqual([expect.objectContaining({ state: 'pending' })]);
    expect(await worker.drain()).toBe(1);
    expect(await statusOf('wamid.BAD')).toBe('delivered');
  });

  it('applies the other bodies of a batch in which one fails', async () => {
    failFor.add('wamid.BAD');
    await Promise.all([
      ingest(statusBody('wamid.A', 'delivered', 1791040200)),
      ingest(statusBody('wamid.BAD', 'read', 1791040300)),
      ingest(statusBody('wamid.B', 'read', 1791040300)),
    ]);
    expect(await statusOf('wamid.A')).toBe('delivered');
    expect(await statusOf('wamid.B')).toBe('read');
    expect(await statusOf('wamid.BAD')).toBeNull();
    expect(await inboundJobs()).toHaveLength(1);
  });
});
