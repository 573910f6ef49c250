import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiWith } from '../../../../test/support/api-with.js';
import { inboundTestDeps } from '../../../../test/support/inbound-test-deps.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../../../test/support/test-databases.js';
import { SqlJobQueue } from '../../../jobs/sql-job-queue.js';
import { Worker } from '../../../jobs/worker.js';
import { ManualClock } from '../../../platform/clock.js';
import { uuidGenerator } from '../../../platform/ids.js';
import { createLogger } from '../../../platform/logger.js';
import { contactRepository, createContact, findContacts } from '../../contacts/index.js';
import { eventPublisher, subscriberJob, type EventSubscriber } from '../../events/index.js';
import { createWebhookIngestor, processInboundEventJob, signatureFor } from '../../inbound/index.js';
import { BuiltinCrmConnector } from '../connectors/builtin/builtin.connector.js';
import { builtinControls } from '../connectors/builtin/testing/builtin-controls.js';
import type { CrmChange, CrmConnector } from '../crm-connector.js';
import { CrmError } from '../crm-error.js';
import { DEFAULT_FIELD_MAPS, type FieldMap } from '../core/field-mapping.js';
import type { FakeCrmControls } from '../testing/fake-crm-controls.js';
import { FaultInjectingConnector } from '../testing/fault-injecting-connector.js';
import { backfillCrm } from './backfill-crm.js';
import { updatePersonJob } from './crm-command.jobs.js';
import type { CrmSyncDeps } from './crm-sync.deps.js';
import { crmWebhookRoutes } from './crm-webhook.route.js';
import { CRM_POLL_CHANGES, ensureCrmPolling, pollCrmChangesJob } from './poll-crm-changes.job.js';

const T0 = Date.UTC(2026, 10, 1, 9);
const APP_SECRET = 'test-app-secret';
const OURS = ['jobs', 'dead_letters', 'crm_links', 'crm_cursors', 'crm_tasks', 'crm_activities', 'crm_changes', 'crm_people', 'messages', 'message_statuses', 'consent_events', 'inbox_events', 'contacts'] as const;
const MAP: FieldMap = [...DEFAULT_FIELD_MAPS.hubspot, { crm: 'plan_tier', switchboard: 'plan', direction: 'from_crm', transform: 'lowercase' }];

/** Stands for automation: records the crm.person_changed events it is given. */
const received: unknown[] = [];
const automation: EventSubscriber = {
  name: 'automation-probe',
  handles: ['crm.person_changed'],
  handle: async (event) => {
    received.push(event);
  },
};

function inboundText(waId: string, wamid: string, text: string, timestamp: number): Buffer {
  return Buffer.from(
    JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '204857361209384',
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: '15557340192', phone_number_id: '118274650392817' },
                contacts: [{ profile: { name: 'Lead From WhatsApp' }, wa_id: waId }],
                messages: [{ from: waId, id: wamid, timestamp: String(Math.floor(timestamp / 1000)), type: 'text', text: { body: text } }],
              },
            },
          ],
        },
      ],
    }),
  );
}

describe.each(DIALECTS)('changes from the CRM on %s', (dialect) => {
  let ours: TestDatabase;
  let theirs: TestDatabase;
  let clock: ManualClock;
  let remote: FaultInjectingConnector;
  let crm: FakeCrmControls;
  let deps: CrmSyncDeps;
  let queue: SqlJobQueue;
  let worker: Worker;

  beforeAll(async () => {
    [ours, theirs] = await Promise.all([createTestDatabase(dialect), createTestDatabase('sqlite')]);
  });
  afterAll(async () => {
    await Promise.all([ours.drop(), theirs.drop()]);
  });
  beforeEach(async () => {
    for (const table of OURS) await ours.db.deleteFrom(table).execute();
    for (const table of ['crm_changes', 'crm_activities', 'crm_tasks', 'crm_people', 'contacts'] as const) await theirs.db.deleteFrom(table).execute();
    received.length = 0;
    clock = new ManualClock(T0);
    const theirDeps = { clock, ids: uuidGenerator, defaultRegion: 'US' };
    remote = new FaultInjectingConnector(new BuiltinCrmConnector({ db: theirs.db, ...theirDeps, pageSize: 10 }), clock, 'hubspot');
    crm = builtinControls(theirs.db, theirDeps, remote);
    queue = new SqlJobQueue(ours.db, ours.dialect, clock, uuidGenerator, 8);
    const enqueue: CrmSyncDeps['enqueue'] = (exec, jobs) => queue.enqueue(exec, jobs);
    const publish = eventPublisher([automation], enqueue);
    deps = { db: ours.db, connector: remote, fieldMap: MAP, clock, ids: uuidGenerator, defaultRegion: 'US', publish, enqueue, random: () => 0 };
    worker = new Worker(
      queue,
      [pollCrmChangesJob(deps, 5_000), updatePersonJob(deps), subscriberJob(automation), processInboundEventJob(inboundTestDeps(clock, () => queue))],
      { batchSize: 50, pollIntervalMs: 10, clock, log: createLogger('silent'), random: () => 0 },
    );
  });

  const contactsByPhone = async (phone: string) => {
    const found = await findContacts(ours.db, { phone }, 'US');
    if (!found.ok) throw found.error;
    return found.value;
  };

  describe('polling', () => {
    it('creates the contact of a lead made in the CRM, copies mapped fields, tells automation once, and writes our key back', async () => {
      await ensureCrmPolling(ours.db, deps.enqueue, 'hubspot', clock.now(), 5_000);
      await ensureCrmPolling(ours.db, deps.enqueue, 'hubspot', clock.now(), 5_000); // a second start adds no second chain
      await worker.drain(); // first run: the feed starts from now
      const crmId = await crm.createPersonDirectly({ firstName: 'Lia', lastName: 'Moreno', phone: '(415) 555-0177', tags: ['Hot Lead – High Priority'], fields: { plan_tier: 'GOLD', unmapped: 'x' } });

      clock.advance(5_000);
      await worker.drain();
      const [contact] = await contactsByPhone('+14155550177');
      expect(contact).toMatchObject({ name: 'Lia Moreno', phone: '+14155550177', fields: { plan: 'gold' } });
      expect(received).toEqual([
        expect.objectContaining({ type: 'crm.person_changed', change: 'created', connector: 'hubspot', crmId, contactId: contact!.id, tags: ['Hot Lead – High Priority'], fields: { plan: 'gold' } }),
      ]);
      expect((await remote.findByKey(contact!.id))?.crmId).toBe(crmId);

      // The key written back shows up in the feed as a change; it is our own echo and tells nobody.
      for (let i = 0; i < 3; i++) {
        clock.advance(5_000);
        await worker.drain();
      }
      expect(received).toHaveLength(1);
      expect(await ours.db.selectFrom('jobs').select('id').where('name', '=', CRM_POLL_CHANGES).where('state', '=', 'pending').execute()).toHaveLength(1);

      await crm.updatePersonDirectly(crmId, { tags: ['Hot Lead – High Priority', 'Visited'] });
      clock.advance(5_000);
      await worker.drain();
      expect(received).toHaveLength(2);
      expect(received[1]).toMatchObject({ change: 'updated', tags: ['Hot Lead – High Priority', 'Visited'] });
    });

    it('keeps polling through a CRM outage and catches up afterwards', async () => {
      await ensureCrmPolling(ours.db, deps.enqueue, 'hubspot', clock.now(), 5_000);
      await worker.drain();
      await crm.createPersonDirectly({ lastName: 'During Outage', phone: '(415) 555-0178' });
      remote.failUntil(clock.now() + 60_000, 503);
      for (let i = 0; i < 20; i++) {
        clock.advance(5_000);
        await worker.drain();
      }
      expect(await contactsByPhone('+14155550178')).toHaveLength(1);
      expect(await ours.db.selectFrom('dead_letters').select('id').execute()).toEqual([]);
    });

    it('attaches a CRM record to the contact who already wrote on WhatsApp, matching the national number', async () => {
      const existing = await createContact(ours.db, { name: null, phone: '+14155550179' }, { clock, ids: uuidGenerator, defaultRegion: 'US' });
      if (!existing.ok) throw existing.error;
      await ensureCrmPolling(ours.db, deps.enqueue, 'hubspot', clock.now(), 5_000);
      await worker.drain();
      const crmId = await crm.createPersonDirectly({ firstName: 'Rui', lastName: 'Alves', phone: '415.555.0179' });
      clock.advance(5_000);
      await worker.drain();
      expect(await contactsByPhone('+14155550179')).toEqual([expect.objectContaining({ id: existing.value.id, name: 'Rui Alves' })]);
      expect((await remote.findByKey(existing.value.id))?.crmId).toBe(crmId);
    });
  });

  describe('webhook', () => {
    const withWebhooks = (connector: CrmConnector): CrmConnector =>
      Object.assign(Object.create(connector) as CrmConnector, {
        kind: connector.kind,
        async parseWebhook({ headers, rawBody }: { headers: Record<string, string | string[] | undefined>; rawBody: Buffer }): Promise<CrmChange[]> {
          if (headers['x-test-signature'] !== 'ok') throw new CrmError('CRM_UNAUTHORIZED', 'Bad signature.');
          const { ids } = JSON.parse(rawBody.toString()) as { ids: string[] };
          const people = await Promise.all(ids.map((id) => connector.getPerson(id)));
          return people.flatMap((person) => (person ? [{ kind: 'person.created' as const, person, occurredAt: clock.now() }] : []));
        },
      });

    it('applies the changes a CRM pushes, and refuses an unsigned push or another kind', async () => {
      const app = await apiWith((a) => a.register(crmWebhookRoutes, { deps: { ...deps, connector: withWebhooks(remote) }, bodyLimitBytes: 1_000_000 }));
      const crmId = await crm.createPersonDirectly({ firstName: 'Noa', lastName: 'Lima', phone: '(415) 555-0180', tags: ['Hot Lead'] });
      const push = (kind: string, signature: string) =>
        app.inject({ method: 'POST', url: `/webhooks/crm/${kind}`, headers: { 'content-type': 'application/json', 'x-test-signature': signature }, payload: JSON.stringify({ ids: [crmId] }) });

      const refused = await push('hubspot', 'forged');
      expect(refused.statusCode).toBe(401);
      expect(refused.json()).toMatchObject({ error: { code: 'CRM_WEBHOOK_SIGNATURE_INVALID' } });
      const other = await push('zoho', 'ok');
      expect(other.statusCode).toBe(404);
      expect(await contactsByPhone('+14155550180')).toEqual([]);

      const ok = await push('hubspot', 'ok');
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toEqual({ received: 1, applied: 1 });
      await push('hubspot', 'ok'); // a CRM's redelivery: no second contact, no second event
      await worker.drain();
      expect(await contactsByPhone('+14155550180')).toHaveLength(1);
      expect(received).toHaveLength(1);
      await app.close();
    });
  });

  describe('backfill', () => {
    it('imports every page, and a WhatsApp message from 14155550142 then lands on the contact of the record holding (415) 555-0142', async () => {
      const target = await crm.createPersonDirectly({ firstName: 'Dora', lastName: 'Reyes', phone: '(415) 555-0142', fields: { plan_tier: 'Silver' } });
      for (let i = 0; i < 23; i++) await crm.createPersonDirectly({ lastName: `Imported ${i}`, phone: `(415) 555-${String(2100 + i)}` });
      await crm.createPersonDirectly({ lastName: 'No Number', email: 'none@example.com' });
      await theirs.db.updateTable('contacts').set({ phone: null, phone_match_key: null }).where('name', '=', 'No Number').execute();

      const first = await backfillCrm(deps, { sleep: async () => {} });
      expect(first).toMatchObject({ people: 25, pages: 3, created: 24, keysWritten: 24, skippedNoPhone: 1, failed: 0 });
      expect(received).toEqual([]); // importing tells automation nothing

      const again = await backfillCrm(deps, { sleep: async () => {} });
      expect(again).toMatchObject({ people: 25, created: 0, alreadyLinked: 24, keysWritten: 0 });
      const count = await ours.db.selectFrom('contacts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      expect(Number(count.n)).toBe(24);

      const [dora] = await contactsByPhone('(415) 555-0142');
      expect(dora).toMatchObject({ name: 'Dora Reyes', phone: '+14155550142', fields: { plan: 'silver' } });
      expect((await remote.findByKey(dora!.id))?.crmId).toBe(target);

      const ingestor = createWebhookIngestor({ database: ours, queue, clock, ids: uuidGenerator, appSecret: APP_SECRET });
      const body = inboundText('14155550142', 'wamid.backfill-1', 'Hi, is the flat on 5th still free?', clock.now());
      expect((await ingestor.ingest(body, signatureFor(body, APP_SECRET))).ok).toBe(true);
      await worker.drain();
      const after = await ours.db.selectFrom('contacts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      expect(Number(after.n)).toBe(24);
      const message = await ours.db.selectFrom('messages').select(['contact_id', 'text']).where('wamid', '=', 'wamid.backfill-1').executeTakeFirstOrThrow();
      expect(message.contact_id).toBe(dora!.id);
      expect((await contactRepository.findById(ours.db, dora!.id))?.name).toBe('Dora Reyes');
    });

    it('waits out rate limits while importing', async () => {
      await crm.createPersonDirectly({ lastName: 'Rated', phone: '(415) 555-0181' });
      remote.failNext(429, 2);
      const waits: number[] = [];
      const counts = await backfillCrm(deps, { sleep: async (ms) => void waits.push(ms) });
      expect(counts).toMatchObject({ people: 1, created: 1, keysWritten: 1 });
      expect(waits).toEqual([1_000, 2_000]);
    });
  });
});
