import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/database.js';
import { PROCESS_INBOUND_EVENT } from '../src/modules/inbound/process-inbound-event.job.js';
import { signatureFor } from '../src/modules/inbound/webhook-signature.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../test/support/test-databases.js';
import { api, postSignedWebhook, REPO_ROOT, runCli, startServer, waitFor, type HttpResult, type ServerProcess } from '../test/support/server-process.js';

/**
 * End to end: the real `switchboard serve` process, Meta's webhook bodies from test/fixtures/meta
 * posted over HTTP with real signatures, and the results read back through the REST API (and, for
 * what the API does not expose, such as counts, through the test's own database connection).
 */

// ---------------------------------------------------------------------------------------------
// Fixtures

const FIXTURES_DIR = join(REPO_ROOT, 'test/fixtures/meta');
const SIGNATURE_VECTOR_FILE = 'webhook-signature-vector.json';

type SignatureVector = { app_secret: string; raw_body: string; x_hub_signature_256: string };
const vector = JSON.parse(readFileSync(join(FIXTURES_DIR, SIGNATURE_VECTOR_FILE), 'utf8')) as SignatureVector;

/** Every webhook body among the fixtures, byte for byte (the Graph API responses are not webhooks). */
const webhookFixtures = readdirSync(FIXTURES_DIR)
  .filter((file) => file.endsWith('.json') && !file.startsWith('graph-') && file !== SIGNATURE_VECTOR_FILE)
  .sort()
  .map((file) => ({ file, body: readFileSync(join(FIXTURES_DIR, file)) }));

const fixtureBody = (file: string): Buffer => {
  const found = webhookFixtures.find((f) => f.file === file);
  if (!found) throw new Error(`no fixture ${file}`);
  return found.body;
};

type MetaError = { code: number; title: string; error_data?: { details?: string } };
type MetaStatus = { id: string; status: string; timestamp: string; recipient_id?: string; recipient_user_id?: string; errors?: MetaError[] };
type MetaMessage = { id: string; type: string; from?: string; from_user_id?: string; text?: { body: string } };
type MetaEcho = { id: string; to?: string; to_user_id?: string };
type MetaValue = { messages?: MetaMessage[]; statuses?: MetaStatus[]; message_echoes?: MetaEcho[]; contacts?: unknown[] };
type MetaEnvelope = { object: string; entry: { id: string; time?: number; changes: { field: string; value: MetaValue }[] }[] };

const envelopeOf = (body: Buffer | string): MetaEnvelope => JSON.parse(body.toString()) as MetaEnvelope;
const valuesOf = (body: Buffer): MetaValue[] => envelopeOf(body).entry.flatMap((e) => e.changes.map((c) => c.value));

const allValues = webhookFixtures.flatMap((f) => valuesOf(f.body));
const fixtureMessages = allValues.flatMap((v) => v.messages ?? []);
const fixtureEchoes = allValues.flatMap((v) => v.message_echoes ?? []);
const fixtureStatuses = allValues.flatMap((v) => v.statuses ?? []);

// ---------------------------------------------------------------------------------------------
// The people in the fixtures (README: "Users"), by every wa_id and BSUID they appear with.

type Person = 'BR' | 'MX' | 'IN' | 'UK' | 'US' | 'USERNAME';
const PERSON_BY_WA_ID: Record<string, Person> = {
  '551187654321': 'BR',
  '5511987654321': 'BR', // the new number of inbound-system-user-changed-number.json
  '5215512345678': 'MX',
  '919812345678': 'IN',
  '447700900123': 'UK',
  '16505550142': 'US',
};
const PERSON_BY_BSUID: Record<string, Person> = {
  'BR.27403918572640193841': 'BR',
  'BR.50918273640192837465': 'BR',
  'MX.19583726401938475612': 'MX',
  'IN.30582719463058291743': 'IN',
  'GB.46192730581648293057': 'UK',
  'GB.71093846520193847560': 'UK', // after user-id-update.json
  'US.13491208655302741918': 'US',
  'BR.84720193857201938462': 'USERNAME',
};

function personOf(waId: string | undefined, bsuid: string | undefined): Person {
  const person = (waId !== undefined ? PERSON_BY_WA_ID[waId] : undefined) ?? (bsuid !== undefined ? PERSON_BY_BSUID[bsuid] : undefined);
  if (!person) throw new Error(`fixture names someone unknown: ${waId} / ${bsuid}`);
  return person;
}

const BR_TEXT_WAMID = 'wamid.HBgMNTUxMTg3NjU0MzIxFQIAEhgUM0E0QTY1OTlBRUUwMzgxMDE0NEYA';
const MX_CTWA_WAMID = 'wamid.HBgNNTIxNTUxMjM0NTY3OBUCABIYFDNBQzBGRkVFMTIzNDU2NzhBQkNEAA==';
const USERNAME_TEXT_WAMID = 'wamid.HBgLODAwMDAwMDAwMDEVAgASGBQzQTRBNjU5OUFFRTAzODEwMTRBQQA=';
/** Our message to MX that inbound-reaction.json reacts to (and inbound-reaction-removed.json un-reacts). */
const MX_REACTED_WAMID = 'wamid.HBgNNTIxNTUxMjM0NTY3OBUCABEYEjVGNDI1QTc0RjEzMDMzNDkyQgA=';

/** Delivery statuses only move forward; `failed` outranks sent/delivered but not read/played. */
const STATUS_ORDER = ['sent', 'delivered', 'failed', 'read', 'played'];

/** What each status wamid must settle on, from every status webhook in the fixtures together. */
const expectedStatuses = (() => {
  const byWamid = new Map<string, { person: Person; status: string; failed: MetaStatus | null }>();
  for (const s of fixtureStatuses) {
    const person = personOf(s.recipient_id, s.recipient_user_id);
    const known = byWamid.get(s.id);
    const status = known && STATUS_ORDER.indexOf(known.status) > STATUS_ORDER.indexOf(s.status) ? known.status : s.status;
    byWamid.set(s.id, { person, status, failed: s.status === 'failed' ? s : (known?.failed ?? null) });
  }
  return byWamid;
})();

// ---------------------------------------------------------------------------------------------
// Webhook bodies built by the tests, in the shape of the fixtures

const BUSINESS_METADATA = { display_phone_number: '15557340192', phone_number_id: '118274650392817' };
const unique = () => randomBytes(6).toString('hex');

function textWebhook(options: { wamid: string; waId: string; timestamp: number; text: string; name?: string }): string {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '204857361209384',
        changes: [
          {
            value: {
              messaging_product: 'whatsapp',
              metadata: BUSINESS_METADATA,
              contacts: [{ profile: { name: options.name ?? 'E2E User' }, wa_id: options.waId }],
              messages: [{ from: options.waId, id: options.wamid, timestamp: String(options.timestamp), type: 'text', text: { body: options.text } }],
            },
            field: 'messages',
          },
        ],
      },
    ],
  });
}

function reactionWebhook(options: { wamid: string; waId: string; bsuid: string; targetWamid: string; emoji: string; timestamp: number }): string {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '204857361209384',
        changes: [
          {
            value: {
              messaging_product: 'whatsapp',
              metadata: BUSINESS_METADATA,
              contacts: [{ profile: { name: 'Carlos Hernández' }, wa_id: options.waId, user_id: options.bsuid }],
              messages: [
                {
                  from: options.waId,
                  from_user_id: options.bsuid,
                  id: options.wamid,
                  timestamp: String(options.timestamp),
                  type: 'reaction',
                  reaction: { message_id: options.targetWamid, emoji: options.emoji },
                },
              ],
            },
            field: 'messages',
          },
        ],
      },
    ],
  });
}

/** status-sent-pmp-v24-marketing.json with another wamid, status and time (and errors, for `failed`). */
function statusWebhook(options: { wamid: string; status: string; timestamp: number; errors?: MetaError[] }): string {
  const envelope = envelopeOf(fixtureBody('status-sent-pmp-v24-marketing.json'));
  const status = envelope.entry[0]!.changes[0]!.value.statuses![0]! as MetaStatus & { pricing?: unknown };
  status.id = options.wamid;
  status.status = options.status;
  status.timestamp = String(options.timestamp);
  if (options.errors) {
    status.errors = options.errors;
    delete status.pricing;
  }
  return JSON.stringify(envelope);
}

// ---------------------------------------------------------------------------------------------
// API shapes

type ContactDto = { id: string; name: string | null; phone: string | null; waId: string | null; bsuid: string | null };
type EntryDto = {
  id: string;
  wamid: string;
  direction: 'inbound' | 'outbound';
  type: string;
  text: string | null;
  status: string | null;
  error: { code: number; title: string; details: string | null } | null;
  timestamp: string;
  referral: { ctwaClid?: string | null } | null;
  reactions: { emoji: string; from: string; timestamp: string }[];
};
type TimelineDto = { data: EntryDto[]; nextCursor: string | null };
type ErrorDto = { error: { code: string; message: string } };

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

function expectStatus(result: HttpResult, status: number): void {
  expect(result.status, `HTTP ${result.status}: ${result.text.slice(0, 500)}`).toBe(status);
}

async function findContacts(server: ServerProcess, query: string): Promise<ContactDto[]> {
  const result = await api<{ data: ContactDto[] }>(server, `contacts?${query}`);
  expectStatus(result, 200);
  return result.json.data;
}

async function theContact(server: ServerProcess, query: string): Promise<ContactDto> {
  const found = await findContacts(server, query);
  expect(found, `exactly one contact for ${query}`).toHaveLength(1);
  return found[0]!;
}

async function timeline(server: ServerProcess, contactId: string): Promise<EntryDto[]> {
  const result = await api<TimelineDto>(server, `contacts/${contactId}/timeline?limit=500`);
  expectStatus(result, 200);
  expect(result.json.nextCursor).toBeNull();
  return result.json.data;
}

async function entryOf(server: ServerProcess, contactId: string, wamid: string): Promise<EntryDto | undefined> {
  return (await timeline(server, contactId)).find((e) => e.wamid === wamid);
}

// ---------------------------------------------------------------------------------------------
// Database views (what the API cannot count)

const count = async (db: Db, table: 'contacts' | 'messages' | 'inbox_events' | 'jobs' | 'dead_letters' | 'message_statuses' | 'reactions') =>
  Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

/**
 * Waits until the worker has processed every stored webhook, and checks none of them died. Only
 * the inbound jobs: follow-up work such as media downloads needs Meta's Graph API, which these
 * tests do not have, and retries on its own schedule.
 */
async function settled(db: Db, timeoutMs = 30_000): Promise<void> {
  const inboundJobs = () => db.selectFrom('jobs').where('name', '=', PROCESS_INBOUND_EVENT);
  await waitFor(
    async () => {
      const waiting = await inboundJobs().select(['id', 'state', 'attempts', 'last_error']).where('state', 'not in', ['done', 'dead']).limit(5).execute();
      expect(waiting).toEqual([]);
    },
    { timeoutMs, message: 'the worker to process every stored webhook' },
  );
  const dead = await inboundJobs().select(['id', 'last_error']).where('state', '=', 'dead').execute();
  expect(dead).toEqual([]);
}

const webhookDeadLetters = async (db: Db) =>
  Number(
    (await db.selectFrom('dead_letters').select((eb) => eb.fn.countAll<number>().as('n')).where('source', '=', 'webhook').executeTakeFirstOrThrow()).n,
  );

/** Everything a webhook can change, without the bookkeeping times. */
async function stateOf(db: Db) {
  const contacts = await db.selectFrom('contacts').select(['id', 'name', 'phone', 'phone_match_key', 'wa_id', 'bsuid', 'profile_name']).orderBy('id').execute();
  const messages = await db
    .selectFrom('messages')
    .select(['wamid', 'contact_id', 'direction', 'type', 'text', 'status', 'error_code', 'error_title', 'error_details', 'wa_timestamp', 'pricing'])
    .orderBy('wamid')
    .execute();
  const statuses = await db.selectFrom('message_statuses').select(['wamid', 'status']).orderBy('wamid').orderBy('status').execute();
  const reactions = await db.selectFrom('reactions').select(['target_wamid', 'contact_id', 'reaction_wamid', 'emoji']).orderBy('target_wamid').execute();
  return { contacts, messages, statuses, reactions };
}

async function timelineLengths(server: ServerProcess, db: Db): Promise<Record<string, number>> {
  const ids = (await db.selectFrom('contacts').select('id').orderBy('id').execute()).map((r) => r.id);
  const lengths: Record<string, number> = {};
  for (const id of ids) lengths[id] = (await timeline(server, id)).length;
  return lengths;
}

/** Runs `tasks` with at most `limit` in flight. */
async function inPool<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await task(items[next++]!);
  });
  await Promise.all(lanes);
}

function metricValue(metrics: string, series: string): number | undefined {
  const line = metrics.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

// ---------------------------------------------------------------------------------------------

describe.each(DIALECTS)('the switchboard process on %s', (dialect) => {
  let database: TestDatabase;
  let server: ServerProcess;
  /** Ids of the contacts the CRM created through the API before any webhook arrived. */
  const crm = { br: '', mx: '' };
  /** The contact id of each fixture person, once the fixtures are processed. */
  const people = new Map<Person, string>();
  /** Webhook POSTs this server answered, for the metrics check. */
  const posted = { accepted: 0, total: 0 };

  async function post(body: string | Buffer, options: { signature?: string | null } = {}): Promise<HttpResult> {
    const result = await postSignedWebhook(server, body, options);
    posted.total++;
    if (result.status === 200) posted.accepted++;
    return result;
  }

  async function postAccepted(body: string | Buffer, what: string): Promise<void> {
    const result = await post(body);
    expect(result.status, `${what}: HTTP ${result.status} ${result.text.slice(0, 300)}`).toBe(200);
  }

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    // The app secret of the signature vector, so that its recorded header verifies as Meta sent it.
    server = await startServer({ databaseUrl: database.url, env: { META_APP_SECRET: vector.app_secret } });
  });

  afterAll(async () => {
    await server?.stop();
    await database?.drop();
  });

  it('answers Meta’s verify handshake with the challenge when the token is right, and 403 when it is wrong', async () => {
    const verify = (token: string) =>
      fetch(`${server.baseUrl}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${encodeURIComponent(token)}&hub.challenge=1158201444`);

    const right = await verify(server.verifyToken);
    expect(right.status).toBe(200);
    expect(right.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await right.text()).toBe('1158201444');

    const wrong = await verify(`${server.verifyToken}x`);
    expect(wrong.status).toBe(403);
    expect(((await wrong.json()) as ErrorDto).error.code).toBe('WEBHOOK_VERIFY_TOKEN_INVALID');
  });

  it('accepts every webhook fixture and files each message, status and reaction on the right contact', async () => {
    const br = await api<ContactDto>(server, 'contacts', { method: 'POST', body: JSON.stringify({ name: 'Ana Souza (CRM)', phone: '+55 (11) 98765-4321' }) });
    expectStatus(br, 201);
    expect(br.json.phone).toBe('+5511987654321');
    const mx = await api<ContactDto>(server, 'contacts', { method: 'POST', body: JSON.stringify({ name: 'Carlos (CRM)', phone: '+52 55 1234 5678' }) });
    expectStatus(mx, 201);
    crm.br = br.json.id;
    crm.mx = mx.json.id;

    for (const { file, body } of webhookFixtures) {
      const result = await post(body);
      expect(result.status, `${file}: ${result.text}`).toBe(200);
      expect(result.text).toBe('EVENT_RECEIVED');
    }
    // The signature vector goes in with the header Meta computed over its \u-escaped bytes.
    const signed = await post(vector.raw_body, { signature: vector.x_hub_signature_256 });
    expectStatus(signed, 200);
    await settled(database.db);

    // The BR wa_id (no ninth digit) found the contact the CRM stored with it; no second contact.
    const brContact = await theContact(server, 'phone=551187654321');
    expect(brContact).toMatchObject({ id: crm.br, name: 'Ana Souza (CRM)', phone: '+5511987654321' });
    expect(await findContacts(server, 'phone=%2B5511987654321')).toEqual([brContact]);
    const brText = await entryOf(server, crm.br, BR_TEXT_WAMID);
    expect(brText).toMatchObject({ direction: 'inbound', type: 'text', text: 'Oi! Vocês têm esse produto em azul?', status: null, error: null, timestamp: iso(1791043200) });

    // The MX wa_id (521 + 10 digits) found the contact stored as +52 55 1234 5678.
    const mxContact = await theContact(server, 'phone=5215512345678');
    expect(mxContact).toMatchObject({ id: crm.mx, name: 'Carlos (CRM)', phone: '+525512345678', waId: '5215512345678' });
    const mxText = await entryOf(server, crm.mx, MX_CTWA_WAMID);
    expect(mxText).toMatchObject({ direction: 'inbound', type: 'text', text: '¿Me pueden dar más información?' });
    expect(mxText?.referral?.ctwaClid).toMatch(/^Aff-n8ZTODiE79d22/);

    // The username-only user became a contact with a BSUID and no phone.
    const username = await theContact(server, 'bsuid=BR.84720193857201938462');
    expect(username).toMatchObject({ phone: null, waId: null, bsuid: 'BR.84720193857201938462' });
    expect(await entryOf(server, username.id, USERNAME_TEXT_WAMID)).toMatchObject({ direction: 'inbound', text: 'Olá, vi vocês no Instagram' });

    people.set('BR', crm.br);
    people.set('MX', crm.mx);
    people.set('USERNAME', username.id);
    people.set('IN', (await theContact(server, 'phone=919812345678')).id);
    people.set('US', (await theContact(server, 'phone=16505550142')).id);
    // 447700900123 is in Ofcom's drama range, which the phone library calls invalid: the number
    // WhatsApp reported must still find the contact, as must its current BSUID.
    const uk = await theContact(server, 'phone=447700900123');
    expect(uk.phone).toBe('+447700900123');
    expect((await theContact(server, 'bsuid=GB.71093846520193847560')).id).toBe(uk.id);
    people.set('UK', uk.id);
    expect(new Set(people.values()).size).toBe(6);
    expect(await count(database.db, 'contacts')).toBe(6);

    // Every timeline holds exactly that person's messages, echoes and statuses.
    const expectedWamids = new Map<Person, Set<string>>();
    const expectOn = (person: Person, wamid: string) => (expectedWamids.get(person) ?? expectedWamids.set(person, new Set()).get(person)!).add(wamid);
    for (const m of fixtureMessages) if (m.type !== 'reaction') expectOn(personOf(m.from, m.from_user_id), m.id);
    for (const e of fixtureEchoes) expectOn(personOf(e.to, e.to_user_id), e.id);
    for (const [wamid, expected] of expectedStatuses) expectOn(expected.person, wamid);
    const timelines = new Map<Person, EntryDto[]>();
    for (const [person, contactId] of people) {
      const entries = await timeline(server, contactId);
      timelines.set(person, entries);
      expect(entries.map((e) => e.wamid).sort(), `${person}'s timeline`).toEqual([...(expectedWamids.get(person) ?? [])].sort());
      // Newest last.
      const times = entries.map((e) => e.timestamp);
      expect(times, `${person}'s timeline order`).toEqual([...times].sort());
    }

    for (const m of fixtureMessages.filter((m) => m.type !== 'reaction')) {
      const entry = timelines.get(personOf(m.from, m.from_user_id))!.find((e) => e.wamid === m.id);
      expect(entry, m.id).toMatchObject({ direction: 'inbound', type: m.type, status: null });
    }

    // Statuses of messages the hub never sent became outbound entries of unknown content.
    for (const [wamid, expected] of expectedStatuses) {
      const entry = timelines.get(expected.person)!.find((e) => e.wamid === wamid);
      expect(entry, wamid).toMatchObject({ direction: 'outbound', type: 'unknown', text: null, status: expected.status });
      const error = expected.failed?.errors?.[0];
      expect(entry?.error, wamid).toEqual(error ? { code: error.code, title: error.title, details: error.error_data?.details ?? null } : null);
    }
    expect([...expectedStatuses.values()].filter((s) => s.status === 'failed')).toHaveLength(6);

    // inbound-reaction.json put 👍 on our message and inbound-reaction-removed.json (later) took it back.
    const reacted = timelines.get('MX')!.find((e) => e.wamid === MX_REACTED_WAMID);
    expect(reacted).toMatchObject({ direction: 'outbound', status: 'read', reactions: [] });
    await postAccepted(
      reactionWebhook({ wamid: `wamid.E2E-REACTION-${unique()}`, waId: '5215512345678', bsuid: 'MX.19583726401938475612', targetWamid: MX_REACTED_WAMID, emoji: '❤️', timestamp: 1791050000 }),
      'reaction',
    );
    await waitFor(async () => expect((await entryOf(server, crm.mx, MX_REACTED_WAMID))?.reactions).toEqual([{ emoji: '❤️', from: 'contact', timestamp: iso(1791050000) }]), {
      timeoutMs: 15_000,
      message: 'the reaction to reach its message',
    });
    // A reaction is not a timeline entry of its own.
    expect(await timeline(server, crm.mx)).toHaveLength(timelines.get('MX')!.length);
  });

  it('adds nothing when the same webhooks arrive again, byte for byte, concurrently, or re-serialised', async () => {
    await settled(database.db);
    const before = await stateOf(database.db);
    const lengthsBefore = await timelineLengths(server, database.db);
    const inboxBefore = await count(database.db, 'inbox_events');
    const jobsBefore = await count(database.db, 'jobs');

    // Meta's redelivery: the same bytes again, and the batch twice at the same moment.
    for (const { file, body } of webhookFixtures) await postAccepted(body, file);
    const batch = fixtureBody('batch-messages-and-statuses.json');
    const both = await Promise.all([post(batch), post(batch)]);
    expect(both.map((r) => r.status)).toEqual([200, 200]);
    await settled(database.db);
    expect(await count(database.db, 'inbox_events')).toBe(inboxBefore);
    expect(await count(database.db, 'jobs')).toBe(jobsBefore);
    expect(await stateOf(database.db)).toEqual(before);

    // The same events in other bytes are new bodies, so they are processed again: still nothing changes.
    const reserialised = webhookFixtures.map(({ body }) => JSON.stringify(JSON.parse(body.toString('utf8'))));
    await Promise.all(reserialised.map((body, i) => postAccepted(body, `re-serialised ${webhookFixtures[i]!.file}`)));
    await settled(database.db);
    expect(await count(database.db, 'inbox_events')).toBeGreaterThan(inboxBefore);
    expect(await stateOf(database.db)).toEqual(before);
    expect(await timelineLengths(server, database.db)).toEqual(lengthsBefore);
    expect(await theContact(server, 'phone=551187654321')).toMatchObject({ id: crm.br });
  });

  it('settles a message on its highest status and keeps the failure reason, whatever order the statuses arrive in', async () => {
    const t0 = 1791060000;
    const failure: MetaError = {
      code: 131049,
      title: 'This message was not delivered to maintain healthy ecosystem engagement.',
      error_data: { details: 'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.' },
    };
    const a = `wamid.E2E-OUT-OF-ORDER-A-${unique()}`;
    // Each one is processed before the next is posted, so the worker really sees them in this order.
    const sequence = [
      { status: 'read', timestamp: t0 + 30 },
      { status: 'delivered', timestamp: t0 + 20 },
      { status: 'sent', timestamp: t0 + 10 },
      { status: 'failed', timestamp: t0 + 25, errors: [failure] },
      { status: 'read', timestamp: t0 + 31 },
    ];
    for (const step of sequence) {
      await postAccepted(statusWebhook({ wamid: a, ...step }), `${step.status} of A`);
      await settled(database.db);
    }
    const entryA = await entryOf(server, crm.br, a);
    expect(entryA).toMatchObject({
      direction: 'outbound',
      type: 'unknown',
      status: 'read',
      error: { code: 131049, title: failure.title, details: failure.error_data!.details },
      // Known only from statuses: it sits at the time of its earliest one.
      timestamp: iso(t0 + 10),
    });
    const historyA = await database.db.selectFrom('message_statuses').select('status').where('wamid', '=', a).orderBy('status').execute();
    expect(historyA.map((r) => r.status)).toEqual(['delivered', 'failed', 'read', 'sent']);

    const b = `wamid.E2E-OUT-OF-ORDER-B-${unique()}`;
    await postAccepted(statusWebhook({ wamid: b, status: 'sent', timestamp: t0 + 40 }), 'sent of B');
    await settled(database.db);
    await postAccepted(
      statusWebhook({ wamid: b, status: 'failed', timestamp: t0 + 41, errors: [{ code: 131026, title: 'Message undeliverable', error_data: { details: 'Unable to deliver' } }] }),
      'failed of B',
    );
    await settled(database.db);
    expect(await entryOf(server, crm.br, b)).toMatchObject({ status: 'failed', error: { code: 131026, title: 'Message undeliverable', details: 'Unable to deliver' } });
  });

  it('refuses unsigned and wrongly signed webhooks with 401 and keeps only signed bad bodies as dead letters, which replay refuses', async () => {
    await settled(database.db);
    const before = await stateOf(database.db);
    const inboxBefore = await count(database.db, 'inbox_events');
    const lengthsBefore = await timelineLengths(server, database.db);

    const forged = textWebhook({ wamid: `wamid.E2E-FORGED-${unique()}`, waId: '16505550199', timestamp: 1791070000, text: 'forged' });
    const wrongSignature = await post(forged, { signature: signatureFor(forged, 'not-the-app-secret') });
    expectStatus(wrongSignature, 401);
    expect((wrongSignature.json as ErrorDto).error.code).toBe('WEBHOOK_SIGNATURE_INVALID');

    const unsigned = textWebhook({ wamid: `wamid.E2E-UNSIGNED-${unique()}`, waId: '16505550198', timestamp: 1791070001, text: 'unsigned' });
    const missingHeader = await post(unsigned, { signature: null });
    expectStatus(missingHeader, 401);
    expect((missingHeader.json as ErrorDto).error.code).toBe('WEBHOOK_SIGNATURE_INVALID');

    const notJson = `this is not JSON ${unique()} {`;
    const notJsonResult = await post(notJson);
    expectStatus(notJsonResult, 400);
    expect(notJsonResult.json).toMatchObject({ error: { code: 'WEBHOOK_BODY_INVALID' } });

    const notEnvelope = JSON.stringify({ hello: 'world', nonce: unique() });
    const notEnvelopeResult = await post(notEnvelope);
    expectStatus(notEnvelopeResult, 400);
    expect(notEnvelopeResult.json).toMatchObject({ error: { code: 'WEBHOOK_BODY_INVALID' } });

    await settled(database.db);
    expect(await count(database.db, 'inbox_events')).toBe(inboxBefore);
    expect(await stateOf(database.db)).toEqual(before);
    expect(await timelineLengths(server, database.db)).toEqual(lengthsBefore);

    const cliEnv = { DATABASE_URL: database.url, LOG_LEVEL: 'warn' };
    const list = await runCli(['dlq', 'list', '--json'], cliEnv);
    expect(list.code, list.stderr).toBe(0);
    type Letter = { id: string; source: string; code: string; body: string; replayed_at: unknown };
    const webhookLetters = (stdout: string) =>
      stdout
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Letter)
        .filter((letter) => letter.source === 'webhook');
    const letters = webhookLetters(list.stdout);
    expect(letters.map((l) => l.body).sort()).toEqual([notJson, notEnvelope].sort());
    for (const letter of letters) expect(letter).toMatchObject({ source: 'webhook', code: 'WEBHOOK_BODY_INVALID', replayed_at: null });
    expect(list.stdout).not.toContain('E2E-FORGED');
    expect(list.stdout).not.toContain('E2E-UNSIGNED');

    const notJsonLetter = letters.find((l) => l.body === notJson)!;
    const replay = await runCli(['dlq', 'replay', notJsonLetter.id], cliEnv);
    expect(replay.code).not.toBe(0);
    expect(replay.stdout).toContain(`${notJsonLetter.id}: not replayed`);
    expect(replay.stdout).toMatch(/not JSON/);

    // Still there, still not replayed, and nothing new was stored.
    const after = await runCli(['dlq', 'list', '--json'], cliEnv);
    expect(webhookLetters(after.stdout).map((l) => [l.id, l.replayed_at]).sort()).toEqual(letters.map((l) => [l.id, null]).sort());
    expect(await webhookDeadLetters(database.db)).toBe(2);
    expect(await count(database.db, 'inbox_events')).toBe(inboxBefore);
    expect(await stateOf(database.db)).toEqual(before);
  });

  it('accepts a 2.9 MB signed webhook and files its long text', async () => {
    const wamid = `wamid.E2E-LARGE-${unique()}`;
    const text = 'Olá, segue o texto longo. '.repeat(107_000);
    const body = textWebhook({ wamid, waId: '551187654321', timestamp: 1791080000, text });
    expect(Buffer.byteLength(body)).toBeGreaterThan(2_850_000);
    expect(Buffer.byteLength(body)).toBeLessThan(3_000_000);
    await postAccepted(body, '2.9 MB webhook');
    await settled(database.db);
    const entry = await entryOf(server, crm.br, wamid);
    expect(entry?.text?.length).toBe(text.length);
    expect(entry?.text === text).toBe(true);
  });

  it('exposes webhook, queue and dead-letter metrics', async () => {
    await settled(database.db);
    const response = await fetch(`${server.baseUrl}/metrics`);
    expect(response.status).toBe(200);
    const metrics = await response.text();
    for (const name of [
      'switchboard_webhooks_received_total',
      'switchboard_webhooks_refused_total',
      'switchboard_webhook_ack_seconds',
      'switchboard_queue_depth',
      'switchboard_processing_lag_seconds',
      'switchboard_dead_letters',
    ]) {
      expect(metrics).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));
    }
    expect(metricValue(metrics, 'switchboard_webhooks_received_total')).toBe(posted.accepted);
    expect(metricValue(metrics, 'switchboard_webhooks_refused_total{reason="WEBHOOK_SIGNATURE_INVALID"}')).toBe(2);
    expect(metricValue(metrics, 'switchboard_webhooks_refused_total{reason="WEBHOOK_BODY_INVALID"}')).toBe(2);
    expect(metricValue(metrics, 'switchboard_webhook_ack_seconds_count')).toBe(posted.total);
    // Depth and lag also count follow-up jobs (media downloads) that wait for a Graph API these tests lack.
    expect(metricValue(metrics, 'switchboard_queue_depth')).toBeGreaterThanOrEqual(0);
    expect(metricValue(metrics, 'switchboard_processing_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(metricValue(metrics, 'switchboard_dead_letters')).toBe(await count(database.db, 'dead_letters'));
    expect(await webhookDeadLetters(database.db)).toBe(2);
  });

  /** N distinct text webhooks from 12 senders, and a query for the messages they became. */
  function burst(n: number) {
    const run = unique();
    const senders = Array.from({ length: 12 }, (_, i) => `165055501${String(i).padStart(2, '0')}`);
    const prefix = `wamid.E2E-CRASH-${run}-`;
    const bodies = Array.from({ length: n }, (_, i) => {
      const wamid = `${prefix}${String(i).padStart(3, '0')}`;
      return { wamid, body: textWebhook({ wamid, waId: senders[i % senders.length]!, timestamp: 1791090000 + i, text: `burst ${i}` }) };
    });
    const stored = async () =>
      database.db
        .selectFrom('messages')
        .select(['wamid', (eb) => eb.fn.countAll<number>().as('n')])
        .where('wamid', 'like', `${prefix}%`)
        .groupBy('wamid')
        .execute();
    return { prefix, senders, bodies, stored };
  }

  it('loses and duplicates no acknowledged webhook when killed with SIGKILL right after the burst, once restarted', async () => {
    const N = 300;
    const { prefix, senders, bodies, stored } = burst(N);
    const messagesBefore = await count(database.db, 'messages');

    // A graceful stop first (it must exit 0), then a server whose worker commits job by job, so
    // that the worker is as far behind the acknowledgements as it gets when the kill comes.
    expect(await server.stop()).toBe(0);
    server = await startServer({ databaseUrl: database.url, env: { META_APP_SECRET: vector.app_secret, WORKER_BATCH_SIZE: '1' } });

    const acked: string[] = [];
    await inPool(bodies, 50, async ({ wamid, body }) => {
      const result = await postSignedWebhook(server, body);
      if (result.status === 200) acked.push(wamid);
    });
    await server.kill9();
    expect(server.process.signalCode).toBe('SIGKILL');
    const processedAtKill = (await stored()).length;
    // The server was healthy: every body got its 200 before the kill. What the worker had done by then varies.
    expect(acked).toHaveLength(N);
    console.info(`[${dialect}] SIGKILL after ${acked.length} acknowledged webhooks, ${processedAtKill} of them processed at that moment`);

    server = await startServer({ databaseUrl: database.url, env: { META_APP_SECRET: vector.app_secret } });
    await settled(database.db, 60_000);

    const rows = await stored();
    expect(rows.filter((r) => Number(r.n) !== 1)).toEqual([]);
    expect(rows.map((r) => r.wamid).sort()).toEqual([...acked].sort());
    expect(await count(database.db, 'messages')).toBe(messagesBefore + N);

    // The restarted server shows them through the API too: one entry per acknowledged wamid.
    let onTimelines = 0;
    for (const sender of senders) {
      const contact = await theContact(server, `phone=${sender}`);
      onTimelines += (await timeline(server, contact.id)).filter((e) => e.wamid.startsWith(prefix)).length;
    }
    expect(onTimelines).toBe(N);
  });

  it('keeps every webhook it acknowledged when killed with SIGKILL while the burst is still arriving', async () => {
    const N = 300;
    const killAfter = 120;
    const { bodies, stored } = burst(N);
    const sent = new Set<string>();
    const acked: string[] = [];
    let killing: Promise<void> | null = null;
    await inPool(bodies, 50, async ({ wamid, body }) => {
      if (killing) return;
      sent.add(wamid);
      try {
        const result = await postSignedWebhook(server, body);
        if (result.status !== 200) return;
        acked.push(wamid);
        if (acked.length === killAfter) killing = server.kill9();
      } catch {
        // The connection died with the process: not acknowledged, so Meta would send it again.
      }
    });
    await killing;
    expect(server.process.signalCode).toBe('SIGKILL');
    expect(acked.length).toBeGreaterThanOrEqual(killAfter);
    expect(sent.size).toBeLessThan(N);

    server = await startServer({ databaseUrl: database.url, env: { META_APP_SECRET: vector.app_secret } });
    await settled(database.db, 60_000);

    const rows = await stored();
    expect(rows.filter((r) => Number(r.n) !== 1)).toEqual([]);
    const storedWamids = new Set(rows.map((r) => String(r.wamid)));
    expect(acked.filter((wamid) => !storedWamids.has(wamid))).toEqual([]);
    // Stored without an answer is possible (the kill came between commit and reply); made up is not.
    expect([...storedWamids].filter((wamid) => !sent.has(wamid))).toEqual([]);
  });
});

describe('start-up configuration errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-e2e-config-'));
  const valid = {
    DATABASE_URL: `sqlite:${join(dir, 'never-opened.db')}`,
    PORT: '0',
    HOST: '127.0.0.1',
    META_APP_SECRET: 'e2e-app-secret',
    WHATSAPP_VERIFY_TOKEN: 'e2e-verify-token',
    SWITCHBOARD_API_TOKEN: 'e2e-api-token-long-enough',
    LOG_LEVEL: 'warn',
  };

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    { variable: 'META_APP_SECRET', env: { ...valid, META_APP_SECRET: undefined } },
    { variable: 'DATABASE_URL', env: { ...valid, DATABASE_URL: 'mysql://x' } },
  ])('refuses to serve without a valid $variable, printing one line that names it', async ({ variable, env }) => {
    const result = await runCli(['serve'], env);
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(result.stdout).not.toMatch(/listening/);
    const lines = result.stderr.split('\n').filter((line) => line.trim() !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(variable);
  });
});
