import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../../../test/support/test-databases.js';
import { SqlJobQueue } from '../../../jobs/sql-job-queue.js';
import { Worker } from '../../../jobs/worker.js';
import { ManualClock } from '../../../platform/clock.js';
import { uuidGenerator } from '../../../platform/ids.js';
import { createLogger } from '../../../platform/logger.js';
import { createContact, type Contact } from '../../contacts/index.js';
import { eventPublisher, subscriberJob, type DomainEvent } from '../../events/index.js';
import { hubspotUnderTest, type HubspotUnderTest } from '../connectors/hubspot/testing/hubspot-under-test.js';
import { DEFAULT_FIELD_MAPS } from '../core/field-mapping.js';
import { crmSyncRetryJob, crmSyncSubscriber } from './crm-sync.subscriber.js';
import type { CrmSyncDeps } from './crm-sync.deps.js';
import { crmFlushJob, crmOutboxReplayJob } from './flush-crm-outbox.job.js';

/** The sync outbox against the HubSpot connector and its fake: real HTTP, HubSpot's answers. */
describe.each(DIALECTS)('CRM sync to the HubSpot fake on %s', (dialect) => {
  let ours: TestDatabase;
  let hubspot: HubspotUnderTest;
  let clock: ManualClock;
  let worker: Worker;
  let publish: ReturnType<typeof eventPublisher>;
  let contacts: Contact[];

  beforeAll(async () => {
    ours = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await ours.drop();
  });
  beforeEach(async () => {
    for (const table of ['crm_outbox', 'crm_outbox_flushes', 'jobs', 'dead_letters', 'crm_links', 'contacts'] as const) await ours.db.deleteFrom(table).execute();
    hubspot = await hubspotUnderTest({ fake: { pageSize: 20 } });
    clock = new ManualClock(Date.now());
    const queue = new SqlJobQueue(ours.db, ours.dialect, clock, uuidGenerator, 8);
    const enqueue: CrmSyncDeps['enqueue'] = (exec, jobs) => queue.enqueue(exec, jobs);
    const deps: CrmSyncDeps = { db: ours.db, connector: hubspot.connector, fieldMap: DEFAULT_FIELD_MAPS.hubspot, clock, ids: uuidGenerator, defaultRegion: 'US', publish: async () => {}, enqueue, random: () => 0 };
    const subscriber = crmSyncSubscriber(deps);
    publish = eventPublisher([subscriber], enqueue);
    worker = new Worker(queue, [subscriberJob(subscriber), crmFlushJob(deps), crmOutboxReplayJob(deps), crmSyncRetryJob(deps)], { batchSize: 50, pollIntervalMs: 10, clock, log: createLogger('silent'), random: () => 0 });
    contacts = [];
    for (let i = 0; i < 5; i++) {
      const made = await createContact(ours.db, { name: `Lead ${i}`, phone: `+1415555${2300 + i}` }, { clock, ids: uuidGenerator, defaultRegion: 'US' });
      if (!made.ok) throw made.error;
      contacts.push(made.value);
    }
  });
  afterEach(async () => {
    await worker.stop();
    await hubspot.close();
  });

  const message = (contact: Contact, n: number): DomainEvent => ({
    type: 'message.received',
    id: `e-${contact.id}-${n}`,
    contactId: contact.id,
    wamid: `wamid.${contact.id}.${n}`,
    businessPhoneNumberId: '1234567890',
    messageType: 'text',
    text: `message ${n}`,
    reply: null,
    quotedWamid: null,
    occurredAt: clock.now(),
  });

  it("never takes over a record found by phone that holds another contact's key", async () => {
    const [first, second] = contacts;
    const crmId = await hubspot.fake.createPersonDirectly({ lastName: 'Shared Line', phone: '(415) 555-2300' });
    await hubspot.connector.updatePerson(crmId, { switchboardKey: second!.id });
    await publish(ours.db, [message(first!, 1)]);
    await worker.drain();
    expect((await hubspot.connector.getPerson(crmId))?.switchboardKey).toBe(second!.id);
    const own = await hubspot.connector.findByKey(first!.id);
    expect(own?.crmId).not.toBe(crmId);
    expect(await hubspot.fake.activitiesOf(own!.crmId)).toHaveLength(1);
  });

  it('an outage of 503s delays the sync and loses nothing; search lag creates no duplicates', async () => {
    hubspot.fake.setSearchLagMs(60_000);
    hubspot.fake.failNext(503, 12);
    await publish(ours.db, contacts.flatMap((c) => [message(c, 1), message(c, 2), message(c, 3)]));
    // One batch meets all 12 failures in a row, so its backoff grows to minutes (1 s doubling).
    for (let round = 0; round < 40; round++) {
      await worker.drain();
      clock.advance(2 * 60_000);
    }
    expect(await hubspot.fake.personCount()).toBe(5);
    for (const contact of contacts) {
      const record = await hubspot.connector.findByKey(contact.id);
      expect((await hubspot.fake.activitiesOf(record!.crmId)).map((a) => a.body).sort()).toEqual(['message 1', 'message 2', 'message 3']);
    }
    expect(await ours.db.selectFrom('dead_letters').select('id').execute()).toEqual([]);
    expect(await ours.db.selectFrom('jobs').select('id').where('state', 'in', ['pending', 'running']).execute()).toEqual([]);
    // The outage was felt: flushes were put back in line for later, not lost.
    expect((await ours.db.selectFrom('jobs').select('dedupe_key').where('name', '=', 'crm.flush').execute()).some((j) => j.dedupe_key?.includes(':at:'))).toBe(true);
    expect(await ours.db.selectFrom('crm_outbox').select('seq').execute()).toEqual([]);
  });
});
