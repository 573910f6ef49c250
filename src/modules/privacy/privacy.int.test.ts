import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiWith } from '../../../test/support/api-with.js';
import { inboundTestDeps } from '../../../test/support/inbound-test-deps.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../../test/support/test-databases.js';
import type { Database } from '../../db/database.js';
import { SqlJobQueue } from '../../jobs/sql-job-queue.js';
import { Worker } from '../../jobs/worker.js';
import { ManualClock } from '../../platform/clock.js';
import { uuidGenerator } from '../../platform/ids.js';
import { createLogger } from '../../platform/logger.js';
import { applyConsentKeyword, consentDecision, getConsent } from '../consent/index.js';
import { contactRepository, findContacts, type Contact } from '../contacts/index.js';
import { inboundJob, processInboundEventJob } from '../inbound/index.js';
import { MediaStore } from '../media/index.js';
import { completeOutboundSend, recordOutboundQueued } from '../timeline/index.js';
import {
  eraseContact,
  exportContact,
  privacyRoutes,
  purgeOlderThan,
  reapplyErasureTombstone,
  RETENTION_PURGE,
  retentionPurgeJob,
  scheduleRetentionPurge,
  wasErasedAndOptedOut,
  type ContactExport,
} from './index.js';

const SALT = 'salt-for-tests-0123456789';
const NUMBER = '118274650392817';
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 1);
const seconds = (ms: number) => String(Math.floor(ms / 1000));

type Person = { waId: string; bsuid: string; name: string };
const ANA: Person = { waId: '551187654321', bsuid: 'BR.27403918572640193841', name: 'Ana Souza' };
const BOB: Person = { waId: '16505550142', bsuid: 'US.13491208655302741918', name: 'Bob Stone' };
const ANA_PHONE_DIGITS = '5511987654321';

const envelope = (value: Record<string, unknown>, field = 'messages') => ({
  object: 'whatsapp_business_account',
  entry: [{ id: '204857361209384', changes: [{ field, value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15557340192', phone_number_id: NUMBER }, ...value } }] }],
});
const contactOf = (p: Person) => ({ profile: { name: p.name }, wa_id: p.waId, user_id: p.bsuid });
const text = (p: Person, wamid: string, at: number, body: string) => ({ from: p.waId, from_user_id: p.bsuid, id: wamid, timestamp: seconds(at), type: 'text', text: { body } });
const image = (p: Person, wamid: string, at: number, mediaId: string) => ({
  from: p.waId,
  from_user_id: p.bsuid,
  id: wamid,
  timestamp: seconds(at),
  type: 'image',
  image: { id: mediaId, mime_type: 'image/jpeg', caption: `${p.name} at the beach` },
});
const reaction = (p: Person, wamid: string, at: number, target: string) => ({
  from: p.waId,
  from_user_id: p.bsuid,
  id: wamid,
  timestamp: seconds(at),
  type: 'reaction',
  reaction: { message_id: target, emoji: '👍' },
});
const status = (p: Person, wamid: string, value: string, at: number) => ({ id: wamid, status: value, timestamp: seconds(at), recipient_id: p.waId, recipient_user_id: p.bsuid });

const TABLES: (keyof Database)[] = [
  'inbox_events',
  'jobs',
  'dead_letters',
  'contacts',
  'messages',
  'message_statuses',
  'reactions',
  'business_numbers',
  'outbound_messages',
  'consent_events',
  'media_files',
  'templates',
  'template_events',
  'erased_identities',
  'audit_log',
  'conversation_notes',
  'conversation_assignments',
  'conversations',
  'inbox_contact_tags',
  'crm_outbox',
  'crm_changes',
  'crm_activities',
  'crm_tasks',
  'crm_links',
  'crm_people',
  'automation_action_results',
  'automation_runs',
  'automation_handled_events',
  'automation_crm_snapshots',
];

describe.each(DIALECTS)('privacy on %s', (dialect) => {
  let database: TestDatabase;
  let clock: ManualClock;
  let queue: SqlJobQueue;
  let worker: Worker;
  let mediaDir: string;
  let store: MediaStore;
  const deps = () => inboundTestDeps(clock, () => queue, SALT);

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await database.drop();
  });
  beforeEach(async () => {
    for (const table of TABLES.filter((t) => t !== 'contacts')) await database.db.deleteFrom(table).execute();
    await database.db.deleteFrom('contacts').execute();
    clock = new ManualClock(T0);
    queue = new SqlJobQueue(database.db, database.dialect, clock, uuidGenerator, 5);
    worker = new Worker(queue, [processInboundEventJob(deps())], { batchSize: 100, pollIntervalMs: 10, clock, log: createLogger('silent') });
    if (mediaDir) rmSync(mediaDir, { recursive: true, force: true });
    mediaDir = mkdtempSync(join(tmpdir(), 'switchboard-privacy-'));
    store = new MediaStore(mediaDir);
  });
  afterAll(() => rmSync(mediaDir, { recursive: true, force: true }));

  /** Stores bodies in the inbox as ingestion does (keyed by their sha256) and processes them. */
  async function deliver(...bodies: unknown[]): Promise<string[]> {
    const ids: string[] = [];
    for (const body of bodies) {
      const raw = JSON.stringify(body);
      const id = createHash('sha256').update(raw).digest('hex');
      ids.push(id);
      await database.db.transaction().execute(async (trx) => {
        await trx.insertInto('inbox_events').values({ id, received_at: clock.now(), body: raw, fields: 'messages' }).onConflict((oc) => oc.column('id').doNothing()).execute();
        await queue.enqueue(trx, [inboundJob(id)]);
      });
    }
    await worker.drain();
    return ids;
  }

  const contactOfPerson = async (p: Person): Promise<Contact> => {
    const found = await findContacts(database.db, { bsuid: p.bsuid }, 'US');
    if (!found.ok || !found.value[0]) throw new Error(`no contact for ${p.name}`);
    return found.value[0];
  };

  /** Plays the downloader: the bytes land in the store and the row says where. */
  async function download(mediaId: string, bytes: string): Promise<string> {
    const stored = await store.put(Buffer.from(bytes));
    await database.db.updateTable('media_files').set({ state: 'stored', storage_path: stored.path, sha256: stored.sha256, size_bytes: bytes.length }).where('whatsapp_media_id', '=', mediaId).execute();
    return join(mediaDir, stored.path);
  }

  async function uploaded(mediaId: string, bytes: string): Promise<string> {
    const stored = await store.put(Buffer.from(bytes));
    await database.db
      .insertInto('media_files')
      .values({
        id: uuidGenerator.next(),
        whatsapp_media_id: mediaId,
        business_phone_number_id: NUMBER,
        message_wamid: null,
        contact_id: null,
        mime_type: 'application/pdf',
        sha256: stored.sha256,
        size_bytes: bytes.length,
        filename: `${mediaId}.pdf`,
        storage_path: stored.path,
        state: 'stored',
        error: null,
        created_at: clock.now(),
        updated_at: clock.now(),
      })
      .execute();
    return join(mediaDir, stored.path);
  }

  /** A message the business sent, accepted by Meta with `wamid`. */
  async function sent(contact: Contact, wamid: string, body: Record<string, unknown>): Promise<string> {
    const id = uuidGenerator.next();
    const now = clock.now();
    await database.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('outbound_messages')
        .values({
          id,
          idempotency_key: null,
          contact_id: contact.id,
          business_phone_number_id: NUMBER,
          recipient: contact.waId ?? contact.bsuid!,
          recipient_kind: contact.waId ? 'phone' : 'bsuid',
          type: String(body['type']),
          category: 'service',
          body: JSON.stringify(body),
          state: 'accepted',
          attempts: 1,
          pair_attempts: 0,
          next_attempt_at: now,
          lease_until: null,
          wamid,
          message_status: 'accepted',
          error_code: null,
          error_message: null,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await recordOutboundQueued(trx, { id, contactId: contact.id, businessPhoneNumberId: NUMBER, type: String(body['type']), text: 'Your invoice', content: body, queuedAt: now });
      await completeOutboundSend(trx, id, wamid, now);
    });
    return id;
  }

  /** Ana's and Bob's whole history: messages, a batched webhook, media, replies, statuses, STOP. */
  async function buildWorld() {
    const t = clock.now();
    await deliver(envelope({ contacts: [contactOf(ANA)], messages: [text(ANA, 'wamid.ANA1', t - 60_000, 'Oi! Vocês têm esse produto em azul?')] }));
    // Meta batches people: one body with Ana's and Bob's messages.
    await deliver(
      envelope({
        contacts: [contactOf(ANA), contactOf(BOB)],
        messages: [text(ANA, 'wamid.ANA2', t - 50_000, 'Meu endereço é Rua das Flores 12'), text(BOB, 'wamid.BOB1', t - 50_000, 'Hi there')],
      }),
    );
    await deliver(envelope({ contacts: [contactOf(ANA)], messages: [image(ANA, 'wamid.ANA3', t - 40_000, 'media-ana-1')] }));
    await deliver(envelope({ contacts: [contactOf(ANA)], messages: [image(ANA, 'wamid.ANA4', t - 39_000, 'media-ana-2')] }));
    await deliver(envelope({ contacts: [contactOf(BOB)], messages: [image(BOB, 'wamid.BOB2', t - 38_000, 'media-bob-1')] }));
    const anaFile = await download('media-ana-1', 'ana-only-bytes');
    const sharedFile = await download('media-ana-2', 'the-same-meme');
    await download('media-bob-1', 'the-same-meme');

    const ana = await contactOfPerson(ANA);
    const bob = await contactOfPerson(BOB);
    const anaInvoice = await uploaded('upload-ana-invoice', 'invoice for Ana');
    const campaignImage = await uploaded('upload-campaign', 'campaign header');
    await sent(ana, 'wamid.OUT-ANA1', { type: 'document', document: { id: 'upload-ana-invoice', filename: 'invoice.pdf' } });
    await sent(ana, 'wamid.OUT-ANA2', { type: 'image', image: { id: 'upload-campaign' } });
    await sent(bob, 'wamid.OUT-BOB1', { type: 'image', image: { id: 'upload-campaign' } });
    // One status body for both of them; Ana reacts to the invoice.
    await deliver(envelope({ statuses: [status(ANA, 'wamid.OUT-ANA1', 'delivered', t - 20_000), status(BOB, 'wamid.OUT-BOB1', 'read', t - 20_000)] }));
    await deliver(envelope({ contacts: [contactOf(ANA)], messages: [reaction(ANA, 'wamid.ANA5', t - 10_000, 'wamid.OUT-ANA1')] }));

    // Ana writes STOP (the inbound job applies the keyword in its transaction once wired).
    const stopWamid = 'wamid.ANA6';
    await deliver(envelope({ contacts: [contactOf(ANA)], messages: [text(ANA, stopWamid, t - 5_000, 'STOP')] }));
    await database.db.transaction().execute((trx) =>
      applyConsentKeyword(trx, { contact: ana, businessPhoneNumberId: NUMBER, text: 'STOP', wamid: stopWamid, timestamp: Number(seconds(t - 5_000)) * 1000 }, deps()),
    );

    // A refused body naming Ana, and one naming Bob.
    for (const [who, body] of [
      [ANA, `{"broken": true, "from": "${ANA.waId}"`],
      [BOB, `{"broken": true, "from": "${BOB.waId}"`],
    ] as const) {
      await database.db
        .insertInto('dead_letters')
        .values({ id: uuidGenerator.next(), source: 'webhook', code: 'WEBHOOK_BODY_INVALID', reason: `not JSON (${who.name === ANA.name ? 'a' : 'b'})`, body, job_id: null, job_name: null, created_at: t, replayed_at: null })
        .execute();
    }
    for (const [contact, person] of [[ana, ANA], [bob, BOB]] as const) await inboxCrmAndAutomationRows(contact, person);
    return { ana, bob, anaFile, sharedFile, anaInvoice, campaignImage };
  }

  /** What the inbox, the built-in CRM and automation keep about a person, each row naming them. */
  async function inboxCrmAndAutomationRows(contact: Contact, person: Person): Promise<void> {
    const t = clock.now();
    const db = database.db;
    const conversationId = `conv-${contact.id}`;
    await db
      .insertInto('conversations')
      .values({
        id: conversationId, contact_id: contact.id, business_phone_number_id: NUMBER, state: 'open', assignee_id: 'user-1', last_message_text: `Last words of ${person.name}`,
        last_message_direction: 'inbound', last_message_type: 'text', last_message_at: t, last_inbound_at: t, unread_count: 1, resolved_at: null, created_at: t, updated_at: t,
      })
      .execute();
    await db.insertInto('conversation_notes').values({ id: `note-${contact.id}`, conversation_id: conversationId, author_id: 'user-1', author_name: 'Agent', body: `${person.name} prefers mornings`, created_at: t }).execute();
    await db.insertInto('conversation_assignments').values({ id: `asg-${contact.id}`, conversation_id: conversationId, from_user_id: null, to_user_id: 'user-1', actor: 'rules', reason: 'round_robin', at: t }).execute();
    await db.insertInto('inbox_contact_tags').values({ contact_id: contact.id, tag: `Tag of ${person.name}` }).execute();
    await db.insertInto('crm_people').values({ contact_id: contact.id, switchboard_key: null, email: `${person.waId}@example.com`, tags: JSON.stringify([`Tag of ${person.name}`]), owner_id: 'user-1', lifecycle_stage: 'lead', created_at: t, updated_at: t }).execute();
    await db.insertInto('crm_tasks').values({ id: `task-${contact.id}`, contact_id: contact.id, idempotency_key: null, subject: `Call ${person.name}`, body: null, due_at: t, owner_id: 'user-1', status: 'open', created_at: t, updated_at: t }).execute();
    await db.insertInto('crm_activities').values({ id: `act-${contact.id}`, contact_id: contact.id, idempotency_key: `act-${contact.id}`, message_id: null, direction: 'inbound', body: `${person.name} said hello`, occurred_at: t, created_at: t }).execute();
    await db.insertInto('crm_links').values({ connector: 'hubspot', contact_id: contact.id, crm_id: `hs-${person.waId}`, url: `https://crm.example/${person.waId}`, snapshot: null, created_at: t, updated_at: t }).execute();
    await db.insertInto('crm_changes').values({ contact_id: contact.id, kind: 'person.updated', occurred_at: t }).execute();
    const event = { type: 'message.received', id: `in:${person.waId}`, contactId: contact.id, text: `${person.name} wants a call` };
    await db
      .insertInto('crm_outbox')
      .values({ connector: 'hubspot', contact_id: contact.id, kind: 'activity', payload: JSON.stringify(event), dedupe_key: `hubspot:${event.id}`, state: 'pending', attempts: 0, next_attempt_at: t, locked_until: null, last_error: null, created_at: t })
      .execute();
    await db
      .insertInto('automation_runs')
      .values({
        id: `run-${contact.id}`, rule_id: 'welcome', rule_name: 'Welcome', event_id: event.id, event_type: event.type, contact_id: contact.id, status: 'succeeded',
        evaluation: JSON.stringify({ facts: { name: person.name } }), error_code: null, error_message: null, started_at: t, finished_at: t,
      })
      .execute();
    await db.insertInto('automation_action_results').values({ run_id: `run-${contact.id}`, action_index: 0, action_type: 'send_message', status: 'ok', code: null, message: null, detail: JSON.stringify({ text: `Hello ${person.name}` }), created_at: t }).execute();
    await db.insertInto('automation_handled_events').values({ event_id: event.id, contact_id: contact.id, event_type: event.type, occurred_at: t, handled_at: t }).execute();
    await db.insertInto('automation_crm_snapshots').values({ contact_id: contact.id, connector: 'builtin', crm_id: contact.id, tags: '[]', fields: JSON.stringify({ name: person.name }), owner_id: null, occurred_at: t, updated_at: t }).execute();
    await queue.enqueue(db, [
      { name: 'event.automation', payload: event, dedupeKey: `automation:${event.id}`, orderingKey: contact.id },
      { name: 'event.crm-sync', payload: event, dedupeKey: `crm-sync:${event.id}` },
    ]);
  }

  /** Every row of every table, as text. */
  async function everything(): Promise<string> {
    const parts: string[] = [];
    for (const table of TABLES) parts.push(JSON.stringify(await database.db.selectFrom(table).selectAll().execute()));
    return parts.join('\n');
  }

  describe('export', () => {
    it('gathers everything about the person, and nothing about anyone else', async () => {
      const { ana } = await buildWorld();
      const result = await exportContact(database.db, ana.id, { clock });
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      const doc: ContactExport = result.value;
      expect(doc).toMatchObject({ format: 'switchboard.contact-export', version: 1, contact: { id: ana.id, name: ANA.name, waId: ANA.waId, bsuid: ANA.bsuid } });
      expect(doc.timeline.map((m) => m['wamid'])).toEqual(
        expect.arrayContaining(['wamid.ANA1', 'wamid.ANA2', 'wamid.ANA3', 'wamid.ANA4', 'wamid.ANA6', 'wamid.OUT-ANA1', 'wamid.OUT-ANA2']),
      );
      const invoice = doc.timeline.find((m) => m['wamid'] === 'wamid.OUT-ANA1')!;
      expect(invoice['statuses']).toEqual([expect.objectContaining({ status: 'delivered' })]);
      expect(invoice['reactions']).toEqual([expect.objectContaining({ emoji: '👍', by: 'contact' })]);
      expect(doc.reactions).toEqual([expect.objectContaining({ targetWamid: 'wamid.OUT-ANA1', emoji: '👍' })]);
      expect(doc.media.map((m) => m['whatsappMediaId']).sort()).toEqual(['media-ana-1', 'media-ana-2', 'upload-ana-invoice']);
      expect(doc.media.find((m) => m['whatsappMediaId'] === 'media-ana-1')).toMatchObject({ direction: 'received', downloadPath: '/api/v1/media/media-ana-1' });
      expect(doc.consent.state.marketing.numbers[NUMBER]).toMatchObject({ status: 'opted_out', source: 'inbound_keyword' });
      expect(doc.outboundMessages).toHaveLength(2);
      expect(doc.inboxEvents.length).toBeGreaterThanOrEqual(7);
      expect(doc.deadLetters).toHaveLength(1);
      // What the inbox, the CRM and automation hold about her.
      expect(doc.related.conversations).toEqual([
        expect.objectContaining({ state: 'open', notes: [expect.objectContaining({ body: `${ANA.name} prefers mornings` })], assignments: [expect.objectContaining({ reason: 'round_robin' })] }),
      ]);
      expect(doc.related.inboxTags).toEqual([`Tag of ${ANA.name}`]);
      expect(doc.related.crm).toMatchObject({
        person: { email: `${ANA.waId}@example.com`, lifecycleStage: 'lead' },
        tasks: [{ subject: `Call ${ANA.name}` }],
        activities: [{ body: `${ANA.name} said hello` }],
        links: [{ connector: 'hubspot', url: `https://crm.example/${ANA.waId}` }],
        pendingSync: [{ connector: 'hubspot', kind: 'activity' }],
      });
      expect(doc.related.automationRuns).toEqual([expect.objectContaining({ rule: { id: 'welcome', name: 'Welcome' }, actions: [expect.objectContaining({ type: 'send_message' })] })]);
      const text = JSON.stringify(doc);
      expect(text).toContain('Meu endereço é Rua das Flores 12');
      // Bob shared a webhook body with Ana: none of his data is in her export.
      for (const bobs of [BOB.waId, BOB.bsuid, BOB.name, 'Hi there', 'wamid.BOB1', 'wamid.OUT-BOB1']) expect(text, bobs).not.toContain(bobs);
    });

    it('answers CONTACT_NOT_FOUND for an unknown contact', async () => {
      expect(await exportContact(database.db, 'nope', { clock })).toMatchObject({ ok: false, error: { code: 'CONTACT_NOT_FOUND' } });
    });
  });

  describe('export → erase round trip', () => {
    it('leaves nothing personal behind, deletes the files, keeps the others, and re-applies the opt-out when the person writes again', async () => {
      const { ana, bob, anaFile, sharedFile, anaInvoice, campaignImage } = await buildWorld();
      const app = await apiWith((a) => a.register(privacyRoutes, { db: database.db, store, clock, salt: SALT }));

      const exported = await app.inject({ url: `/contacts/${ana.id}/export` });
      expect(exported.statusCode).toBe(200);
      expect(exported.headers['content-type']).toMatch(/^application\/json/);
      expect(exported.headers['content-disposition']).toBe(`attachment; filename="contact-${ana.id}.json"`);
      expect(exported.json()).toMatchObject({ contact: { id: ana.id } });

      for (const path of [anaFile, sharedFile, anaInvoice, campaignImage]) expect(existsSync(path)).toBe(true);
      const before = await everything();
      for (const needle of [ANA_PHONE_DIGITS, ANA.waId, ANA.bsuid, ANA.name]) expect(before).toContain(needle);

      const erased = await app.inject({ method: 'DELETE', url: `/contacts/${ana.id}` });
      expect(erased.statusCode).toBe(204);
      expect(erased.body).toBe('');

      // Nothing personal is left in any table: not her phone (in either form), BSUID, name, words or wamids.
      const after = await everything();
      for (const needle of [ANA_PHONE_DIGITS, ANA.waId, ANA.bsuid, ANA.name, 'Rua das Flores', 'wamid.ANA', 'wamid.OUT-ANA', ana.id]) {
        expect(after, needle).not.toContain(needle);
      }
      // Her files are gone from disk; the bytes Bob also sent, and the campaign image, stay.
      expect(existsSync(anaFile)).toBe(false);
      expect(existsSync(anaInvoice)).toBe(false);
      expect(existsSync(sharedFile)).toBe(true);
      expect(existsSync(campaignImage)).toBe(true);
      // Bob is untouched, including his part of the body he shared with Ana.
      expect(await contactRepository.findById(database.db, bob.id)).toBeDefined();
      for (const needle of [BOB.waId, BOB.bsuid, BOB.name, 'Hi there', 'wamid.BOB1', 'wamid.OUT-BOB1']) expect(after, needle).toContain(needle);
      const bobsInbox = await database.db.selectFrom('inbox_events').select('body').execute();
      expect(bobsInbox.some((e) => e.body.includes('wamid.BOB1'))).toBe(true);

      expect((await app.inject({ method: 'DELETE', url: `/contacts/${ana.id}` })).statusCode).toBe(404);
      expect((await app.inject({ url: `/contacts/${ana.id}/export` })).statusCode).toBe(404);
      await app.close();

      // The tombstone: salted hashes only, marked opted out.
      const tombstones = await database.db.selectFrom('erased_identities').selectAll().execute();
      expect(tombstones.length).toBeGreaterThanOrEqual(3);
      expect(tombstones.every((t) => t.marketing_opted_out === 1 && /^[0-9a-f]{64}$/.test(t.identity_hash))).toBe(true);
      expect(await wasErasedAndOptedOut(database.db, { waId: ANA.waId }, SALT)).toBe(true);
      expect(await wasErasedAndOptedOut(database.db, { waId: ANA.waId }, 'another-salt-0123456789')).toBe(false);
      expect(await wasErasedAndOptedOut(database.db, { waId: BOB.waId, bsuid: BOB.bsuid }, SALT)).toBe(false);

      // Ana writes again: a new contact, opted out of marketing again by the tombstone.
      clock.advance(DAY);
      await deliver(envelope({ contacts: [contactOf(ANA)], messages: [text(ANA, 'wamid.ANA7', clock.now(), 'Olá de novo')] }));
      const again = await contactOfPerson(ANA);
      expect(again.id).not.toBe(ana.id);
      expect(await database.db.transaction().execute((trx) => reapplyErasureTombstone(trx, again, { salt: SALT }, deps()))).toBe(true);
      expect(await database.db.transaction().execute((trx) => reapplyErasureTombstone(trx, again, { salt: SALT }, deps()))).toBe(true);
      const consent = await getConsent(database.db, again.id);
      expect(consent.ledger).toHaveLength(1);
      expect(consent.state.marketing.overall).toMatchObject({ status: 'opted_out', source: 'erasure_tombstone' });
      expect(await consentDecision(database.db, { contactId: again.id, businessPhoneNumberId: NUMBER, category: 'marketing' })).toMatchObject({ allowed: false, code: 'CONSENT_REQUIRED' });
      // Bob never opted out and was never erased: no tombstone for him.
      expect(await database.db.transaction().execute((trx) => reapplyErasureTombstone(trx, bob, { salt: SALT }, deps()))).toBe(false);
    });

    it('keeps a tombstone that says "not opted out" for a person who never said STOP', async () => {
      await deliver(envelope({ contacts: [contactOf(BOB)], messages: [text(BOB, 'wamid.BOB1', clock.now(), 'Hi')] }));
      const bob = await contactOfPerson(BOB);
      const erasure = await database.db.transaction().execute(async (trx) => {
        const result = await eraseContact(trx, bob.id, { store, salt: SALT, clock });
        if (!result.ok) throw result.error;
        return result.value;
      });
      await erasure.removeFiles(database.db);
      expect(erasure.report).toMatchObject({ contactId: bob.id, marketingOptedOut: false, deleted: { messages: 1, inboxEvents: 1 } });
      expect(await wasErasedAndOptedOut(database.db, { bsuid: BOB.bsuid }, SALT)).toBe(false);
      expect((await database.db.selectFrom('erased_identities').selectAll().execute()).every((t) => t.marketing_opted_out === 0)).toBe(true);
    });

    it('deletes the processing job of a body of theirs that has not run yet', async () => {
      await deliver(envelope({ contacts: [contactOf(BOB)], messages: [text(BOB, 'wamid.BOB1', clock.now(), 'Hi')] }));
      const bob = await contactOfPerson(BOB);
      const waiting = JSON.stringify(envelope({ contacts: [contactOf(BOB)], messages: [text(BOB, 'wamid.BOB2', clock.now(), 'Still there?')] }));
      const waitingId = createHash('sha256').update(waiting).digest('hex');
      await database.db.transaction().execute(async (trx) => {
        await trx.insertInto('inbox_events').values({ id: waitingId, received_at: clock.now(), body: waiting, fields: 'messages' }).execute();
        await queue.enqueue(trx, [{ ...inboundJob(waitingId), runAt: clock.now() + DAY }]);
      });
      const inboundJobs = () => database.db.selectFrom('jobs').select('payload').where('name', '=', 'inbound.process').execute();
      expect(await inboundJobs()).toHaveLength(2);

      const erasure = await database.db.transaction().execute(async (trx) => {
        const result = await eraseContact(trx, bob.id, { store, salt: SALT, clock });
        if (!result.ok) throw result.error;
        return result.value;
      });
      expect(erasure.report.deleted).toMatchObject({ inboxEvents: 2, jobs: 2 });
      expect(await inboundJobs()).toEqual([]);
    });

    it('changes nothing when the transaction rolls back, files included', async () => {
      const { ana, anaFile } = await buildWorld();
      await expect(
        database.db.transaction().execute(async (trx) => {
          const result = await eraseContact(trx, ana.id, { store, salt: SALT, clock });
          expect(result.ok).toBe(true);
          throw new Error('the request was cancelled');
        }),
      ).rejects.toThrow('cancelled');
      expect(await contactRepository.findById(database.db, ana.id)).toBeDefined();
      expect(existsSync(anaFile)).toBe(true);
      expect(await database.db.selectFrom('erased_identities').selectAll().execute()).toEqual([]);
    });
  });

  describe('retention', () => {
    it('purges old bodies, files and raw webhooks, keeps the shape of the timeline, and is idempotent', async () => {
      // Forty days ago: Ana's message and image, Bob's copy of the same bytes (recent), a finished send.
      clock.set(T0 - 40 * DAY);
      await deliver(envelope({ contacts: [contactOf(ANA)], messages: [text(ANA, 'wamid.OLD1', clock.now(), 'old words')] }));
      await deliver(envelope({ contacts: [contactOf(ANA)], messages: [image(ANA, 'wamid.OLD2', clock.now(), 'media-old')] }));
      const oldFile = await download('media-old', 'old-bytes');
      await deliver(envelope({ contacts: [contactOf(ANA)], messages: [image(ANA, 'wamid.OLD3', clock.now(), 'media-old-shared')] }));
      await download('media-old-shared', 'shared-bytes');
      const ana = await contactOfPerson(ANA);
      await sent(ana, 'wamid.OUT-OLD', { type: 'text', text: { body: 'old reply' } });
      // A body whose processing is still pending must stay.
      const pendingBody = JSON.stringify(envelope({ contacts: [contactOf(BOB)], messages: [text(BOB, 'wamid.WAIT', clock.now(), 'waiting')] }));
      await database.db.transaction().execute(async (trx) => {
        await trx.insertInto('inbox_events').values({ id: 'pending-body', received_at: clock.now(), body: pendingBody, fields: 'messages' }).execute();
        await queue.enqueue(trx, [{ ...inboundJob('pending-body'), runAt: T0 + DAY }]);
      });

      clock.set(T0);
      await deliver(envelope({ contacts: [contactOf(ANA)], messages: [text(ANA, 'wamid.NEW1', clock.now(), 'new words')] }));
      await deliver(envelope({ contacts: [contactOf(BOB)], messages: [image(BOB, 'wamid.NEW2', clock.now(), 'media-new-shared')] }));
      const sharedFile = await download('media-new-shared', 'shared-bytes');

      const purge = await database.db.transaction().execute((trx) => purgeOlderThan(trx, { days: 30, now: clock.now() }, store));
      // Three inbound entries and the outbound one; two media rows; three bodies (the pending one stays).
      expect(purge.report).toMatchObject({ messages: 4, outboundMessages: 1, mediaFiles: 2, inboxEvents: 3 });
      const files = await purge.removeFiles(database.db);
      expect(files.removed).toHaveLength(1);
      expect(existsSync(oldFile)).toBe(false);
      expect(existsSync(sharedFile)).toBe(true);

      const messages = await database.db.selectFrom('messages').selectAll().orderBy('wa_timestamp').execute();
      const old = messages.find((m) => m.wamid === 'wamid.OLD1')!;
      expect(old).toMatchObject({ type: 'text', direction: 'inbound', text: null, content: null, raw: null, media: null });
      expect(messages.find((m) => m.wamid === 'wamid.OLD2')).toMatchObject({ type: 'image', media: null });
      expect(messages.find((m) => m.wamid === 'wamid.NEW1')).toMatchObject({ text: 'new words' });
      expect(messages.find((m) => m.wamid === 'wamid.OUT-OLD')).toMatchObject({ status: 'accepted', text: null });
      const outbox = await database.db.selectFrom('outbound_messages').select(['body', 'state']).execute();
      expect(outbox).toEqual([{ body: '{}', state: 'accepted' }]);
      const media = await database.db.selectFrom('media_files').selectAll().where('whatsapp_media_id', '=', 'media-old').executeTakeFirstOrThrow();
      expect(media).toMatchObject({ storage_path: null, filename: null, state: 'failed', error: 'PURGED_BY_RETENTION' });
      const inbox = await database.db.selectFrom('inbox_events').select('id').execute();
      expect(inbox.map((e) => e.id)).toContain('pending-body');
      expect(inbox).toHaveLength(3);

      const again = await database.db.transaction().execute((trx) => purgeOlderThan(trx, { days: 30, now: clock.now() }, store));
      expect(again.report).toMatchObject({ messages: 0, outboundMessages: 0, mediaFiles: 0, inboxEvents: 0, deadLetters: 0, filesToDelete: [] });
    });

    it('clears old conversation previews and deletes finished automation runs, and keeps unfinished runs, CRM records and notes', async () => {
      const { ana, bob } = await buildWorld();
      const old = T0 - 40 * DAY;
      // Ana's conversation and run are old; a run of hers still in progress is old too; Bob's are recent.
      await database.db.updateTable('conversations').set({ last_message_at: old }).where('contact_id', '=', ana.id).execute();
      await database.db.updateTable('automation_runs').set({ started_at: old }).where('contact_id', '=', ana.id).execute();
      await database.db.updateTable('automation_handled_events').set({ handled_at: old }).where('contact_id', '=', ana.id).execute();
      await database.db
        .insertInto('automation_runs')
        .values({ id: 'run-unfinished', rule_id: 'welcome', rule_name: 'Welcome', event_id: 'in:unfinished', event_type: 'message.received', contact_id: ana.id, status: 'running', evaluation: '{"actions":[]}', error_code: null, error_message: null, started_at: old, finished_at: null })
        .execute();

      const purge = await database.db.transaction().execute((trx) => purgeOlderThan(trx, { days: 30, now: clock.now() }, store));
      expect(purge.report).toMatchObject({ conversationPreviews: 1, automationRuns: 1 });
      const previews = await database.db.selectFrom('conversations').select(['contact_id', 'last_message_text']).execute();
      expect(previews.find((c) => c.contact_id === ana.id)?.last_message_text).toBeNull();
      expect(previews.find((c) => c.contact_id === bob.id)?.last_message_text).toBe(`Last words of ${BOB.name}`);
      const runs = await database.db.selectFrom('automation_runs').select(['id', 'contact_id']).orderBy('id').execute();
      expect(runs).toEqual([
        { id: `run-${bob.id}`, contact_id: bob.id },
        { id: 'run-unfinished', contact_id: ana.id },
      ]);
      const results = await database.db.selectFrom('automation_action_results').select('run_id').execute();
      expect(results).toEqual([{ run_id: `run-${bob.id}` }]);
      expect((await database.db.selectFrom('automation_handled_events').select('contact_id').execute()).map((e) => e.contact_id)).toEqual([bob.id]);
      // The business's own records stay.
      expect(await database.db.selectFrom('crm_activities').select('contact_id').where('contact_id', '=', ana.id).execute()).toHaveLength(1);
      expect(await database.db.selectFrom('conversation_notes').select('id').where('id', '=', `note-${ana.id}`).execute()).toHaveLength(1);

      const again = await database.db.transaction().execute((trx) => purgeOlderThan(trx, { days: 30, now: clock.now() }, store));
      expect(again.report).toMatchObject({ conversationPreviews: 0, automationRuns: 0 });
    });

    it('runs as a periodic job that schedules its next run once per day', async () => {
      clock.set(T0 - 40 * DAY);
      await deliver(envelope({ contacts: [contactOf(ANA)], messages: [text(ANA, 'wamid.OLD1', clock.now(), 'old words')] }));
      clock.set(T0 + 3_600_000);
      const purgeWorker = new Worker(
        queue,
        [retentionPurgeJob({ db: database.db, store, clock, days: 30, enqueue: (exec, jobs) => queue.enqueue(exec, jobs) })],
        { batchSize: 10, pollIntervalMs: 10, clock, log: createLogger('silent') },
      );
      await scheduleRetentionPurge(database.db, (exec, jobs) => queue.enqueue(exec, jobs), clock.now());
      await scheduleRetentionPurge(database.db, (exec, jobs) => queue.enqueue(exec, jobs), clock.now() + 60_000);
      expect(await purgeWorker.drain()).toBe(1);
      expect(await database.db.selectFrom('messages').select('text').where('wamid', '=', 'wamid.OLD1').executeTakeFirst()).toEqual({ text: null });
      const jobs = await database.db.selectFrom('jobs').select(['state', 'run_at', 'dedupe_key']).where('name', '=', RETENTION_PURGE).orderBy('run_at').execute();
      expect(jobs).toEqual([
        { state: 'done', run_at: T0 + 3_600_000, dedupe_key: `${RETENTION_PURGE}:${T0 / DAY}` },
        { state: 'pending', run_at: T0 + DAY, dedupe_key: `${RETENTION_PURGE}:${T0 / DAY + 1}` },
      ]);
    });
  });
});
