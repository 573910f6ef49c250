import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { inboundTestDeps } from '../../../test/support/inbound-test-deps.js';
import { statusBody } from '../../../test/support/status-webhook.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../../test/support/test-databases.js';
import { SqlJobQueue } from '../../jobs/sql-job-queue.js';
import { Worker } from '../../jobs/worker.js';
import { ManualClock } from '../../platform/clock.js';
import { uuidGenerator } from '../../platform/ids.js';
import { createLogger } from '../../platform/logger.js';
import { createWebhookIngestor, processInboundEventJob, signatureFor, type WebhookIngestor } from '../inbound/index.js';
import type { DomainEvent } from './domain-event.js';
import { eventPublisher, subscriberJob, type EventSubscriber } from './event-subscriber.js';

const SECRET = 'test-app-secret';
const fixture = (name: string) => readFileSync(new URL(`../../../test/fixtures/meta/${name}.json`, import.meta.url));

describe.each(DIALECTS)('domain events from the inbound pipeline on %s', (dialect) => {
  let database: TestDatabase;
  let clock: ManualClock;
  let queue: SqlJobQueue;
  let ingestor: WebhookIngestor;
  let worker: Worker;
  let seen: { subscriber: string; event: DomainEvent }[];

  const recorder = (name: string, handles: EventSubscriber['handles']): EventSubscriber => ({
    name,
    handles,
    handle: async (event) => {
      seen.push({ subscriber: name, event });
    },
  });

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await database.drop();
  });
  beforeEach(async () => {
    for (const table of ['reactions', 'message_statuses', 'messages', 'consent_events', 'media_files', 'contacts', 'jobs', 'inbox_events'] as const) {
      await database.db.deleteFrom(table).execute();
    }
    seen = [];
    clock = new ManualClock(Date.UTC(2026, 10, 1));
    queue = new SqlJobQueue(database.db, database.dialect, clock, uuidGenerator, 5);
    ingestor = createWebhookIngestor({ database, queue, clock, ids: uuidGenerator, appSecret: SECRET });
    const subscribers = [recorder('everything', ['message.received', 'message.status', 'consent.changed']), recorder('replies-only', ['message.received'])];
    const deps = { ...inboundTestDeps(clock, () => queue), publish: eventPublisher(subscribers, (exec, jobs) => queue.enqueue(exec, jobs)) };
    worker = new Worker(queue, [processInboundEventJob(deps), ...subscribers.map(subscriberJob)], { batchSize: 100, pollIntervalMs: 10, clock, log: createLogger('silent') });
  });

  async function deliver(...bodies: Buffer[]): Promise<void> {
    for (const body of bodies) expect((await ingestor.ingest(body, signatureFor(body, SECRET))).ok).toBe(true);
    await worker.drain();
  }

  it('should tell every interested subscriber about an inbound message once, with its contact', async () => {
    await deliver(fixture('inbound-text'));
    expect(seen.map((s) => s.subscriber).sort()).toEqual(['everything', 'replies-only']);
    const event = seen[0]!.event;
    expect(event).toMatchObject({ type: 'message.received', messageType: 'text', text: 'Oi! Vocês têm esse produto em azul?', reply: null });
    const contact = await database.db.selectFrom('contacts').select('id').executeTakeFirstOrThrow();
    expect(event.contactId).toBe(contact.id);
  });

  it('should carry the payload and title of a tapped button', async () => {
    await deliver(fixture('inbound-interactive-button-reply'), fixture('inbound-button-template-quick-reply'));
    const replies = seen.filter((s) => s.subscriber === 'replies-only').map((s) => (s.event.type === 'message.received' ? s.event.reply : null));
    expect(replies).toEqual(
      expect.arrayContaining([
        { kind: 'button', payload: 'reschedule-button', title: 'Reschedule' },
        { kind: 'quick_reply', payload: 'STOP_PROMOTIONS', title: 'Parar promoções' },
      ]),
    );
  });

  it('should not publish again when the same message is processed again', async () => {
    await deliver(fixture('inbound-text'));
    // A replayed inbox event (dead-letter replay, a retried job) runs the handler a second time.
    const [inboxEvent] = await database.db.selectFrom('inbox_events').select('id').execute();
    await queue.enqueue(database.db, [{ name: 'inbound.process', payload: { eventId: inboxEvent!.id } }]);
    await worker.drain();
    expect(seen.filter((s) => s.subscriber === 'everything')).toHaveLength(1);
  });

  it('should publish each status of a message once, failures with their codes', async () => {
    const wamid = 'wamid.events-status-1';
    const t = 1_790_000_000;
    await deliver(statusBody(wamid, 'sent', t), statusBody(wamid, 'sent', t), statusBody(wamid, 'failed', t + 1, { errors: [{ code: 131026, title: 'Message undeliverable' }] }));
    const statuses = seen.filter((s) => s.event.type === 'message.status').map((s) => s.event);
    expect(statuses).toHaveLength(2);
    expect(statuses[1]).toMatchObject({ status: 'failed', wamid, errors: [{ code: 131026, title: 'Message undeliverable' }] });
    // Only subscribers that asked for statuses get them.
    expect(seen.every((s) => s.subscriber === 'everything' || s.event.type === 'message.received')).toBe(true);
  });

  it('should publish the consent change a STOP makes', async () => {
    const body = JSON.parse(fixture('inbound-text').toString()) as { entry: { changes: { value: { messages: { text: { body: string } }[] } }[] }[] };
    body.entry[0]!.changes[0]!.value.messages[0]!.text.body = 'STOP';
    await deliver(Buffer.from(JSON.stringify(body)));
    const changes = seen.filter((s) => s.event.type === 'consent.changed').map((s) => s.event);
    expect(changes.length).toBeGreaterThan(0);
    expect(changes.every((c) => c.type === 'consent.changed' && c.action === 'opt_out' && c.source === 'inbound_keyword')).toBe(true);
  });
});
