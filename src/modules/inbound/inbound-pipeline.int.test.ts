import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { inboundTestDeps } from '../../../test/support/inbound-test-deps.js';
import { statusBody } from '../../../test/support/status-webhook.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../../test/support/test-databases.js';
import { deadLetterRepository } from '../../jobs/dead-letter.repository.js';
import { replayDeadLetter } from '../../jobs/replay-dead-letters.js';
import { SqlJobQueue } from '../../jobs/sql-job-queue.js';
import { Worker } from '../../jobs/worker.js';
import { ManualClock } from '../../platform/clock.js';
import { uuidGenerator } from '../../platform/ids.js';
import { createLogger } from '../../platform/logger.js';
import { contactRepository, createContact, findContacts, type Contact } from '../contacts/index.js';
import { getTimeline, type TimelineEntry } from '../timeline/index.js';
import { createWebhookIngestor, type WebhookIngestor } from './ingest-webhook.js';
import { processInboundEventJob, PROCESS_INBOUND_EVENT } from './process-inbound-event.job.js';
import { signatureFor } from './webhook-signature.js';

const SECRET = 'test-app-secret';
const fixture = (name: string) => readFileSync(new URL(`../../../test/fixtures/meta/${name}.json`, import.meta.url));

describe.each(DIALECTS)('inbound pipeline on %s', (dialect) => {
  let database: TestDatabase;
  let clock: ManualClock;
  let queue: SqlJobQueue;
  let ingestor: WebhookIngestor;
  let worker: Worker;
  const deps = () => inboundTestDeps(clock, () => queue);

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await database.drop();
  });
  beforeEach(async () => {
    for (const table of ['reactions', 'message_statuses', 'messages', 'consent_events', 'media_files', 'outbound_messages', 'contacts', 'dead_letters', 'jobs', 'inbox_events'] as const) {
      await database.db.deleteFrom(table).execute();
    }
    clock = new ManualClock(Date.UTC(2026, 10, 1));
    queue = new SqlJobQueue(database.db, database.dialect, clock, uuidGenerator, 5);
    ingestor = createWebhookIngestor({ database, queue, clock, ids: uuidGenerator, appSecret: SECRET });
    worker = new Worker(queue, [processInboundEventJob(deps())], { batchSize: 100, pollIntervalMs: 10, clock, log: createLogger('silent') });
  });

  async function deliver(...bodies: Buffer[]): Promise<void> {
    for (const body of bodies) {
      const result = await ingestor.ingest(body, signatureFor(body, SECRET));
      expect(result.ok).toBe(true);
    }
    await worker.drain();
  }
  const contactsByPhone = async (phone: string): Promise<Contact[]> => {
    const found = await findContacts(database.db, { phone }, 'US');
    if (!found.ok) throw found.error;
    return found.value;
  };
  const timeline = async (contactId: string): Promise<TimelineEntry[]> => {
    const page = await getTimeline(database.db, contactId, { limit: 500 });
    if (!page.ok) throw page.error;
    return page.value.data;
  };
  const count = async (table: 'contacts' | 'messages') =>
    Number((await database.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  it('puts a Brazilian message without the ninth digit on the contact the CRM stored with it', async () => {
    const created = await createContact(database.db, { name: 'Ana Souza (CRM)', phone: '+55 (11) 98765-4321' }, deps());
    expect(created.ok).toBe(true);
    await deliver(fixture('inbound-text'));
    const [contact, ...others] = await contactsByPhone('551187654321');
    expect(others).toEqual([]);
    expect(contact).toMatchObject({ name: 'Ana Souza (CRM)', phone: '+5511987654321', waId: '551187654321', bsuid: 'BR.27403918572640193841' });
    const entries = await timeline(contact!.id);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ direction: 'inbound', type: 'text', text: 'Oi! Vocês têm esse produto em azul?', timestamp: '2026-10-03T16:00:00.000Z' });
  });

  it('finds a Mexican contact stored without the 1 after 52', async () => {
    await createContact(database.db, { name: 'Carlos', phone: '+52 55 1234 5678' }, deps());
    await deliver(fixture('inbound-text-ctwa-referral'));
    const [contact, ...others] = await contactsByPhone('+5215512345678');
    expect(others).toEqual([]);
    const [entry] = await timeline(contact!.id);
    expect(entry!.referral).toMatchObject({ sourceType: 'ad', ctwaClid: expect.any(String) });
  });

  it('creates a new contact with the WhatsApp profile name when nobody matches', async () => {
    await deliver(fixture('inbound-text'));
    const [contact] = await contactsByPhone('+5511987654321');
    expect(contact).toMatchObject({ name: 'Ana Souza', profileName: 'Ana Souza', phone: '+5511987654321', waId: '551187654321' });
  });

  it('keeps a username-only user, who has no phone, by BSUID', async () => {
    await deliver(fixture('inbound-text-username-no-phone'));
    const contact = await contactRepository.findByBsuid(database.db, 'BR.84720193857201938462');
    expect(contact).toMatchObject({ phone: null, waId: null, name: 'Marina Costa' });
    expect(await timeline(contact!.id)).toHaveLength(1);
  });

  it('joins a BSUID learned later to the existing phone contact', async () => {
    await deliver(fixture('inbound-text-legacy-no-bsuid'));
    expect(await count('contacts')).toBe(1);
    const body = JSON.parse(fixture('inbound-text-legacy-no-bsuid').toString()) as { entry: { changes: { value: { contacts: { user_id?: string }[]; messages: { id: string; from_user_id?: string }[] } }[] }[] };
    const value = body.entry[0]!.changes[0]!.value;
    value.contacts[0]!.user_id = 'XX.111';
    value.messages[0]!.from_user_id = 'XX.111';
    value.messages[0]!.id = 'wamid.later-with-bsuid';
    await deliver(Buffer.from(JSON.stringify(body)));
    expect(await count('contacts')).toBe(1);
    const contact = await contactRepository.findByBsuid(database.db, 'XX.111');
    expect(await timeline(contact!.id)).toHaveLength(2);
  });

  it('adds nothing when the same webhooks arrive again', async () => {
    await deliver(fixture('inbound-text'), fixture('batch-messages-and-statuses'));
    const before = { contacts: await count('contacts'), messages: await count('messages') };
    await deliver(fixture('inbound-text'), fixture('batch-messages-and-statuses'), fixture('inbound-text'));
    expect({ contacts: await count('contacts'), messages: await count('messages') }).toEqual(before);
    // A body stored once is processed once: a redelivery gets no job of its own.
    const jobs = await database.db.selectFrom('jobs').select('payload').where('name', '=', PROCESS_INBOUND_EVENT).execute();
    expect(jobs).toHaveLength(2);
  });

  it('gives each of several deliveries of one body, ingested at once, a single job', async () => {
    const body = fixture('inbound-text');
    const results = await Promise.all([1, 2, 3].map(() => ingestor.ingest(body, signatureFor(body, SECRET))));
    expect(new Set(results.map((r) => (r.ok ? r.value.eventId : 'refused')))).toHaveLength(1);
    const jobs = await database.db.selectFrom('jobs').select('payload').where('name', '=', PROCESS_INBOUND_EVENT).execute();
    expect(jobs.map((j) => JSON.parse(j.payload))).toEqual([{ eventId: results[0]!.ok && results[0]!.value.eventId }]);
  });

  it('does not process a message twice even when it comes in two different bodies', async () => {
    const body = JSON.parse(fixture('inbound-text').toString()) as { entry: { time?: number }[] };
    body.entry[0]!.time = 1; // another body, same message
    await deliver(fixture('inbound-text'), Buffer.from(JSON.stringify(body)));
    expect(await count('messages')).toBe(1);
  });

  it('settles statuses that arrive out of order, duplicated and late on the highest one', async () => {
    await deliver(
      statusBody('wamid.A', 'read', 1791040300),
      statusBody('wamid.A', 'delivered', 1791040200),
      statusBody('wamid.A', 'sent', 1791040100),
      statusBody('wamid.A', 'failed', 1791040400, { errors: [{ code: 131026, title: 'Message undeliverable', error_data: { details: 'Recipient cannot be reached' } }] }),
      statusBody('wamid.A', 'delivered', 1791040200),
    );
    const [contact] = await contactsByPhone('+16505550142');
    const [entry] = await timeline(contact!.id);
    expect(entry).toMatchObject({
      wamid: 'wamid.A',
      direction: 'outbound',
      type: 'unknown',
      status: 'read',
      error: { code: 131026, title: 'Message undeliverable', details: 'Recipient cannot be reached' },
      // Placed at its earliest known status.
      timestamp: new Date(1791040100_000).toISOString(),
    });
  });

  it('lets failed replace sent and keeps the Meta error', async () => {
    await deliver(fixture('status-sent-pmp-v24-marketing'));
    const failed = statusBody('wamid.HBgMNTUxMTg3NjU0MzIxFQIAERgSNkEwRDMzRTFDOUYyNDcxQjhFAA==', 'failed', 1791040500, {
      recipient_id: '551187654321',
      errors: [{ code: 131050, title: 'User stopped marketing', message: 'x', error_data: { details: 'stopped' } }],
    });
    await deliver(failed);
    const [contact] = await contactsByPhone('+551187654321');
    const [entry] = await timeline(contact!.id);
    expect(entry).toMatchObject({ status: 'failed', error: { code: 131050, details: 'stopped' } });
    expect(entry!.pricing).toMatchObject({ model: 'PMP', category: 'marketing', type: 'regular' });
  });

  it('attaches a reaction to its message, and clears it when the reaction is removed', async () => {
    await deliver(statusBody('wamid.HBgNNTIxNTUxMjM0NTY3OBUCABEYEjVGNDI1QTc0RjEzMDMzNDkyQgA=', 'sent', 1791044000, { recipient_id: '5215512345678' }));
    await deliver(fixture('inbound-reaction'));
    const [contact] = await contactsByPhone('+5215512345678');
    const reactedTo = () => timeline(contact!.id).then((entries) => entries.find((e) => e.wamid?.endsWith('QgA='))!);
    expect((await reactedTo()).reactions).toEqual([{ emoji: '👍', from: 'contact', timestamp: expect.any(String) }]);
    await deliver(fixture('inbound-reaction-removed'));
    expect((await reactedTo()).reactions).toEqual([]);
  });

  it('moves a contact to its new number when the user changes number, keeping history', async () => {
    await deliver(fixture('inbound-text'));
    const [before] = await contactsByPhone('+551187654321');
    await deliver(fixture('inbound-system-user-changed-number'));
    const after = await contactRepository.findById(database.db, before!.id);
    expect(after).toMatchObject({ phone: '+5511987654321', waId: '5511987654321', bsuid: 'BR.50918273640192837465' });
    const entries = await timeline(before!.id);
    expect(entries.map((e) => e.type)).toEqual(['text', 'system']);
  });

  it('folds a contact already made for the new number into the one that changed number', async () => {
    await deliver(fixture('inbound-text-legacy-no-bsuid'));
    const [old] = await contactsByPhone('+919812345678');
    const change = {
      object: 'whatsapp_business_account',
      entry: [{ id: 'w', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '1', phone_number_id: '1' }, messages: [
        { from: old!.waId, id: 'wamid.change', timestamp: '1791050000', type: 'system', system: { type: 'user_changed_number', wa_id: '919812345699', body: 'changed' } },
      ] } }] }],
    };
    const fromNewNumber = JSON.parse(fixture('inbound-text-legacy-no-bsuid').toString().replaceAll(old!.waId!, '919812345699').replace(/"id": ?"wamid[^"]*"/, '"id":"wamid.new"'));
    await deliver(Buffer.from(JSON.stringify(fromNewNumber)), Buffer.from(JSON.stringify(change)));
    expect(await count('contacts')).toBe(1);
    const entries = await timeline(old!.id);
    expect(entries.map((e) => e.wamid).sort()).toEqual(['wamid.change', 'wamid.new', expect.stringMatching(/^wamid\./)].sort());
  });

  it('follows a BSUID change', async () => {
    await deliver(fixture('inbound-text'));
    const [contact] = await contactsByPhone('+551187654321');
    await database.db.updateTable('contacts').set({ bsuid: 'GB.46192730581648293057' }).where('id', '=', contact!.id).execute();
    await deliver(fixture('user-id-update'));
    expect((await contactRepository.findById(database.db, contact!.id))!.bsuid).toBe('GB.71093846520193847560');
  });

  it('processes every fixture without a dead letter', async () => {
    const names = readFileSync(new URL('../../../test/fixtures/meta/README.md', import.meta.url), 'utf8')
      .match(/^\| ([a-z0-9-]+(?:-UNCONFIRMED)?)\.json \|/gm)!
      .map((row) => row.slice(2, -7))
      .filter((name) => !name.startsWith('graph-') && name !== 'webhook-signature-vector');
    expect(names.length).toBeGreaterThan(40);
    await deliver(...names.map(fixture));
    expect(await deadLetterRepository.count(database.db)).toBe(0);
    const jobs = await database.db.selectFrom('jobs').select(['name', 'state']).execute();
    expect(jobs.filter((j) => j.name === 'inbound.process').every((j) => j.state === 'done')).toBe(true);
    // Every inbound file waits for its download (run by the media job, tested with the simulator).
    const downloads = jobs.filter((j) => j.name === 'media.download');
    expect(downloads.length).toBe(await database.db.selectFrom('media_files').select('id').execute().then((r) => r.length));
    expect(downloads.length).toBeGreaterThanOrEqual(5);
    expect(await count('messages')).toBeGreaterThan(30);
  });

  it('refuses a bad signature and stores nothing', async () => {
    const body = fixture('inbound-text');
    const result = await ingestor.ingest(body, signatureFor(body, 'wrong-secret'));
    expect(result).toMatchObject({ ok: false, error: { code: 'WEBHOOK_SIGNATURE_INVALID' } });
    expect(await ingestor.ingest(body, undefined)).toMatchObject({ ok: false });
    expect(await database.db.selectFrom('inbox_events').selectAll().execute()).toEqual([]);
    expect(await deadLetterRepository.count(database.db)).toBe(0);
  });

  it('dead-letters a signed body that is not a WhatsApp envelope, and replays it only once it is valid', async () => {
    for (const bad of ['not json', '{"object":"page","entry":[]}']) {
      const body = Buffer.from(bad);
      expect(await ingestor.ingest(body, signatureFor(body, SECRET))).toMatchObject({ ok: false, error: { code: 'WEBHOOK_BODY_INVALID' } });
    }
    const letters = await deadLetterRepository.list(database.db, { includeReplayed: false, limit: 10 });
    expect(letters.map((l) => l.body).sort()).toEqual(['not json', '{"object":"page","entry":[]}']);
    const outcome = await replayDeadLetter(letters[0]!, { db: database.db, queue, clock, replayWebhook: ingestor.replay });
    expect(outcome.replayed).toBe(false);
    expect(await deadLetterRepository.count(database.db)).toBe(2);

    // A body the parser accepts (as after an upgrade) is stored and processed on replay.
    await database.db.updateTable('dead_letters').set({ body: fixture('inbound-text').toString() }).where('id', '=', letters[0]!.id).execute();
    const replay = await replayDeadLetter((await deadLetterRepository.get(database.db, letters[0]!.id))!, { db: database.db, queue, clock, replayWebhook: ingestor.replay });
    expect(replay.replayed).toBe(true);
    await worker.drain();
    expect(await count('messages')).toBe(1);
    expect(await deadLetterRepository.count(database.db)).toBe(1);
  });

  it('records opt-outs and opt-ins from the user_preferences webhook in the consent ledger', async () => {
    await deliver(fixture('user-preferences-stop'), fixture('user-preferences-resume'), fixture('user-preferences-stop'));
    const ledger = await database.db.selectFrom('consent_events').selectAll().orderBy('occurred_at').execute();
    expect(ledger.map((e) => [e.category, e.action, e.source])).toEqual([
      ['marketing', 'opt_out', 'user_preferences'],
      ['marketing', 'opt_in', 'user_preferences'],
    ]);
  });

  it('stores every field raw, including those no module handles yet', async () => {
    await deliver(fixture('template-status-approved'), fixture('account-update-violation'), fixture('user-preferences-stop'));
    const stored = await database.db.selectFrom('inbox_events').select(['fields', 'body']).execute();
    expect(stored.map((s) => s.fields).sort()).toEqual(['account_update', 'message_template_status_update', 'user_preferences']);
    expect(stored.map((s) => s.body)).toContain(fixture('template-status-approved').toString());
  });
});
