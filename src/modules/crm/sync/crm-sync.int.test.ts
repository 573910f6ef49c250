import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../../../test/support/test-databases.js';
import { SqlJobQueue } from '../../../jobs/sql-job-queue.js';
import { Worker } from '../../../jobs/worker.js';
import { ManualClock } from '../../../platform/clock.js';
import { uuidGenerator } from '../../../platform/ids.js';
import { createLogger } from '../../../platform/logger.js';
import { createContact, type Contact } from '../../contacts/index.js';
import { eventPublisher, subscriberJob, type DomainEvent, type EventSubscriber } from '../../events/index.js';
import { BuiltinCrmConnector } from '../connectors/builtin/builtin.connector.js';
import { builtinControls } from '../connectors/builtin/testing/builtin-controls.js';
import { DEFAULT_FIELD_MAPS } from '../core/field-mapping.js';
import { createCrmCommands } from '../crm-commands.impl.js';
import type { FakeCrmControls } from '../testing/fake-crm-controls.js';
import { FaultInjectingConnector } from '../testing/fault-injecting-connector.js';
import { createTaskJob, updatePersonJob } from './crm-command.jobs.js';
import { crmSyncRetryJob, crmSyncSubscriber } from './crm-sync.subscriber.js';
import type { CrmSyncDeps } from './crm-sync.deps.js';
import { crmFlushJob, crmOutboxReplayJob } from './flush-crm-outbox.job.js';

const T0 = Date.UTC(2026, 10, 1, 9);
const OURS = ['crm_outbox', 'crm_outbox_flushes', 'jobs', 'dead_letters', 'crm_links', 'crm_cursors', 'crm_tasks', 'crm_activities', 'crm_changes', 'crm_people', 'consent_events', 'contacts'] as const;

/** Records what other subscribers would receive. */
const recorder: EventSubscriber = { name: 'recorder', handles: ['crm.person_changed'], handle: async () => {} };

describe.each(DIALECTS)('CRM sync on %s', (dialect) => {
  let ours: TestDatabase;
  let theirs: TestDatabase;
  let clock: ManualClock;
  let remote: FaultInjectingConnector;
  let crm: FakeCrmControls;
  let deps: CrmSyncDeps;
  let worker: Worker;
  let queue: SqlJobQueue;
  let publish: ReturnType<typeof eventPublisher>;
  let contact: Contact;

  beforeAll(async () => {
    [ours, theirs] = await Promise.all([createTestDatabase(dialect), createTestDatabase('sqlite')]);
  });
  afterAll(async () => {
    await Promise.all([ours.drop(), theirs.drop()]);
  });

  beforeEach(async () => {
    for (const table of OURS) await ours.db.deleteFrom(table).execute();
    for (const table of ['crm_changes', 'crm_activities', 'crm_tasks', 'crm_people', 'contacts'] as const) await theirs.db.deleteFrom(table).execute();
    clock = new ManualClock(T0);
    // The "external CRM": a built-in CRM on a database of its own, with an API's faults, posing as HubSpot.
    const theirDeps = { clock, ids: uuidGenerator, defaultRegion: 'US' };
    remote = new FaultInjectingConnector(new BuiltinCrmConnector({ db: theirs.db, ...theirDeps }), clock, 'hubspot');
    crm = builtinControls(theirs.db, theirDeps, remote);
    queue = new SqlJobQueue(ours.db, ours.dialect, clock, uuidGenerator, 8);
    const enqueue: CrmSyncDeps['enqueue'] = (exec, jobs) => queue.enqueue(exec, jobs);
    deps = { db: ours.db, connector: remote, fieldMap: DEFAULT_FIELD_MAPS.hubspot, clock, ids: uuidGenerator, defaultRegion: 'US', publish: async () => {}, enqueue, random: () => 0 };
    const subscriber = crmSyncSubscriber(deps);
    publish = eventPublisher([subscriber, recorder], enqueue);
    deps.publish = publish;
    worker = new Worker(queue, [subscriberJob(subscriber), subscriberJob(recorder), crmFlushJob(deps), crmOutboxReplayJob(deps), crmSyncRetryJob(deps), updatePersonJob(deps), createTaskJob(deps)], {
      batchSize: 50,
      pollIntervalMs: 10,
      clock,
      log: createLogger('silent'),
      random: () => 0,
    });
    const created = await createContact(ours.db, { name: 'Dora Reyes', phone: '+14155550142' }, { clock, ids: uuidGenerator, defaultRegion: 'US' });
    if (!created.ok) throw created.error;
    contact = created.value;
  });
  afterEach(async () => {
    await worker.stop();
  });

  const inbound = (id: string, wamid: string, text: string): DomainEvent => ({
    type: 'message.received',
    id,
    contactId: contact.id,
    wamid,
    businessPhoneNumberId: '1234567890',
    messageType: 'text',
    text,
    reply: null,
    quotedWamid: null,
    occurredAt: clock.now(),
  });
  const links = () => ours.db.selectFrom('crm_links').selectAll().execute();
  const deadLetters = () => ours.db.selectFrom('dead_letters').selectAll().execute();

  it('links the contact to the record typed as (415) 555-0142, writes our key onto it and logs each message once', async () => {
    const crmId = await crm.createPersonDirectly({ firstName: 'Dora', lastName: 'Reyes', phone: '(415) 555-0142' });
    await publish(ours.db, [inbound('e1', 'wamid.1', 'Hello'), inbound('e2', 'wamid.2', 'Is it still available?')]);
    await publish(ours.db, [inbound('e1', 'wamid.1', 'Hello')]); // the same event again: no second job
    await worker.drain();
    const lookups = remote.calls.filter((c) => c.startsWith('find')).length;
    await publish(ours.db, [inbound('e3', 'wamid.1', 'Hello')]); // another event for the same wamid: no second activity
    await worker.drain();

    // Once linked, a contact's messages go straight to its record: no more searching.
    expect(remote.calls.filter((c) => c.startsWith('find'))).toHaveLength(lookups);
    expect(await crm.personCount()).toBe(1);
    expect((await remote.findByKey(contact.id))?.crmId).toBe(crmId);
    expect((await crm.activitiesOf(crmId)).map((a) => a.body).sort()).toEqual(['Hello', 'Is it still available?']);
    expect((await links()).map((l) => [l.connector, l.contact_id, l.crm_id])).toEqual([['hubspot', contact.id, crmId]]);
  });

  it('adopts a record keyed for a contact erased since, instead of creating a second one', async () => {
    const crmId = await crm.createPersonDirectly({ firstName: 'Dora', lastName: 'Reyes', phone: '(415) 555-0142' });
    await remote.updatePerson(crmId, { switchboardKey: 'contact-erased-long-ago' });
    await publish(ours.db, [inbound('e1', 'wamid.1', 'Back again')]);
    await worker.drain();
    expect(await crm.personCount()).toBe(1);
    expect((await remote.getPerson(crmId))?.switchboardKey).toBe(contact.id);
  });

  it('creates the record once when the CRM has none, and finds it by key while search lags, even with our link lost', async () => {
    remote.setSearchLagMs(60_000);
    await publish(ours.db, [inbound('e1', 'wamid.1', 'First')]);
    await worker.drain();
    expect(await crm.personCount()).toBe(1);
    // As if the process died between creating the record and storing the link.
    await ours.db.deleteFrom('crm_links').execute();
    await publish(ours.db, [inbound('e2', 'wamid.2', 'Second')]);
    await worker.drain();

    expect(await crm.personCount()).toBe(1);
    const record = await remote.findByKey(contact.id);
    expect(record).toMatchObject({ firstName: 'Dora', lastName: 'Reyes', phones: ['+14155550142'] });
    expect(await crm.activitiesOf(record!.crmId)).toHaveLength(2);
  });

  it('waits out a CRM outage and then delivers every message, once, with nothing dead-lettered', async () => {
    remote.failUntil(T0 + 10 * 60_000, 503);
    await publish(ours.db, [inbound('e1', 'wamid.1', 'one'), inbound('e2', 'wamid.2', 'two'), inbound('e3', 'wamid.3', 'three')]);
    await worker.drain();
    expect(await crm.personCount()).toBe(0);
    // The work waits in the outbox, and a flush is set for when it falls due.
    const waiting = await ours.db.selectFrom('crm_outbox').select(['state', 'next_attempt_at']).execute();
    expect(waiting.map((w) => w.state)).toEqual(['pending', 'pending', 'pending']);
    expect(Math.min(...waiting.map((w) => Number(w.next_attempt_at)))).toBeGreaterThan(clock.now());
    const timers = await ours.db.selectFrom('jobs').select(['name', 'run_at']).where('state', '=', 'pending').execute();
    expect(timers.map((j) => j.name)).toEqual(['crm.flush']);
    expect(Number(timers[0]!.run_at)).toBe(Math.min(...waiting.map((w) => Number(w.next_attempt_at))));

    for (let minute = 0; minute < 40; minute++) {
      clock.advance(60_000);
      await worker.drain();
    }
    expect(await crm.personCount()).toBe(1);
    const record = await remote.findByKey(contact.id);
    expect((await crm.activitiesOf(record!.crmId)).map((a) => a.body).sort()).toEqual(['one', 'three', 'two']);
    expect(await deadLetters()).toEqual([]);
    expect(await ours.db.selectFrom('jobs').select('id').where('state', 'in', ['pending', 'running']).execute()).toEqual([]);
    expect(await ours.db.selectFrom('crm_outbox').select('seq').execute()).toEqual([]);
  });

  it('honours the Retry-After of a rate-limited answer', async () => {
    remote.failNext(429);
    await publish(ours.db, [inbound('e1', 'wamid.1', 'one')]);
    await worker.drain();
    const retry = await ours.db.selectFrom('crm_outbox').select('next_attempt_at').executeTakeFirstOrThrow();
    expect(Number(retry.next_attempt_at)).toBeGreaterThanOrEqual(T0 + 1_000);
    clock.advance(1_000);
    await worker.drain();
    expect(await crm.personCount()).toBe(1);
  });

  it('dead-letters the sync at once when the CRM refuses our credentials, for replay once fixed', async () => {
    remote.failNext(401);
    await publish(ours.db, [inbound('e1', 'wamid.1', 'one')]);
    await worker.drain();
    const letters = await deadLetters();
    expect(letters.map((l) => l.job_name)).toEqual(['crm.outbox_replay']);
    expect(letters[0]?.reason).toContain('CRM_UNAUTHORIZED');
    expect(JSON.parse(letters[0]!.body)).toMatchObject({ connector: 'hubspot', event: { id: 'e1', wamid: 'wamid.1' } });
    expect(await crm.personCount()).toBe(0);

    // Credentials fixed: `switchboard dlq replay` revives the job, which puts the item back in line.
    const revived = await ours.db.transaction().execute((trx) => queue.revive(trx, letters[0]!.job_id!));
    expect(revived).toBe(true);
    await worker.drain();
    const record = await remote.findByKey(contact.id);
    expect((await crm.activitiesOf(record!.crmId)).map((a) => a.body)).toEqual(['one']);
    expect(await ours.db.selectFrom('crm_outbox').select('seq').execute()).toEqual([]);
  });

  it("writes a marketing opt-out into the CRM's mapped opt-out field", async () => {
    await publish(ours.db, [
      { type: 'consent.changed', id: 'c1', contactId: contact.id, businessPhoneNumberId: null, category: 'marketing', action: 'opt_out', source: 'inbound_keyword', occurredAt: clock.now() },
    ]);
    await worker.drain();
    expect((await remote.findByKey(contact.id))?.fields['wa_opt_out']).toBe('true');
  });

  it('logs an outbound message under our message id, the template name standing in for a body', async () => {
    await publish(ours.db, [
      { type: 'message.queued', id: 'q1', contactId: contact.id, messageId: 'msg-1', businessPhoneNumberId: '1234567890', messageType: 'template', text: null, templateName: 'property_inquiry', occurredAt: clock.now() },
    ]);
    await worker.drain();
    const record = await remote.findByKey(contact.id);
    expect((await crm.activitiesOf(record!.crmId)).map((a) => a.body)).toEqual(['Template: property_inquiry']);
  });

  describe('CrmCommands with an external CRM', () => {
    const commands = () => createCrmCommands({ kind: 'hubspot', clock, ids: uuidGenerator, defaultRegion: 'US', enqueue: (exec, jobs) => queue.enqueue(exec, jobs) });

    it("changes the contact's view in the caller's transaction and the CRM record through the outbox, once per key", async () => {
      await ours.db.transaction().execute(async (trx) => {
        await commands().updatePerson(trx, { contactId: contact.id, fields: { budget: '$1M – $2M' }, addTags: ['Qualified'], idempotencyKey: 'run-1:update' });
        await commands().createTask(trx, { contactId: contact.id, subject: 'Follow up: $1M – $2M', body: null, dueAt: T0 + 86_400_000, ownerId: '77', idempotencyKey: 'run-1:task' });
      });
      await ours.db.transaction().execute(async (trx) => {
        await commands().createTask(trx, { contactId: contact.id, subject: 'Follow up: $1M – $2M', body: null, dueAt: T0 + 86_400_000, ownerId: '77', idempotencyKey: 'run-1:task' });
      });
      const local = await ours.db.selectFrom('contacts').select('fields').where('id', '=', contact.id).executeTakeFirstOrThrow();
      expect(JSON.parse(local.fields!)).toEqual({ budget: '$1M – $2M' });
      expect(await ours.db.selectFrom('crm_tasks').select('subject').execute()).toHaveLength(1);

      await worker.drain();
      const record = await remote.findByKey(contact.id);
      expect(record?.fields['budget']).toBe('$1M – $2M');
      expect(record?.tags).toEqual(['Qualified']);
      expect(await crm.tasksOf(record!.crmId)).toEqual([{ subject: 'Follow up: $1M – $2M', ownerId: '77' }]);
      expect(await crm.personCount()).toBe(1);
    });

    it('changes nothing, here or in the CRM, when the caller rolls back', async () => {
      await ours.db
        .transaction()
        .execute(async (trx) => {
          await commands().updatePerson(trx, { contactId: contact.id, fields: { budget: 'x' }, idempotencyKey: 'k' });
          throw new Error('rule failed');
        })
        .catch(() => undefined);
      await worker.drain();
      expect(await crm.personCount()).toBe(0);
      const local = await ours.db.selectFrom('contacts').select('fields').where('id', '=', contact.id).executeTakeFirstOrThrow();
      expect(local.fields).toBeNull();
    });
  });
});
