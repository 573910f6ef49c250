import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, systemClock, type Clock } from '../../../../platform/clock.js';
import { MemoryRateLimiter } from '../../../outbound/index.js';
import { CrmError } from '../../index.js';
import { createZohoConnector, zohoWebTabUrl, type ZohoConnector, type ZohoConnectorOptions } from './index.js';
import { startZohoFake, ZOHO_FAKE_CLIENT, ZOHO_FAKE_OWNER, type ZohoFake, type ZohoFakeOptions } from './testing/zoho-fake.server.js';
import { crmErrorOf } from '../../testing/crm-error-of.js';

type World = { fake: ZohoFake; connector: ZohoConnector };
const worlds: World[] = [];

async function world(fakeOptions: ZohoFakeOptions = {}, connectorOptions: Partial<ZohoConnectorOptions> = {}, clock: Clock = systemClock): Promise<World> {
  const fake = await startZohoFake({ clock, ...fakeOptions });
  const connector = createZohoConnector({
    accountsUrl: fake.accountsUrl,
    apiUrl: fake.apiUrl,
    ...ZOHO_FAKE_CLIENT,
    // The limiter runs on real time even when the fake's clock is manual, so calls never wait forever.
    limiter: new MemoryRateLimiter(systemClock),
    clock,
    ...connectorOptions,
  });
  const w = { fake, connector };
  worlds.push(w);
  return w;
}

afterEach(async () => {
  for (const w of worlds.splice(0)) {
    await w.connector.close();
    await w.fake.close();
  }
});


describe('Zoho connector: OAuth', () => {
  it('exchanges the refresh token once, sends Zoho-oauthtoken on every call and reuses the access token', async () => {
    const { fake, connector } = await world();
    await connector.findByKey('a');
    await connector.findByEmail('a@example.com');
    await connector.getPerson('1');
    expect(fake.controls.tokenRequests()).toBe(1);
    const grant = fake.controls.bodies().find((b) => b.path === '/oauth/v2/token');
    expect(grant?.body).toMatchObject({ grant_type: 'refresh_token', client_id: ZOHO_FAKE_CLIENT.clientId, refresh_token: ZOHO_FAKE_CLIENT.refreshToken });
    // The secret travels in the form body, never in the URL.
    expect(grant?.query).toBe('');
  });

  it('calls the api_domain named by the token answer, not the configured API URL', async () => {
    const { fake, connector } = await world({}, { apiUrl: 'http://127.0.0.1:9' });
    const crmId = await fake.controls.createPersonDirectly({ lastName: 'Domain' });
    expect((await connector.getPerson(crmId))?.lastName).toBe('Domain');
  });

  it('an expired access token is renewed once and the call succeeds', async () => {
    const { fake, connector } = await world();
    await connector.findByKey('warm-up');
    fake.controls.expireAccessTokens();
    expect(await connector.findByKey('after-expiry')).toBeNull();
    expect(fake.controls.tokenRequests()).toBe(2);
  });

  it('renews the token before Zoho expires it, by the clock', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 1, 12));
    const { fake, connector } = await world({}, {}, clock);
    await connector.findByKey('a');
    clock.advance(56 * 60_000); // within 5 minutes of the hour
    await connector.findByKey('b');
    expect(fake.controls.tokenRequests()).toBe(2);
    const tokenCalls = fake.controls.requests().filter((r) => r.path === '/oauth/v2/token').length;
    expect(tokenCalls).toBe(2);
  });

  it('a 401 that survives the refresh becomes CRM_UNAUTHORIZED after exactly one refresh', async () => {
    const { fake, connector } = await world();
    await connector.findByKey('warm-up');
    fake.controls.failNext(401, 2);
    const error = await crmErrorOf(connector.findByKey('x'));
    expect(error.code).toBe('CRM_UNAUTHORIZED');
    expect(error.retryable).toBe(false);
    expect(error.details.vendorCode).toBe('INVALID_TOKEN');
    expect(fake.controls.tokenRequests()).toBe(2);
  });

  it('a revoked refresh token (invalid_code) is CRM_UNAUTHORIZED and no API call is made', async () => {
    const { fake, connector } = await world({ refreshToken: '1000.another.refresh' });
    const error = await crmErrorOf(connector.upsertPerson({ switchboardKey: 'k', lastName: 'Never' }));
    expect(error.code).toBe('CRM_UNAUTHORIZED');
    expect(error.details.vendorCode).toBe('invalid_code');
    expect(error.message).toContain('ZOHO_REFRESH_TOKEN');
    expect(fake.controls.requests().filter((r) => r.path.startsWith('/crm/'))).toEqual([]);
    expect(await fake.controls.personCount()).toBe(0);
  });

  it('a wrong client secret is CRM_UNAUTHORIZED (invalid_client)', async () => {
    const { connector } = await world({ clientSecret: 'other' });
    const error = await crmErrorOf(connector.findByKey('k'));
    expect(error).toMatchObject({ code: 'CRM_UNAUTHORIZED', details: expect.objectContaining({ vendorCode: 'invalid_client' }) });
  });
});

describe('Zoho connector: errors and limits', () => {
  it('a 429 is CRM_RATE_LIMITED with the wait taken from X-RATELIMIT-RESET', async () => {
    const { fake, connector } = await world();
    await connector.findByKey('warm-up');
    fake.controls.failNext(429);
    const error = await crmErrorOf(connector.findByKey('x'));
    expect(error.code).toBe('CRM_RATE_LIMITED');
    expect(error.details.vendorCode).toBe('TOO_MANY_REQUESTS');
    expect(error.details.retryAfterMs).toBeGreaterThan(0);
    expect(error.details.retryAfterMs).toBeLessThanOrEqual(1000);
  });

  it("the fake's own limit answers 429 with Zoho's headers, and the connector reports it as retryable", async () => {
    const { fake, connector } = await world({ rateLimit: { requests: 3, windowMs: 60_000 } });
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map((i) => connector.findByKey(`k${i}`)));
    const rejected = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as CrmError);
    expect(rejected.length).toBeGreaterThan(0);
    for (const error of rejected) expect(error).toMatchObject({ code: 'CRM_RATE_LIMITED', retryable: true });
    expect(fake.controls.rateLimitRejections()).toBe(rejected.length);
  });

  it('5xx answers are CRM_UNAVAILABLE and retryable', async () => {
    const { fake, connector } = await world();
    await connector.findByKey('warm-up');
    fake.controls.failNext(503);
    expect(await crmErrorOf(connector.getPerson('1'))).toMatchObject({ code: 'CRM_UNAVAILABLE', retryable: true });
  });

  it('an invalid email is CRM_REJECTED (INVALID_DATA) and creates nothing', async () => {
    const { fake, connector } = await world();
    const error = await crmErrorOf(connector.upsertPerson({ switchboardKey: 'k1', lastName: 'Bad', email: 'not-an-email' }));
    expect(error).toMatchObject({ code: 'CRM_REJECTED', retryable: false, details: expect.objectContaining({ vendorCode: 'INVALID_DATA' }) });
    expect(await fake.controls.personCount()).toBe(0);
  });

  it('writing a key another record already holds is CRM_REJECTED (DUPLICATE_DATA) and changes neither record', async () => {
    const { fake, connector } = await world();
    const a = await connector.upsertPerson({ switchboardKey: 'key-a', lastName: 'A' });
    const b = await fake.controls.createPersonDirectly({ lastName: 'B' });
    const error = await crmErrorOf(connector.updatePerson(b, { switchboardKey: 'key-a', lastName: 'B2' }));
    expect(error).toMatchObject({ code: 'CRM_REJECTED', details: expect.objectContaining({ vendorCode: 'DUPLICATE_DATA' }) });
    expect(fake.controls.contact(b)?.Last_Name).toBe('B');
    expect(fake.controls.contact(b)?.Switchboard_Id).toBeUndefined();
    expect((await connector.findByKey('key-a'))?.crmId).toBe(a.crmId);
  });

  it('updatePerson on an unknown id is CRM_NOT_FOUND; an id that is not a Zoho id never reaches Zoho', async () => {
    const { fake, connector } = await world();
    expect(await crmErrorOf(connector.updatePerson('3652397000000000001', { switchboardKey: 'k' }))).toMatchObject({ code: 'CRM_NOT_FOUND' });
    const before = fake.controls.requests().length;
    expect(await crmErrorOf(connector.updatePerson('../Leads/1', { switchboardKey: 'k' }))).toMatchObject({ code: 'CRM_NOT_FOUND' });
    expect(await connector.getPerson('1 or 1=1')).toBeNull();
    expect(fake.controls.requests().length).toBe(before);
  });

  it('getPerson answers null for a record that does not exist (Zoho answers 204)', async () => {
    const { connector } = await world();
    expect(await connector.getPerson('3652397000000000099')).toBeNull();
  });

  it('a missing key field in the org is CRM_MISCONFIGURED, not a silent miss', async () => {
    const { connector } = await world({ contactCustomFields: [] });
    expect(await crmErrorOf(connector.findByKey('k'))).toMatchObject({ code: 'CRM_MISCONFIGURED', details: expect.objectContaining({ vendorCode: 'INVALID_QUERY' }) });
  });

  it('a mapped field the org lacks makes backfill and polling CRM_MISCONFIGURED, naming the fields', async () => {
    const { fake, connector } = await world({}, { readFields: ['Budget', 'Shoe_Size'] });
    await fake.controls.createPersonDirectly({ lastName: 'X' });
    const error = await crmErrorOf(connector.listPeople(null));
    expect(error.code).toBe('CRM_MISCONFIGURED');
    expect(error.message).toContain('Shoe_Size');
  });

  it('reads mapped fields in backfill', async () => {
    const { fake, connector } = await world({}, { readFields: ['Budget'] });
    await fake.controls.createPersonDirectly({ lastName: 'X', fields: { Budget: '$1M – $2M' } });
    expect((await connector.listPeople(null)).items[0]?.fields.Budget).toBe('$1M – $2M');
  });

  it('a missing Switchboard_Key field on Tasks is CRM_MISCONFIGURED', async () => {
    const { fake, connector } = await world({ taskCustomFields: [] });
    const person = await connector.upsertPerson({ switchboardKey: 'k', lastName: 'T' });
    const error = await crmErrorOf(connector.createTask({ crmId: person.crmId, idempotencyKey: 't1', subject: 'Call', body: null, dueAt: null, ownerId: null }));
    expect(error.code).toBe('CRM_MISCONFIGURED');
    expect(fake.controls.tasks()).toEqual([]);
  });

  it('a field name from the mapping that is not an API name is refused before any call', async () => {
    const { fake, connector } = await world();
    const error = await crmErrorOf(connector.upsertPerson({ switchboardKey: 'k', lastName: 'X', fields: { "Budget') or (": 'x' } }));
    expect(error.code).toBe('CRM_MISCONFIGURED');
    expect(fake.controls.requests()).toEqual([]);
  });
});

describe('Zoho connector: hostile input', () => {
  const hostileKeys = ["x' or id is not null or Last_Name = '", "a\\' or 1=1", "k'); select id from Contacts where (id is not null", '\\', "'"];

  it.each(hostileKeys)('a key with COQL syntax (%s) matches only itself', async (hostile) => {
    const { fake, connector } = await world();
    await fake.controls.createPersonDirectly({ lastName: 'Bystander' });
    await connector.upsertPerson({ switchboardKey: 'plain-key', lastName: 'Plain' });
    expect(await connector.findByKey(hostile)).toBeNull();

    const created = await connector.upsertPerson({ switchboardKey: hostile, lastName: 'Hostile' });
    expect(created.switchboardKey).toBe(hostile);
    expect((await connector.findByKey(hostile))?.crmId).toBe(created.crmId);
    expect(await fake.controls.personCount()).toBe(3);
    expect((await connector.findByKey('plain-key'))?.lastName).toBe('Plain');
  });

  it('phone and email terms with criteria syntax are sent URL-encoded and match nothing', async () => {
    const { fake, connector } = await world();
    await fake.controls.createPersonDirectly({ lastName: 'Stored', phone: '+14155550142', email: 'stored@example.com' });
    expect(await connector.findByPhone(['+14155550142)or(Last_Name:starts_with:S', '(Phone:equals:*)'])).toEqual([]);
    expect(await connector.findByEmail('x@example.com)or(Email:starts_with:s')).toEqual([]);
    const searches = fake.controls.bodies().filter((b) => b.path.endsWith('/search'));
    expect(searches[0]?.query).toContain('phone=%2B1415');
    // The plain number is still found: the + arrives as a +, not a space.
    expect((await connector.findByPhone(['+14155550142'])).map((p) => p.lastName)).toEqual(['Stored']);
  });

  it('a hostile idempotency key on a task is one literal value', async () => {
    const { fake, connector } = await world();
    const person = await connector.upsertPerson({ switchboardKey: 'k', lastName: 'T' });
    await connector.createTask({ crmId: person.crmId, idempotencyKey: 'other', subject: 'Other', body: null, dueAt: null, ownerId: null });
    const hostile = "x' or Subject is not null or Subject = '";
    const first = await connector.createTask({ crmId: person.crmId, idempotencyKey: hostile, subject: 'Mine', body: null, dueAt: null, ownerId: null });
    const second = await connector.createTask({ crmId: person.crmId, idempotencyKey: hostile, subject: 'Mine', body: null, dueAt: null, ownerId: null });
    expect(second.taskId).toBe(first.taskId);
    expect(fake.controls.tasks().map((t) => t.Subject)).toEqual(['Other', 'Mine']);
  });
});

describe('Zoho connector: people', () => {
  it('upserts on Switchboard_Id with duplicate_check_fields and maps the record back', async () => {
    const { fake, connector } = await world({}, { webTabUrl: 'https://crm.zoho.eu/crm/tab' });
    const person = await connector.upsertPerson({ switchboardKey: 'k1', firstName: 'Ana', lastName: 'Lima', phone: '+5511987654321', email: 'ana@example.com', ownerId: ZOHO_FAKE_OWNER.id, fields: { Department: 'Sales' } });
    const upsert = fake.controls.bodies().find((b) => b.path === '/crm/v3/Contacts/upsert');
    expect(upsert?.body).toMatchObject({ duplicate_check_fields: ['Switchboard_Id'], data: [{ Switchboard_Id: 'k1', Mobile: '+5511987654321' }] });
    expect(person).toMatchObject({
      switchboardKey: 'k1',
      firstName: 'Ana',
      lastName: 'Lima',
      phones: ['+5511987654321'],
      email: 'ana@example.com',
      ownerId: ZOHO_FAKE_OWNER.id,
      url: `https://crm.zoho.eu/crm/tab/Contacts/${person.crmId}`,
    });
    expect(person.fields.Department).toBe('Sales');
    expect(person.updatedAt).toEqual(expect.any(Number));
  });

  it('a new person without a last name gets a placeholder, but an existing name is never overwritten by it', async () => {
    const { fake, connector } = await world();
    const created = await connector.upsertPerson({ switchboardKey: 'k', firstName: 'Só', phone: '+5511987654321' });
    expect(created.lastName).toBe('+5511987654321');
    await connector.updatePerson(created.crmId, { switchboardKey: 'k', lastName: 'Souza' });
    const again = await connector.upsertPerson({ switchboardKey: 'k', phone: '+5511987654322' });
    expect(again.lastName).toBe('Souza');
    expect(await fake.controls.personCount()).toBe(1);
  });

  it('tags: a given list becomes the record’s tags through add_tags/remove_tags; absent tags are left alone', async () => {
    const { fake, connector } = await world();
    const crmId = await fake.controls.createPersonDirectly({ lastName: 'Tagged', tags: ['Customer'] });
    const tagged = await connector.updatePerson(crmId, { switchboardKey: 'k', tags: ['Customer', 'Hot Lead – High Priority'] });
    expect(tagged.tags).toEqual(['Customer', 'Hot Lead – High Priority']);
    expect((await connector.getPerson(crmId))?.tags).toEqual(['Customer', 'Hot Lead – High Priority']);
    await connector.updatePerson(crmId, { switchboardKey: 'k', lastName: 'Still tagged' });
    expect((await connector.getPerson(crmId))?.tags).toEqual(['Customer', 'Hot Lead – High Priority']);
    await connector.updatePerson(crmId, { switchboardKey: 'k', tags: ['hot lead – high priority'] });
    expect((await connector.getPerson(crmId))?.tags).toEqual(['Hot Lead – High Priority']);
    expect(fake.controls.requests().filter((r) => r.path.endsWith('/actions/add_tags'))).toHaveLength(1);
  });

  it('findByPhone searches each spelling once and returns each record once', async () => {
    const { fake, connector } = await world();
    const a = await fake.controls.createPersonDirectly({ lastName: 'Typed', phone: '(415) 555-0142' });
    const b = await connector.upsertPerson({ switchboardKey: 'k', lastName: 'E164', phone: '+14155550142' });
    const found = await connector.findByPhone(['+14155550142', '14155550142', '(415) 555-0142', '+14155550142']);
    expect(found.map((p) => p.crmId).sort()).toEqual([a, b.crmId].sort());
    expect(fake.controls.requests().filter((r) => r.path.endsWith('/search'))).toHaveLength(3);
  });

  it('listPeople moves to page_token paging when Zoho offers a token', async () => {
    const { fake, connector } = await world({}, { pageSize: 2 });
    for (let i = 0; i < 5; i++) await fake.controls.createPersonDirectly({ lastName: `P${i}` });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await connector.listPeople(cursor);
      seen.push(...page.items.map((p) => p.lastName ?? ''));
      cursor = page.next;
    } while (cursor);
    expect(seen).toEqual(['P0', 'P1', 'P2', 'P3', 'P4']);
    const lists = fake.controls.bodies().filter((b) => b.path === '/crm/v3/Contacts' && b.method === 'GET');
    expect(lists[1]?.query).toContain('page_token=');
    expect(await crmErrorOf(connector.listPeople('garbage'))).toMatchObject({ code: 'CRM_REJECTED' });
  });

  it('an empty module lists as one empty page (Zoho answers 204)', async () => {
    const { connector } = await world();
    expect(await connector.listPeople(null)).toEqual({ items: [], next: null });
  });
});

describe('Zoho connector: notes and tasks', () => {
  it('logs a message as a Note titled with direction, time and our key; a different key is a second note', async () => {
    const { fake, connector } = await world();
    const person = await connector.upsertPerson({ switchboardKey: 'k', lastName: 'N' });
    const at = Date.UTC(2026, 10, 1, 12, 30);
    const first = await connector.logActivity({ crmId: person.crmId, idempotencyKey: 'wamid.A', direction: 'outbound', body: 'Here is the brochure <b>now</b>', occurredAt: at });
    await connector.logActivity({ crmId: person.crmId, idempotencyKey: 'wamid.A', direction: 'outbound', body: 'Here is the brochure <b>now</b>', occurredAt: at });
    await connector.logActivity({ crmId: person.crmId, idempotencyKey: 'wamid.AB', direction: 'inbound', body: 'Thanks', occurredAt: at + 1000 });
    const notes = fake.controls.notesOf(person.crmId);
    expect(notes.map((n) => n.title)).toEqual(['WhatsApp message sent 2026-11-01 12:30 UTC [sb:wamid.A]', 'WhatsApp message received 2026-11-01 12:30 UTC [sb:wamid.AB]']);
    expect(notes[0]).toMatchObject({ id: first.activityId, content: 'Here is the brochure <b>now</b>' });
  });

  it('a very long idempotency key is hashed into the title and still deduplicates', async () => {
    const { fake, connector } = await world();
    const person = await connector.upsertPerson({ switchboardKey: 'k', lastName: 'N' });
    const activity = { crmId: person.crmId, idempotencyKey: `wamid.${'x'.repeat(300)}`, direction: 'inbound' as const, body: 'Hi', occurredAt: Date.now() };
    await connector.logActivity(activity);
    await connector.logActivity(activity);
    const notes = fake.controls.notesOf(person.crmId);
    expect(notes).toHaveLength(1);
    expect(notes[0]?.title?.length).toBeLessThanOrEqual(120);
  });

  it('finding an earlier note reads notes newest first and stops at a day before the message', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 1, 12));
    const { fake, connector } = await world({}, { rateLimit: { capacity: 100_000, refillPerSecond: 100_000 } }, clock);
    const person = await connector.upsertPerson({ switchboardKey: 'k', lastName: 'Busy' });
    const log = (key: string) => connector.logActivity({ crmId: person.crmId, idempotencyKey: key, direction: 'inbound', body: key, occurredAt: clock.now() });
    for (let i = 0; i < 250; i++) {
      await log(`old-${i}`);
      clock.advance(60_000);
    }
    clock.advance(3 * 24 * 60 * 60_000);
    for (let i = 0; i < 5; i++) await log(`recent-${i}`);
    const notesReads = () => fake.controls.requests().filter((r) => r.path.endsWith('/Notes') && r.method === 'GET').length;
    const before = notesReads();
    await log('new');
    // The first page (newest 200) already reaches notes older than a day before the message: no second page.
    expect(notesReads() - before).toBe(1);
    expect(fake.controls.notesOf(person.crmId)).toHaveLength(256);
    // A retry of a recent message is still recognised.
    await log('recent-0');
    expect(fake.controls.notesOf(person.crmId)).toHaveLength(256);
  });

  it('logging on a record that does not exist is CRM_NOT_FOUND', async () => {
    const { connector } = await world();
    const error = await crmErrorOf(connector.logActivity({ crmId: '3652397000000000077', idempotencyKey: 'w', direction: 'inbound', body: 'x', occurredAt: Date.now() }));
    expect(error.code).toBe('CRM_NOT_FOUND');
  });

  it('creates a Task with Who_Id, Due_Date, Owner and Switchboard_Key', async () => {
    const { fake, connector } = await world();
    const person = await connector.upsertPerson({ switchboardKey: 'k', lastName: 'T' });
    const { taskId } = await connector.createTask({ crmId: person.crmId, idempotencyKey: 'run-1', subject: 'Follow up', body: 'Budget $1M – $2M', dueAt: Date.UTC(2026, 10, 2, 9), ownerId: ZOHO_FAKE_OWNER.id });
    expect(fake.controls.tasks()).toEqual([
      expect.objectContaining({ id: taskId, Subject: 'Follow up', Description: 'Budget $1M – $2M', Due_Date: '2026-11-02', Switchboard_Key: 'run-1', Status: 'Not Started', Who_Id: { id: person.crmId }, Owner: expect.objectContaining({ id: ZOHO_FAKE_OWNER.id }) }),
    ]);
  });

  it('a task for an unknown person is CRM_NOT_FOUND', async () => {
    const { connector } = await world();
    const error = await crmErrorOf(connector.createTask({ crmId: '3652397000000000055', idempotencyKey: 'r', subject: 'S', body: null, dueAt: null, ownerId: null }));
    expect(error.code).toBe('CRM_NOT_FOUND');
  });
});

describe('Zoho connector: change polling', () => {
  it('reports every change once, new records as created, even when many share one second', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 1, 12, 0, 0, 100));
    const { fake, connector } = await world({}, {}, clock);
    const old = await fake.controls.createPersonDirectly({ lastName: 'Old' });
    clock.advance(2000);
    let cursor = (await connector.pollChanges(null)).next;

    clock.advance(1000);
    const fresh: string[] = [];
    for (let i = 0; i < 130; i++) fresh.push(await fake.controls.createPersonDirectly({ lastName: `Same second ${i}` }));
    await fake.controls.updatePersonDirectly(old, { fields: { Department: 'Sales' } });

    const changes = [];
    for (let i = 0; i < 10; i++) {
      const page = await connector.pollChanges(cursor);
      changes.push(...page.items);
      if (page.items.length === 0) break;
      cursor = page.next;
    }
    const ids = changes.map((c) => c.person.crmId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual([...fresh, old].sort());
    expect(changes.find((c) => c.person.crmId === old)?.kind).toBe('person.updated');
    expect(changes.filter((c) => c.kind === 'person.created')).toHaveLength(130);

    // Nothing new: the same cursor comes back.
    const idle = await connector.pollChanges(cursor);
    expect(idle).toEqual({ items: [], next: cursor });
    clock.advance(1000);
    await fake.controls.updatePersonDirectly(fresh[0] as string, { tags: ['Hot Lead'] });
    const next = await connector.pollChanges(cursor);
    expect(next.items.map((c) => [c.kind, c.person.crmId, c.person.tags])).toEqual([['person.updated', fresh[0], ['Hot Lead']]]);
  });

  it('a cursor it did not issue is CRM_REJECTED', async () => {
    const { connector } = await world();
    expect(await crmErrorOf(connector.pollChanges('not-a-cursor'))).toMatchObject({ code: 'CRM_REJECTED' });
    const forged = Buffer.from(JSON.stringify({ v: 1, t: 0, ids: ['1) or (id is not null'] })).toString('base64url');
    // Ids that are not Zoho ids are dropped from a cursor rather than pasted into COQL.
    expect((await connector.pollChanges(forged)).items).toEqual([]);
  });
});

describe('zohoWebTabUrl', () => {
  it('derives the CRM web host from the accounts data centre', () => {
    expect(zohoWebTabUrl('https://accounts.zoho.com')).toBe('https://crm.zoho.com/crm/tab');
    expect(zohoWebTabUrl('https://accounts.zoho.eu/')).toBe('https://crm.zoho.eu/crm/tab');
    expect(zohoWebTabUrl('https://accounts.zoho.com.au')).toBe('https://crm.zoho.com.au/crm/tab');
    expect(zohoWebTabUrl('https://accounts.zohocloud.ca')).toBe('https://crm.zohocloud.ca/crm/tab');
    expect(zohoWebTabUrl('http://127.0.0.1:4000')).toBeNull();
    expect(zohoWebTabUrl('not a url')).toBeNull();
  });
});
