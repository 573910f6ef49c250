import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, systemClock, type Clock } from '../../../../platform/clock.js';
import { MemoryRateLimiter } from '../../../outbound/index.js';
import { CrmError } from '../../index.js';
import { createPipedriveConnector, pipedriveCompanyDomain, type PipedriveConnector, type PipedriveConnectorOptions } from './index.js';
import { PIPEDRIVE_FAKE_TOKEN, PIPEDRIVE_FAKE_USER_ID, startPipedriveFake, type PipedriveFake, type PipedriveFakeOptions } from './testing/pipedrive-fake.server.js';
import { crmErrorOf } from '../../testing/crm-error-of.js';

type World = { fake: PipedriveFake; connector: PipedriveConnector };
const worlds: World[] = [];
const FAST = { rateLimit: { capacity: 1000, refillPerSecond: 1000 }, searchRateLimit: { capacity: 1000, refillPerSecond: 1000 } };

async function world(fakeOptions: PipedriveFakeOptions = {}, connectorOptions: Partial<PipedriveConnectorOptions> = {}, clock: Clock = systemClock): Promise<World> {
  const fake = await startPipedriveFake({ clock, ...fakeOptions });
  const connector = createPipedriveConnector({ baseUrl: fake.url, apiToken: PIPEDRIVE_FAKE_TOKEN, limiter: new MemoryRateLimiter(systemClock), clock, ...connectorOptions });
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


const WEBHOOK = { user: 'switchboard', password: 's3cret-pass' };

describe('Pipedrive connector: auth, setup and errors', () => {
  it('sends the token in the x-api-token header, never in the URL', async () => {
    const { fake, connector } = await world();
    await connector.findByKey('k');
    expect(fake.controls.bodies().every((b) => !b.query.includes(PIPEDRIVE_FAKE_TOKEN))).toBe(true);
    expect(fake.controls.requests().map((r) => r.path)).toEqual(['/api/v1/personFields', '/api/v2/persons/search']);
  });

  it('a wrong token is CRM_UNAUTHORIZED and not retryable', async () => {
    const { connector } = await world({ apiToken: 'another' });
    expect(await crmErrorOf(connector.findByKey('k'))).toMatchObject({ code: 'CRM_UNAUTHORIZED', retryable: false });
  });

  it('without the switchboard_id person field every write is CRM_MISCONFIGURED and nothing is created', async () => {
    const { fake, connector } = await world({ withKeyField: false });
    const error = await crmErrorOf(connector.upsertPerson({ switchboardKey: 'k', lastName: 'X' }));
    expect(error.code).toBe('CRM_MISCONFIGURED');
    expect(error.message).toContain('switchboard_id');
    expect(await fake.controls.personCount()).toBe(0);
  });

  it('the key field can be named otherwise, or given by its hash key', async () => {
    const { fake } = await world({ withKeyField: false });
    const key = fake.controls.customFieldKey('WhatsApp contact id');
    const byName = createPipedriveConnector({ baseUrl: fake.url, apiToken: PIPEDRIVE_FAKE_TOKEN, limiter: new MemoryRateLimiter(systemClock), clock: systemClock, keyFieldName: 'whatsapp contact ID' });
    const byKey = createPipedriveConnector({ baseUrl: fake.url, apiToken: PIPEDRIVE_FAKE_TOKEN, limiter: new MemoryRateLimiter(systemClock), clock: systemClock, keyFieldKey: key });
    try {
      const created = await byName.upsertPerson({ switchboardKey: 'sb-1', lastName: 'Named' });
      expect(fake.controls.person(created.crmId)?.custom_fields).toMatchObject({ [key]: 'sb-1' });
      expect((await byKey.getPerson(created.crmId))?.switchboardKey).toBe('sb-1');
    } finally {
      await byName.close();
      await byKey.close();
    }
  });

  it('a 429 is CRM_RATE_LIMITED, waiting what x-ratelimit-reset says', async () => {
    const { fake, connector } = await world();
    await connector.findByKey('warm-up');
    fake.controls.failNext(429);
    const error = await crmErrorOf(connector.getPerson('101'));
    expect(error).toMatchObject({ code: 'CRM_RATE_LIMITED', retryable: true });
    expect(error.details.retryAfterMs).toBe(2000);
  });

  it('with the default budgets the connector stays inside Pipedrive’s 2-second windows (search 10, Essential 20)', async () => {
    const { fake, connector } = await world();
    const crmId = await fake.controls.createPersonDirectly({ lastName: 'Busy', phone: '+14155550142' });
    await Promise.all([
      ...Array.from({ length: 12 }, () => connector.findByPhone(['+14155550142'])),
      ...Array.from({ length: 20 }, () => connector.getPerson(crmId)),
    ]);
    expect(fake.controls.rateLimitRejections()).toEqual({ general: 0, search: 0 });
    expect(fake.controls.peakPer2s().search).toBeLessThanOrEqual(10);
    expect(fake.controls.peakPer2s().general).toBeLessThanOrEqual(20);
  }, 30_000);

  it('a connector configured above the plan meets the fake’s 429 as CRM_RATE_LIMITED', async () => {
    const { fake, connector } = await world({}, FAST);
    await connector.findByKey('warm-up');
    const results = await Promise.allSettled(Array.from({ length: 15 }, (_, i) => connector.findByKey(`k${i}`)));
    const rejected = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as CrmError);
    expect(rejected.length).toBeGreaterThan(0);
    for (const error of rejected) expect(error).toMatchObject({ code: 'CRM_RATE_LIMITED', retryable: true });
    expect(fake.controls.rateLimitRejections().search).toBe(rejected.length);
  });

  it('ids that are not Pipedrive ids never reach Pipedrive; an unknown id is CRM_NOT_FOUND', async () => {
    const { fake, connector } = await world({}, FAST);
    await connector.findByKey('warm-up');
    const before = fake.controls.requests().length;
    expect(await connector.getPerson('../v1/users')).toBeNull();
    expect(await crmErrorOf(connector.updatePerson('1 OR 1', { switchboardKey: 'k' }))).toMatchObject({ code: 'CRM_NOT_FOUND' });
    expect(fake.controls.requests().length).toBe(before);
    expect(await crmErrorOf(connector.updatePerson('999999', { switchboardKey: 'k' }))).toMatchObject({ code: 'CRM_NOT_FOUND' });
    expect(await connector.getPerson('999999')).toBeNull();
  });

  it('an invalid email is CRM_REJECTED and creates nothing', async () => {
    const { fake, connector } = await world({}, FAST);
    expect(await crmErrorOf(connector.upsertPerson({ switchboardKey: 'k', lastName: 'X', email: 'nope' }))).toMatchObject({ code: 'CRM_REJECTED', retryable: false });
    expect(await fake.controls.personCount()).toBe(0);
  });
});

describe('Pipedrive connector: keys and search', () => {
  it('keys match exactly: exact_match ignores case, the connector does not', async () => {
    const { connector } = await world({}, FAST);
    const upper = await connector.upsertPerson({ switchboardKey: 'Key-A', lastName: 'Upper' });
    const other = createPipedriveConnector({ baseUrl: worlds[0]?.fake.url as string, apiToken: PIPEDRIVE_FAKE_TOKEN, limiter: new MemoryRateLimiter(systemClock), clock: systemClock, ...FAST });
    try {
      // A second process (no memory of the write) finds the record through search.
      expect((await other.findByKey('Key-A'))?.crmId).toBe(upper.crmId);
      expect(await other.findByKey('key-a')).toBeNull();
    } finally {
      await other.close();
    }
  });

  it('keys longer than exact_match allows are searched loosely and compared exactly', async () => {
    const { fake, connector } = await world({}, FAST);
    const long = '0f8c5e4a-3a55-4d1c-9f8e-2f1f9f3c7a10';
    const longer = `${long}-x`;
    const a = await connector.upsertPerson({ switchboardKey: longer, lastName: 'Longer' });
    const fresh = createPipedriveConnector({ baseUrl: fake.url, apiToken: PIPEDRIVE_FAKE_TOKEN, limiter: new MemoryRateLimiter(systemClock), clock: systemClock, ...FAST });
    try {
      expect(await fresh.findByKey(long)).toBeNull();
      expect((await fresh.findByKey(longer))?.crmId).toBe(a.crmId);
      const searches = fake.controls.bodies().filter((b) => b.path.endsWith('/search'));
      expect(searches.at(-1)?.query).toContain('exact_match=false');
    } finally {
      await fresh.close();
    }
  });

  it('hostile search terms are sent URL-encoded and match only themselves', async () => {
    const { fake, connector } = await world({}, FAST);
    await fake.controls.createPersonDirectly({ lastName: 'Stored', phone: '+14155550142', email: 'stored@example.com' });
    const hostile = "x&term=&fields=name&exact_match=false'\"%";
    expect(await connector.findByKey(hostile)).toBeNull();
    const created = await connector.upsertPerson({ switchboardKey: hostile, lastName: 'Hostile' });
    expect(await fake.controls.personCount()).toBe(2);
    expect((await connector.findByKey(hostile))?.crmId).toBe(created.crmId);
    expect(await connector.findByPhone(['+1415555014', '%'])).toEqual([]);
    expect((await connector.findByPhone(['+14155550142'])).map((p) => p.lastName)).toEqual(['Stored']);
    const search = fake.controls.bodies().find((b) => b.path.endsWith('/search') && b.query.includes('fields=phone'));
    expect(search?.query).toContain('term=%2B1415');
  });

  it('a key moved to another record in Pipedrive is not served from memory', async () => {
    const { fake, connector } = await world({}, FAST);
    const person = await connector.upsertPerson({ switchboardKey: 'k-move', lastName: 'Moved' });
    await fake.controls.updatePersonDirectly(person.crmId, { fields: { switchboard_id: 'something-else' } });
    expect(await connector.findByKey('k-move')).toBeNull();
  });
});

describe('Pipedrive connector: people', () => {
  it('creates a person with name, primary phone and email, owner, labels, mapped fields and our key', async () => {
    const { fake, connector } = await world({}, { ...FAST, companyDomain: 'acme' });
    const budgetKey = fake.controls.customFieldKey('budget');
    const person = await connector.upsertPerson({
      switchboardKey: 'k1',
      firstName: 'Ana',
      lastName: 'Lima',
      phone: '+5511987654321',
      email: 'ana@example.com',
      ownerId: String(PIPEDRIVE_FAKE_USER_ID),
      tags: ['Hot lead'],
      fields: { Budget: '$1M – $2M' },
    });
    expect(person).toMatchObject({
      switchboardKey: 'k1',
      firstName: 'Ana',
      lastName: 'Lima',
      phones: ['+5511987654321'],
      email: 'ana@example.com',
      ownerId: String(PIPEDRIVE_FAKE_USER_ID),
      tags: ['Hot lead'],
      url: `https://acme.pipedrive.com/person/${person.crmId}`,
    });
    expect(person.fields[budgetKey]).toBe('$1M – $2M');
    expect(person.fields.budget).toBe('$1M – $2M');
    expect(person.fields.label).toBe('Hot lead');
    expect(fake.controls.person(person.crmId)).toMatchObject({ name: 'Ana Lima', phones: [{ value: '+5511987654321', primary: true, label: 'mobile' }] });
  });

  it('a new number becomes primary and the old one stays; a last name alone keeps the first name', async () => {
    const { fake, connector } = await world({}, FAST);
    const crmId = await fake.controls.createPersonDirectly({ firstName: 'Dora', lastName: 'Reyes', phone: '(415) 555-0142' });
    const updated = await connector.updatePerson(crmId, { switchboardKey: 'k', phone: '+14155550142', lastName: 'Reyes Silva' });
    expect(updated.phones).toEqual(['+14155550142', '(415) 555-0142']);
    expect(updated).toMatchObject({ firstName: 'Dora', lastName: 'Reyes Silva', switchboardKey: 'k' });
  });

  it('tags are label names; an unknown label is CRM_MISCONFIGURED and nothing is written', async () => {
    const { fake, connector } = await world({}, FAST);
    const crmId = await fake.controls.createPersonDirectly({ lastName: 'Tagged', tags: ['Customer'] });
    const error = await crmErrorOf(connector.updatePerson(crmId, { switchboardKey: 'k', tags: ['Customer', 'VIP'] }));
    expect(error.code).toBe('CRM_MISCONFIGURED');
    expect(error.message).toContain('"VIP"');
    expect((await connector.getPerson(crmId))?.switchboardKey).toBeNull();
    // Someone creates the label in Pipedrive: the connector reloads its field list and finds it.
    await fake.controls.createPersonDirectly({ lastName: 'Other', tags: ['VIP'] });
    const tagged = await connector.updatePerson(crmId, { switchboardKey: 'k', tags: ['customer', 'VIP'] });
    expect(tagged.tags).toEqual(['Customer', 'VIP']);
  });

  it('a mapped field Pipedrive does not have is CRM_MISCONFIGURED', async () => {
    const { connector } = await world({}, FAST);
    expect(await crmErrorOf(connector.upsertPerson({ switchboardKey: 'k', lastName: 'X', fields: { nonexistent: 'x' } }))).toMatchObject({ code: 'CRM_MISCONFIGURED' });
  });

  it('a person without any name gets the phone as its name', async () => {
    const { connector } = await world({}, FAST);
    const person = await connector.upsertPerson({ switchboardKey: 'k', phone: '+5511987654321' });
    expect(person.fields.name).toBe('+5511987654321');
  });
});

describe('Pipedrive connector: notes and tasks', () => {
  it('logs a note with the escaped message and our marker, once per key', async () => {
    const { fake, connector } = await world({}, FAST);
    const person = await connector.upsertPerson({ switchboardKey: 'k', lastName: 'N' });
    const activity = { crmId: person.crmId, idempotencyKey: 'wamid.<A&B>', direction: 'inbound' as const, body: 'Is <b>it</b> free?\nThanks & bye', occurredAt: Date.UTC(2026, 10, 1, 12, 30) };
    const first = await connector.logActivity(activity);
    const second = await connector.logActivity(activity);
    expect(second.activityId).toBe(first.activityId);
    const notes = fake.controls.notesOf(person.crmId);
    expect(notes).toHaveLength(1);
    expect(notes[0]?.content).toBe('<p>Is &lt;b&gt;it&lt;/b&gt; free?<br>Thanks &amp; bye</p><p><small>WhatsApp message received · 2026-11-01 12:30 UTC · [sb:wamid.&lt;A&amp;B&gt;]</small></p>');
    const lookups = fake.controls.bodies().filter((b) => b.path === '/api/v1/notes' && b.method === 'GET');
    expect(lookups[0]?.query).toContain(`person_id=${person.crmId}`);
  });

  it('a note for an unknown person is CRM_NOT_FOUND', async () => {
    const { connector } = await world({}, FAST);
    expect(await crmErrorOf(connector.logActivity({ crmId: '424242', idempotencyKey: 'w', direction: 'outbound', body: 'x', occurredAt: Date.now() }))).toMatchObject({ code: 'CRM_NOT_FOUND' });
  });

  it('creates a task activity with due date and time in UTC, owner and marker, once per key', async () => {
    const { fake, connector } = await world({}, FAST);
    const person = await connector.upsertPerson({ switchboardKey: 'k', lastName: 'T' });
    const task = { crmId: person.crmId, idempotencyKey: 'run-1', subject: 'Call back', body: 'Budget $1M – $2M', dueAt: Date.UTC(2026, 10, 2, 9, 15), ownerId: String(PIPEDRIVE_FAKE_USER_ID) };
    const first = await connector.createTask(task);
    expect((await connector.createTask(task)).taskId).toBe(first.taskId);
    expect(fake.controls.activitiesRaw(person.crmId)).toEqual([
      expect.objectContaining({ subject: 'Call back', type: 'task', user_id: PIPEDRIVE_FAKE_USER_ID, due_date: '2026-11-02', due_time: '09:15', done: false, note: '<p>Budget $1M – $2M</p><p><small>[sb:run-1]</small></p>' }),
    ]);
  });

  it('an owner id that is not a Pipedrive user id is CRM_REJECTED before any write', async () => {
    const { fake, connector } = await world({}, FAST);
    const person = await connector.upsertPerson({ switchboardKey: 'k', lastName: 'T' });
    expect(await crmErrorOf(connector.createTask({ crmId: person.crmId, idempotencyKey: 'r', subject: 'S', body: null, dueAt: null, ownerId: 'owner-1' }))).toMatchObject({ code: 'CRM_REJECTED' });
    expect(fake.controls.activitiesRaw(person.crmId)).toEqual([]);
  });
});

describe('Pipedrive connector: changes', () => {
  it('polls every change once across pages, even when many share one second', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 1, 12, 0, 0, 200));
    // The fake's 2-second windows would never roll on a manual clock.
    const { fake, connector } = await world({ rateLimit: null }, { ...FAST, pageSize: 10 }, clock);
    const old = await fake.controls.createPersonDirectly({ lastName: 'Old' });
    clock.advance(2000);
    let cursor = (await connector.pollChanges(null)).next;
    clock.advance(1000);
    const fresh: string[] = [];
    for (let i = 0; i < 25; i++) fresh.push(await fake.controls.createPersonDirectly({ lastName: `Fresh ${i}` }));
    await fake.controls.updatePersonDirectly(old, { tags: ['Hot lead'] });

    const changes = [];
    for (let i = 0; i < 20; i++) {
      const page = await connector.pollChanges(cursor);
      changes.push(...page.items);
      if (page.next === cursor) break;
      cursor = page.next;
    }
    const ids = changes.map((c) => c.person.crmId);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual([...fresh, old].sort());
    expect(changes.find((c) => c.person.crmId === old)).toMatchObject({ kind: 'person.updated', person: { tags: ['Hot lead'] } });
    expect(changes.filter((c) => c.kind === 'person.created')).toHaveLength(25);
    expect(await connector.pollChanges(cursor)).toEqual({ items: [], next: cursor });
    expect(await crmErrorOf(connector.pollChanges('forged'))).toMatchObject({ code: 'CRM_REJECTED' });
  });

  it('turns webhooks v2 person deliveries into changes when the basic-auth credentials match', async () => {
    const { fake, connector } = await world({ webhookAuth: WEBHOOK }, { ...FAST, webhookUser: WEBHOOK.user, webhookPassword: WEBHOOK.password });
    const created = await connector.upsertPerson({ switchboardKey: 'k-web', firstName: 'Wes', lastName: 'Hook', phone: '+14155550142' });
    await fake.controls.updatePersonDirectly(created.crmId, { tags: ['Hot lead'] });
    const [create, change] = fake.controls.webhookDeliveries();
    const first = await connector.parseWebhook({ headers: create?.headers ?? {}, rawBody: create?.rawBody ?? Buffer.alloc(0) });
    expect(first).toEqual([expect.objectContaining({ kind: 'person.created', person: expect.objectContaining({ crmId: created.crmId, switchboardKey: 'k-web', lastName: 'Hook', phones: ['+14155550142'] }) })]);
    const second = await connector.parseWebhook({ headers: change?.headers ?? {}, rawBody: change?.rawBody ?? Buffer.alloc(0) });
    expect(second).toEqual([expect.objectContaining({ kind: 'person.updated', person: expect.objectContaining({ tags: ['Hot lead'] }) })]);
    expect(second[0]?.occurredAt).toEqual(expect.any(Number));
  });

  it('refuses webhooks with wrong or missing credentials, and all webhooks when none are configured', async () => {
    const { fake, connector } = await world({ webhookAuth: { user: WEBHOOK.user, password: 'wrong' } }, { ...FAST, webhookUser: WEBHOOK.user, webhookPassword: WEBHOOK.password });
    await connector.upsertPerson({ switchboardKey: 'k', lastName: 'X' });
    const delivery = fake.controls.webhookDeliveries()[0] as { headers: Record<string, string>; rawBody: Buffer };
    expect(await crmErrorOf(connector.parseWebhook(delivery))).toMatchObject({ code: 'CRM_UNAUTHORIZED' });
    expect(await crmErrorOf(connector.parseWebhook({ headers: {}, rawBody: delivery.rawBody }))).toMatchObject({ code: 'CRM_UNAUTHORIZED' });
    expect(await crmErrorOf(connector.parseWebhook({ headers: { authorization: 'Bearer x' }, rawBody: delivery.rawBody }))).toMatchObject({ code: 'CRM_UNAUTHORIZED' });
    const open = createPipedriveConnector({ baseUrl: fake.url, apiToken: PIPEDRIVE_FAKE_TOKEN, limiter: new MemoryRateLimiter(systemClock), clock: systemClock });
    try {
      expect(await crmErrorOf(open.parseWebhook(delivery))).toMatchObject({ code: 'CRM_MISCONFIGURED' });
    } finally {
      await open.close();
    }
  });

  it('ignores other entities and deletions, and rejects bodies that are not webhooks v2', async () => {
    const { connector } = await world({}, { ...FAST, webhookUser: WEBHOOK.user, webhookPassword: WEBHOOK.password });
    const headers = { authorization: `Basic ${Buffer.from(`${WEBHOOK.user}:${WEBHOOK.password}`).toString('base64')}` };
    const body = (value: unknown) => Buffer.from(JSON.stringify(value));
    expect(await connector.parseWebhook({ headers, rawBody: body({ meta: { action: 'change', entity: 'deal', version: '2.0' }, data: { id: 1 }, previous: {} }) })).toEqual([]);
    expect(await connector.parseWebhook({ headers, rawBody: body({ meta: { action: 'delete', entity: 'person', version: '2.0' }, data: null, previous: { id: 1 } }) })).toEqual([]);
    expect(await crmErrorOf(connector.parseWebhook({ headers, rawBody: Buffer.from('{not json') }))).toMatchObject({ code: 'CRM_REJECTED' });
    expect(await crmErrorOf(connector.parseWebhook({ headers, rawBody: body({ v: 1, event: 'updated.person', current: {} }) }))).toMatchObject({ code: 'CRM_REJECTED' });
  });
});

describe('pipedriveCompanyDomain', () => {
  it('derives the company from a company host only', () => {
    expect(pipedriveCompanyDomain('https://acme.pipedrive.com')).toBe('acme');
    expect(pipedriveCompanyDomain('https://api.pipedrive.com')).toBeNull();
    expect(pipedriveCompanyDomain('http://127.0.0.1:3000')).toBeNull();
    expect(pipedriveCompanyDomain('nope')).toBeNull();
  });
});
