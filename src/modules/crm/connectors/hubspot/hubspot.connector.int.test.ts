import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../platform/clock.js';
import { CrmError } from '../../crm-error.js';
import { phoneSearchVariants } from '../../core/phone-search-variants.js';
import { signV3 } from './hubspot-webhook.js';
import { hubspotUnderTest, type HubspotUnderTest } from './testing/hubspot-under-test.js';
import { crmErrorOf } from '../../testing/crm-error-of.js';

let current: HubspotUnderTest | undefined;
async function setup(options: Parameters<typeof hubspotUnderTest>[0] = {}): Promise<HubspotUnderTest> {
  current = await hubspotUnderTest(options);
  return current;
}
afterEach(async () => {
  await current?.close();
  current = undefined;
});


const searches = (t: HubspotUnderTest) => t.fake.requests().filter((r) => r.path.endsWith('/search')).length;

describe('HubSpot connector: people', () => {
  it('upserts on switchboard_id: a second upsert of a key updates the same contact', async () => {
    const t = await setup();
    const first = await t.connector.upsertPerson({ switchboardKey: 'c_1', firstName: 'Ana', lastName: 'Silva', phone: '+5511987654321', email: 'Ana@Example.com', tags: ['Hot Lead'] });
    const second = await t.connector.upsertPerson({ switchboardKey: 'c_1', lastName: 'Souza', fields: { budget: '$1M – $2M' } });
    expect(second.crmId).toBe(first.crmId);
    expect(await t.fake.personCount()).toBe(1);
    expect(second).toMatchObject({
      switchboardKey: 'c_1',
      firstName: 'Ana',
      lastName: 'Souza',
      phones: ['+5511987654321'],
      email: 'ana@example.com',
      tags: ['Hot Lead'],
      fields: { budget: '$1M – $2M' },
      url: `https://app.hubspot.com/contacts/4242/record/0-1/${first.crmId}`,
    });
    expect(t.fake.contact(first.crmId)).toMatchObject({ mobilephone: '+5511987654321', switchboard_tags: 'Hot Lead', switchboard_id: 'c_1' });
  });

  it('finds by key with a direct read that sees a record the search index does not yet show', async () => {
    const t = await setup();
    t.fake.setSearchLagMs(60_000);
    const created = await t.connector.upsertPerson({ switchboardKey: 'c_lag', lastName: 'Lag', phone: '+14155550142', email: 'lag@example.com' });
    expect((await t.connector.findByKey('c_lag'))?.crmId).toBe(created.crmId);
    expect(await t.connector.findByPhone(['+14155550142'])).toEqual([]);
    expect(await t.connector.findByEmail('lag@example.com')).toEqual([]);
    t.fake.setSearchLagMs(0);
    expect((await t.connector.findByPhone(['+14155550142'])).map((p) => p.crmId)).toEqual([created.crmId]);
    expect(await t.connector.findByKey('nobody')).toBeNull();
  });

  it('finds a record typed by a CRM user in a national format through the phone variants, 5 filter groups per search', async () => {
    const t = await setup();
    const id = await t.fake.createPersonDirectly({ firstName: 'Joe', lastName: 'Doe', phone: '(415) 555-0142' });
    await t.fake.createPersonDirectly({ lastName: 'Other', phone: '(415) 555-0199' });
    const variants = phoneSearchVariants('+14155550142', 'US');
    expect(variants.length).toBeGreaterThan(2);
    const before = searches(t);
    const found = await t.connector.findByPhone(variants);
    expect(found.map((p) => p.crmId)).toEqual([id]);
    expect(found[0]).toMatchObject({ switchboardKey: null, phones: ['(415) 555-0142'], firstName: 'Joe' });
    // phone and mobilephone for each variant, at most 5 OR-ed groups per request.
    expect(searches(t) - before).toBe(Math.ceil((variants.length * 2) / 5));
    expect(await t.connector.findByPhone([])).toEqual([]);
  });

  it('finds by email ignoring case, and getPerson answers null for unknown or malformed ids without a request', async () => {
    const t = await setup();
    const id = await t.fake.createPersonDirectly({ lastName: 'Mail', email: 'someone@example.com' });
    expect((await t.connector.findByEmail('SomeOne@example.com')).map((p) => p.crmId)).toEqual([id]);
    expect(await t.connector.findByEmail('  ')).toEqual([]);
    expect(await t.connector.getPerson('987654')).toBeNull();
    const before = t.fake.requests().length;
    expect(await t.connector.getPerson('../contacts')).toBeNull();
    expect(t.fake.requests().length).toBe(before);
  });

  it('writes our key onto a record first matched by phone, and clears properties given as null', async () => {
    const t = await setup();
    const id = await t.fake.createPersonDirectly({ firstName: 'Bea', lastName: 'Lee', phone: '415-555-0100', fields: { city: 'SF' } });
    const updated = await t.connector.updatePerson(id, { switchboardKey: 'c_bea', firstName: null, fields: { city: null } });
    expect(updated).toMatchObject({ crmId: id, switchboardKey: 'c_bea', firstName: null, lastName: 'Lee' });
    expect((await t.connector.findByKey('c_bea'))?.crmId).toBe(id);
    expect(t.fake.contact(id)).not.toHaveProperty('city');
    expect((await crmErrorOf(t.connector.updatePerson('123456789', { switchboardKey: 'x' }))).code).toBe('CRM_NOT_FOUND');
  });

  it('lists every contact page by page', async () => {
    const t = await setup({ fake: { pageSize: 7 } });
    for (let i = 0; i < 17; i++) await t.fake.createPersonDirectly({ lastName: `P${i}` });
    const names: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await t.connector.listPeople(cursor);
      names.push(...page.items.map((p) => p.lastName ?? ''));
      cursor = page.next;
      pages++;
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(names).toEqual(Array.from({ length: 17 }, (_, i) => `P${i}`));
  });
});

describe('HubSpot connector: bad input and HubSpot errors', () => {
  it('rejects an empty key, a reserved field and a tag with ";" before calling HubSpot', async () => {
    const t = await setup();
    expect((await crmErrorOf(t.connector.upsertPerson({ switchboardKey: '' }))).code).toBe('CRM_REJECTED');
    expect((await crmErrorOf(t.connector.upsertPerson({ switchboardKey: 'k', fields: { hs_object_id: '1' } }))).code).toBe('CRM_REJECTED');
    expect((await crmErrorOf(t.connector.upsertPerson({ switchboardKey: 'k', tags: ['a;b'] }))).code).toBe('CRM_REJECTED');
    expect((await crmErrorOf(t.connector.findByKey(''))).code).toBe('CRM_REJECTED');
    expect((await crmErrorOf(t.connector.pollChanges('garbage'))).code).toBe('CRM_REJECTED');
    expect(t.fake.requests()).toEqual([]);
  });

  it('translates HubSpot answers: 401, 429 with its policy, 5xx, a refused value, a duplicate email, a missing portal property', async () => {
    const t = await setup();
    t.fake.failNext(429);
    const limited = await crmErrorOf(t.connector.findByKey('k'));
    expect(limited).toMatchObject({ code: 'CRM_RATE_LIMITED', retryable: true, details: { httpStatus: 429, retryAfterMs: 10_000, vendorCode: 'RATE_LIMITS:TEN_SECONDLY_ROLLING' } });
    t.fake.failNext(503);
    expect(await crmErrorOf(t.connector.findByKey('k'))).toMatchObject({ code: 'CRM_UNAVAILABLE', retryable: true });
    t.fake.failNext(500);
    expect((await crmErrorOf(t.connector.upsertPerson({ switchboardKey: 'k' }))).code).toBe('CRM_UNAVAILABLE');

    expect(await crmErrorOf(t.connector.upsertPerson({ switchboardKey: 'k', email: 'not-an-email' }))).toMatchObject({ code: 'CRM_REJECTED', retryable: false, details: { vendorCode: 'VALIDATION_ERROR' } });

    await t.fake.createPersonDirectly({ lastName: 'Owner', email: 'taken@example.com' });
    expect(await crmErrorOf(t.connector.upsertPerson({ switchboardKey: 'k2', email: 'taken@example.com' }))).toMatchObject({ code: 'CRM_REJECTED', details: { httpStatus: 409, vendorCode: 'CONFLICT' } });

    t.fake.removeProperty('switchboard_tags');
    expect((await crmErrorOf(t.connector.upsertPerson({ switchboardKey: 'k3', tags: ['x'] }))).code).toBe('CRM_MISCONFIGURED');
  });

  it('answers CRM_UNAUTHORIZED for a token HubSpot does not know', async () => {
    const t = await setup({ connector: { accessToken: 'pat-na1-wrong' } });
    expect(await crmErrorOf(t.connector.findByKey('k'))).toMatchObject({ code: 'CRM_UNAUTHORIZED', retryable: false, details: { httpStatus: 401 } });
  });

  it('turns the fake’s own 429 (more than its rolling limit) into CRM_RATE_LIMITED when the tier is configured too high', async () => {
    const t = await setup({ fake: { rateLimit: { perTenSeconds: 10 } }, connector: { rateLimit: { perTenSeconds: 1000 } } });
    const results = await Promise.allSettled(Array.from({ length: 15 }, () => t.connector.findByKey('k')));
    const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as CrmError);
    expect(refused.length).toBe(5);
    expect(refused.every((e) => e.code === 'CRM_RATE_LIMITED' && e.details.retryAfterMs === 10_000)).toBe(true);
    expect(t.fake.rateLimitRejections().tenSecondly).toBe(5);
  });
});

describe('HubSpot connector: rate limits', () => {
  it('stays under the enforced 100 requests / rolling 10 s and 5 searches / s of Free/Starter: no 429 in 260 calls', async () => {
    // On a manual clock waiting for a token moves the shared clock instead of sleeping: the fake's windows see the same time.
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const t = await setup({ clock, fake: { rateLimit: { perTenSeconds: 100 } }, connector: { rateLimit: { perTenSeconds: 100 } } });
    const start = clock.now();
    for (let i = 0; i < 200; i++) await t.connector.findByKey(`k${i}`);
    for (let i = 0; i < 60; i++) await t.connector.findByEmail(`p${i}@example.com`);
    expect(t.fake.rateLimitRejections()).toEqual({ tenSecondly: 0, secondly: 0 });
    expect(t.fake.peakRequestsPerTenSeconds()).toBeLessThanOrEqual(95);
    // 260 requests at 9/s after a burst of 5, searches at 3.5/s: about 30 s of HubSpot time.
    expect(clock.now() - start).toBeGreaterThan(25_000);
  });
});

describe('HubSpot connector: activities and tasks', () => {
  it('logs a WhatsApp communication associated with the contact, once per idempotency key', async () => {
    const t = await setup();
    const p = await t.connector.upsertPerson({ switchboardKey: 'c_log', lastName: 'Log' });
    const input = { crmId: p.crmId, idempotencyKey: 'wamid.1', direction: 'inbound' as const, body: 'Hi <there> & you', occurredAt: Date.UTC(2026, 0, 2) };
    const first = await t.connector.logActivity(input);
    const second = await t.connector.logActivity(input);
    expect(second.activityId).toBe(first.activityId);
    expect(await t.fake.activitiesOf(p.crmId)).toEqual([{ body: 'Hi &lt;there&gt; &amp; you' }]);
    expect(t.fake.communicationsOf(p.crmId)[0]).toMatchObject({
      hs_communication_channel_type: 'WHATS_APP',
      hs_communication_logged_from: 'CRM',
      hs_timestamp: '2026-01-02T00:00:00.000Z',
      switchboard_message_id: 'wamid.1',
    });
    expect((await crmErrorOf(t.connector.logActivity({ ...input, idempotencyKey: 'wamid.2', crmId: '99999999' }))).code).toBe('CRM_NOT_FOUND');
  });

  it('creates a task for the owner once per idempotency key; no due date means due now', async () => {
    const clock = new ManualClock(Date.UTC(2026, 2, 3, 10));
    const t = await setup({ clock });
    const p = await t.connector.upsertPerson({ switchboardKey: 'c_task', lastName: 'Task' });
    const input = { crmId: p.crmId, idempotencyKey: 'rule-run-1', subject: 'Call back', body: 'Budget $1M – $2M', dueAt: null, ownerId: '77' };
    const first = await t.connector.createTask(input);
    expect((await t.connector.createTask(input)).taskId).toBe(first.taskId);
    expect(await t.fake.tasksOf(p.crmId)).toEqual([{ subject: 'Call back', ownerId: '77' }]);
    expect((await crmErrorOf(t.connector.createTask({ ...input, subject: ' ' }))).code).toBe('CRM_REJECTED');
  });

  it('logs 250 messages in 3 batch requests, and a repeated batch creates nothing new', async () => {
    const t = await setup();
    const people = await t.connector.upsertPeople(Array.from({ length: 3 }, (_, i) => ({ switchboardKey: `b${i}`, lastName: `B${i}` })));
    const crmIds = people.map((r) => (r.ok ? r.crmId : ''));
    const inputs = Array.from({ length: 250 }, (_, i) => ({ crmId: crmIds[i % 3] ?? '', idempotencyKey: `m${i}`, direction: 'inbound' as const, body: `message ${i}`, occurredAt: 1_700_000_000_000 + i }));
    const before = t.fake.requests().length;
    const results = await t.connector.logActivities(inputs);
    expect(t.fake.requests().length - before).toBe(3);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(t.fake.count('communications')).toBe(250);

    // The outbox retries a batch that (unknown to it) went through: a conflict, then a read by key.
    const again = await t.connector.logActivities([...inputs.slice(0, 100), { ...inputs[0]!, idempotencyKey: 'm-new' }]);
    expect(again.every((r) => r.ok)).toBe(true);
    expect(again.slice(0, 100).map((r) => (r.ok ? r.activityId : ''))).toEqual(results.slice(0, 100).map((r) => (r.ok ? r.activityId : '')));
    expect(t.fake.count('communications')).toBe(251);
  });

  it('fails only the message whose contact is gone when one input spoils a batch, and merges repeated keys', async () => {
    const t = await setup();
    const p = await t.connector.upsertPerson({ switchboardKey: 'c_ok', lastName: 'Ok' });
    const results = await t.connector.logActivities([
      { crmId: p.crmId, idempotencyKey: 'a', direction: 'inbound', body: 'a', occurredAt: 1 },
      { crmId: '55555555', idempotencyKey: 'b', direction: 'inbound', body: 'b', occurredAt: 2 },
      { crmId: p.crmId, idempotencyKey: 'a', direction: 'inbound', body: 'a', occurredAt: 1 },
      { crmId: 'nope', idempotencyKey: 'c', direction: 'inbound', body: 'c', occurredAt: 3 },
    ]);
    expect(results.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['ok', 'CRM_NOT_FOUND', 'ok', 'CRM_NOT_FOUND']);
    expect(await t.fake.activitiesOf(p.crmId)).toEqual([{ body: 'a' }]);
  });

  it('upserts 250 people in 3 requests; the same batch again updates them; one conflicting email fails alone', async () => {
    const t = await setup();
    const inputs = Array.from({ length: 250 }, (_, i) => ({ switchboardKey: `u${i}`, lastName: `U${i}`, phone: `+1415555${String(i).padStart(4, '0')}` }));
    const before = t.fake.requests().length;
    const first = await t.connector.upsertPeople(inputs);
    expect(t.fake.requests().length - before).toBe(3);
    expect(first.every((r) => r.ok && r.created)).toBe(true);
    const second = await t.connector.upsertPeople(inputs);
    expect(second.every((r) => r.ok && !r.created)).toBe(true);
    expect(await t.fake.personCount()).toBe(250);

    await t.fake.createPersonDirectly({ lastName: 'Holder', email: 'held@example.com' });
    const mixed = await t.connector.upsertPeople([
      { switchboardKey: 'u1', firstName: 'One' },
      { switchboardKey: 'new1', lastName: 'New', email: 'held@example.com' },
      { switchboardKey: '', lastName: 'Bad' },
    ]);
    expect(mixed.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['ok', 'CRM_REJECTED', 'CRM_REJECTED']);
    expect((await t.connector.findByKey('u1'))?.firstName).toBe('One');
  });
});

describe('HubSpot connector: changes', () => {
  it('polls changes on lastmodifieddate, only those older than the settle time, without losing a record the index showed late', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const t = await setup({ clock, connector: { pollSettleMs: 30_000, fieldProperties: ['budget'] } });
    t.fake.setSearchLagMs(20_000);
    const start = await t.connector.pollChanges(null);
    expect(start.items).toEqual([]);
    clock.advance(1000);
    const a = await t.fake.createPersonDirectly({ lastName: 'A', tags: ['Hot Lead'] });
    clock.advance(5000);
    const b = await t.fake.createPersonDirectly({ lastName: 'B' });
    clock.advance(10_000);
    const early = await t.connector.pollChanges(start.next);
    expect(early.items).toEqual([]);
    clock.advance(30_000);
    const first = await t.connector.pollChanges(early.next);
    expect(first.items.map((c) => [c.kind, c.person.crmId])).toEqual([
      ['person.created', a],
      ['person.created', b],
    ]);
    expect(first.items[0]?.person.tags).toEqual(['Hot Lead']);
    await t.fake.updatePersonDirectly(a, { fields: { budget: '$1M – $2M' } });
    clock.advance(31_000);
    const second = await t.connector.pollChanges(first.next);
    expect(second.items.map((c) => [c.kind, c.person.crmId, c.person.fields['budget']])).toEqual([['person.updated', a, '$1M – $2M']]);
    expect((await t.connector.pollChanges(second.next)).items).toEqual([]);
  });

  it('pages through more changes in one millisecond than a search page holds', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const t = await setup({ clock, connector: { pollSettleMs: 0 } });
    let cursor = (await t.connector.pollChanges(null)).next;
    clock.advance(1);
    for (let i = 0; i < 150; i++) await t.fake.createPersonDirectly({ lastName: `Bulk${i}` });
    clock.advance(1);
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const page = await t.connector.pollChanges(cursor);
      for (const change of page.items) seen.add(change.person.crmId);
      cursor = page.next;
    }
    expect(seen.size).toBe(150);
  });

  it('accepts a HubSpot webhook signed v3 and reads the contacts it names; refuses a bad signature or an old one', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
    const url = 'https://hub.example.com/webhooks/crm/hubspot';
    const t = await setup({ clock, connector: { webhookSecret: 'app-secret', webhookUrl: url } });
    const id = await t.fake.createPersonDirectly({ lastName: 'Hooked', tags: ['Hot Lead – High Priority'] });
    const body = Buffer.from(
      JSON.stringify([
        { eventId: 1, subscriptionId: 9, portalId: 4242, occurredAt: clock.now() - 500, subscriptionType: 'contact.creation', attemptNumber: 0, objectId: Number(id), changeSource: 'CRM' },
        { eventId: 2, subscriptionId: 9, portalId: 4242, occurredAt: clock.now() - 400, subscriptionType: 'contact.propertyChange', objectId: Number(id), propertyName: 'switchboard_tags', propertyValue: 'x' },
        { eventId: 3, subscriptionId: 9, portalId: 4242, occurredAt: clock.now() - 300, subscriptionType: 'contact.deletion', objectId: 1 },
        { eventId: 4, subscriptionId: 9, portalId: 4242, occurredAt: clock.now() - 300, subscriptionType: 'contact.propertyChange', objectId: 31337 },
      ]),
    );
    const timestamp = String(clock.now() - 1000);
    const headers = { 'x-hubspot-signature-v3': signV3('app-secret', 'POST', url, body, timestamp), 'x-hubspot-request-timestamp': timestamp };
    const changes = await t.connector.parseWebhook!({ headers, rawBody: body });
    expect(changes.map((c) => [c.kind, c.person.crmId, c.person.tags, c.occurredAt])).toEqual([['person.created', id, ['Hot Lead – High Priority'], clock.now() - 400]]);

    const tampered = Buffer.from(body.toString().replace('Hooked', 'Hacked').replace('"objectId":1', '"objectId":2'));
    expect(await crmErrorOf(t.connector.parseWebhook!({ headers, rawBody: tampered }))).toMatchObject({ code: 'CRM_UNAUTHORIZED', details: { vendorCode: 'WEBHOOK_SIGNATURE' } });
    clock.advance(5 * 60_000);
    expect((await crmErrorOf(t.connector.parseWebhook!({ headers, rawBody: body }))).code).toBe('CRM_UNAUTHORIZED');
    expect((await crmErrorOf(t.connector.parseWebhook!({ headers: {}, rawBody: body }))).code).toBe('CRM_UNAUTHORIZED');
  });

  it('has no parseWebhook without the app secret', async () => {
    const t = await setup();
    expect(t.connector.parseWebhook).toBeUndefined();
  });
});
