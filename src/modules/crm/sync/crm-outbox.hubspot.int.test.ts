import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../../../test/support/test-databases.js';
import { SqlJobQueue } from '../../../jobs/sql-job-queue.js';
import { Worker } from '../../../jobs/worker.js';
import { ManualClock } from '../../../platform/clock.js';
import { uuidGenerator } from '../../../platform/ids.js';
import { createLogger } from '../../../platform/logger.js';
import { createContact, type Contact } from '../../contacts/index.js';
import { eventPublisher, subscriberJob, type DomainEvent } from '../../events/index.js';
import type { HubspotConnector } from '../connectors/hubspot/hubspot.connector.js';
import { hubspotUnderTest, type HubspotUnderTest } from '../connectors/hubspot/testing/hubspot-under-test.js';
import { DEFAULT_FIELD_MAPS } from '../core/field-mapping.js';
import { crmOutboxRepository } from './crm-outbox.repository.js';
import type { CrmSyncDeps } from './crm-sync.deps.js';
import { crmSyncSubscriber } from './crm-sync.subscriber.js';
import { crmFlushJob, crmOutboxReplayJob } from './flush-crm-outbox.job.js';

const TABLES = ['crm_outbox', 'crm_outbox_flushes', 'jobs', 'dead_letters', 'crm_links', 'contacts'] as const;
const silent = createLogger('silent');

/**
 * The batched outbox against the HubSpot fake (real HTTP, HubSpot's batch endpoints): events are
 * appended by the `crm-sync` subscriber, then `crm.flush` drains them in batches of 100.
 */
describe.each(DIALECTS)('CRM outbox to the HubSpot fake on %s', (dialect) => {
  let ours: TestDatabase;
  let hubspot: HubspotUnderTest;
  let clock: ManualClock;
  let queue: SqlJobQueue;
  let deps: CrmSyncDeps;
  /** Runs the subscriber only: appends to the outbox. */
  let appender: Worker;
  /** Runs the flush (and replay) jobs only: talks to HubSpot. */
  let flusher: Worker;
  let publish: ReturnType<typeof eventPublisher>;
  let contacts: Contact[];

  beforeAll(async () => {
    ours = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await ours.drop();
  });
  beforeEach(async () => {
    for (const table of TABLES) await ours.db.deleteFrom(table).execute();
    hubspot = await hubspotUnderTest();
    clock = new ManualClock(Date.UTC(2026, 10, 1, 9));
    queue = new SqlJobQueue(ours.db, ours.dialect, clock, uuidGenerator, 8);
    deps = { db: ours.db, connector: hubspot.connector, fieldMap: DEFAULT_FIELD_MAPS.hubspot, clock, ids: uuidGenerator, defaultRegion: 'US', publish: async () => {}, enqueue: (exec, jobs) => queue.enqueue(exec, jobs), random: () => 0 };
    const subscriber = crmSyncSubscriber(deps);
    publish = eventPublisher([subscriber], deps.enqueue);
    const options = { batchSize: 500, batchBudgetMs: 10_000, pollIntervalMs: 10, clock, log: silent, random: () => 0 };
    appender = new Worker(queue, [subscriberJob(subscriber)], options);
    flusher = new Worker(queue, [crmFlushJob(deps), crmOutboxReplayJob(deps)], options);
    contacts = [];
    for (let i = 0; i < 10; i++) {
      const made = await createContact(ours.db, { name: `Lead ${i}`, phone: `+1415555${2400 + i}` }, { clock, ids: uuidGenerator, defaultRegion: 'US' });
      if (!made.ok) throw made.error;
      contacts.push(made.value);
    }
  });
  afterEach(async () => {
    await hubspot.close();
  });

  /** Message n of every contact, interleaved as a busy number receives them. */
  const messages = (perContact: number, wamid = (c: Contact, n: number) => `wamid.${c.id}.${n}`): DomainEvent[] =>
    Array.from({ length: perContact }, (_, n) =>
      contacts.map(
        (contact): DomainEvent => ({
          type: 'message.received',
          id: `e-${contact.id}-${n}`,
          contactId: contact.id,
          wamid: wamid(contact, n),
          businessPhoneNumberId: '1234567890',
          messageType: 'text',
          text: `message ${n}`,
          reply: null,
          quotedWamid: null,
          occurredAt: clock.now() + n,
        }),
      ),
    ).flat();
  const requests = (path: string) => hubspot.fake.requests().filter((r) => r.path === path).length;
  const COMMUNICATIONS = '/crm/v3/objects/communications/batch/create';
  const UPSERTS = '/crm/v3/objects/contacts/batch/upsert';
  const outboxRows = () => ours.db.selectFrom('crm_outbox').select(['seq', 'state', 'next_attempt_at']).execute();
  const openJobs = () => ours.db.selectFrom('jobs').select('name').where('state', 'in', ['pending', 'running']).execute();

  /** Every contact's record holds its messages exactly once, in the order they were sent. */
  async function expectEveryMessageOnce(perContact: number, except: string[] = []): Promise<void> {
    expect(await hubspot.fake.personCount()).toBe(contacts.length);
    for (const contact of contacts) {
      const record = await hubspot.connector.findByKey(contact.id);
      const expected = Array.from({ length: perContact }, (_, n) => n).filter((n) => !except.includes(`${contact.id}.${n}`)).map((n) => `message ${n}`);
      expect((await hubspot.fake.activitiesOf(record!.crmId)).map((a) => a.body)).toEqual(expected);
    }
  }

  it('logs 250 messages from 10 new contacts in 3 communication requests and creates the contacts in one batch upsert', async () => {
    await publish(ours.db, messages(25));
    await appender.drain();
    expect(await crmOutboxRepository.count(ours.db, 'hubspot', 'pending')).toBe(250);
    // Whatever the number of events, one flush is waiting for the connector.
    expect((await openJobs()).map((j) => j.name)).toEqual(['crm.flush']);

    await flusher.drain();

    expect(requests(COMMUNICATIONS)).toBeLessThanOrEqual(Math.ceil(250 / 100));
    expect(requests(UPSERTS)).toBe(1);
    await expectEveryMessageOnce(25);
    // Contacts created in a batch are linked with their record's address, as one by one.
    const links = await ours.db.selectFrom('crm_links').select(['crm_id', 'url']).execute();
    expect(links).toHaveLength(10);
    for (const link of links) expect(link.url).toContain(`/4242/`);
    expect(await outboxRows()).toEqual([]);
    expect(await openJobs()).toEqual([]);
  });

  it('waits out an outage of 503s and then delivers every message once, with nothing dead-lettered', async () => {
    hubspot.fake.failNext(503, 4);
    await publish(ours.db, messages(12));
    await appender.drain();
    await flusher.drain();

    // Nothing got through, nothing was dropped: the items wait, and a flush is set for when they fall due.
    expect(await hubspot.fake.personCount()).toBe(0);
    const waiting = await outboxRows();
    expect(waiting).toHaveLength(120);
    expect(waiting.every((r) => r.state === 'pending')).toBe(true);
    // The failed batch waits for its retry; the contacts' later messages wait behind it, in order.
    expect(waiting.filter((r) => Number(r.next_attempt_at) > clock.now())).toHaveLength(100);
    expect((await openJobs()).map((j) => j.name)).toEqual(['crm.flush']);

    for (let round = 0; round < 20 && (await outboxRows()).length > 0; round++) {
      clock.advance(30_000);
      await flusher.drain();
    }
    await expectEveryMessageOnce(12);
    expect(await ours.db.selectFrom('dead_letters').select('id').execute()).toEqual([]);
    expect(await outboxRows()).toEqual([]);
    expect(await openJobs()).toEqual([]);
  });

  it('dead-letters a message HubSpot can never take, delivers the rest, and replays it from the dead-letter list', async () => {
    const [victim] = contacts;
    // A wamid longer than HubSpot's 255-character unique property: rejected, however often it is sent.
    await publish(ours.db, messages(3, (c, n) => (c.id === victim!.id && n === 1 ? `wamid.${'x'.repeat(300)}` : `wamid.${c.id}.${n}`)));
    await appender.drain();
    await flusher.drain();

    await expectEveryMessageOnce(3, [`${victim!.id}.1`]);
    const rows = await outboxRows();
    expect(rows.map((r) => r.state)).toEqual(['dead']);
    const letters = await ours.db.selectFrom('dead_letters').selectAll().execute();
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ source: 'job', job_name: 'crm.outbox_replay' });
    expect(letters[0]!.reason).toContain('CRM_REJECTED');
    expect(JSON.parse(letters[0]!.body)).toMatchObject({ connector: 'hubspot', seq: Number(rows[0]!.seq), event: { contactId: victim!.id } });

    // `dlq replay` revives the job: the item is tried again (and, still refused, dead-lettered again).
    expect(await ours.db.transaction().execute((trx) => queue.revive(trx, letters[0]!.job_id!))).toBe(true);
    await flusher.drain();
    await flusher.drain();
    expect((await outboxRows()).map((r) => r.state)).toEqual(['dead']);
    expect(await ours.db.selectFrom('dead_letters').select('id').execute()).toHaveLength(2);
    await expectEveryMessageOnce(3, [`${victim!.id}.1`]);
  });

  it.each(['upsertPeople', 'logActivities'] as const)('creates nothing twice when the process dies right after %s and the batch is claimed again', async (method) => {
    await publish(ours.db, messages(5));
    await appender.drain();
    const job = await ours.db.selectFrom('jobs').select(['id', 'payload']).where('name', '=', 'crm.flush').executeTakeFirstOrThrow();

    // A connector whose process dies the moment HubSpot has answered: the call never returns.
    let reached = false;
    const dying = Object.create(hubspot.connector) as HubspotConnector;
    dying[method] = (async (inputs: never[]) => {
      await (hubspot.connector[method] as (i: never[]) => Promise<unknown>)(inputs);
      reached = true;
      return new Promise(() => {});
    }) as never;
    void crmFlushJob({ ...deps, connector: dying }).handle(JSON.parse(job.payload), { trx: ours.db, jobId: job.id, attempt: 1, log: silent });
    for (let i = 0; i < 500 && !reached; i++) await sleep(10);
    expect(reached).toBe(true);
    const communicationsBefore = requests(COMMUNICATIONS);

    // Its claim runs out; the flush job (never settled) is claimed again by a live worker.
    clock.advance(6 * 60_000);
    await flusher.drain();

    await expectEveryMessageOnce(5);
    expect(await outboxRows()).toEqual([]);
    expect(requests(COMMUNICATIONS) - communicationsBefore).toBe(1);
  });

  it("holds a contact's later work back while its earlier item waits for a retry, and lets other contacts' work go", async () => {
    const [first, second] = contacts;
    const now = clock.now();
    const append = (contact: Contact, n: number) => crmOutboxRepository.append(ours.db, { connector: 'hubspot', contactId: contact.id, kind: 'activity', event: messages(n + 1)[n * contacts.length + contacts.indexOf(contact)]! }, now);
    await append(first!, 0);
    await append(first!, 1);
    await append(second!, 0);
    const [head] = await ours.db.transaction().execute((trx) => crmOutboxRepository.claim(trx, 'hubspot', 1, now, 60_000));
    await crmOutboxRepository.reschedule(ours.db, head!.seq, { attempts: 1, runAt: now + 5_000, error: 'CRM_UNAVAILABLE' });

    const claimed = await ours.db.transaction().execute((trx) => crmOutboxRepository.claim(trx, 'hubspot', 100, now + 1_000, 60_000));
    expect(claimed.map((i) => [i.contactId, i.event.id])).toEqual([[second!.id, `e-${second!.id}-0`]]);
    expect(await crmOutboxRepository.nextWakeAt(ours.db, 'hubspot', now + 1_000)).toBe(now + 5_000);

    const later = await ours.db.transaction().execute((trx) => crmOutboxRepository.claim(trx, 'hubspot', 100, now + 5_000, 60_000));
    expect(later.map((i) => i.event.id)).toEqual([`e-${first!.id}-0`, `e-${first!.id}-1`]);
  });

  it('appends an event delivered twice once, and wakes one flush per claim generation', async () => {
    const [event] = messages(1);
    await ours.db.transaction().execute(async (trx) => {
      const a = await crmOutboxRepository.append(trx, { connector: 'hubspot', contactId: contacts[0]!.id, kind: 'activity', event: event! }, clock.now());
      const b = await crmOutboxRepository.append(trx, { connector: 'hubspot', contactId: contacts[0]!.id, kind: 'activity', event: event! }, clock.now());
      expect(b.dedupeKey).toBe(a.dedupeKey);
    });
    expect(await crmOutboxRepository.count(ours.db, 'hubspot', 'pending')).toBe(1);
    const before = await crmOutboxRepository.wake(ours.db, 'hubspot', clock.now());
    await ours.db.transaction().execute((trx) => crmOutboxRepository.claim(trx, 'hubspot', 100, clock.now(), 60_000));
    const after = await crmOutboxRepository.wake(ours.db, 'hubspot', clock.now());
    expect(after.dedupeKey).not.toBe(before.dedupeKey);
  });
});
