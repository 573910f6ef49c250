import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../../../platform/clock.js';
import { MemoryRateLimiter } from '../../../outbound/index.js';
import { DEFAULT_FIELD_MAPS } from '../../core/field-mapping.js';
import { CrmError } from '../../crm-error.js';
import { createSalesforceConnector, type SalesforceConnector, type SalesforceConnectorOptions } from './index.js';
import { startSalesforceFake, type SalesforceFake, type SalesforceFakeOptions } from './testing/salesforce-fake.server.js';
import { crmErrorOf } from '../../testing/crm-error-of.js';

const pem = (pair: ReturnType<typeof generateKeyPairSync>) => pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });

type Setup = { fake: SalesforceFake; connector: SalesforceConnector };
const open: Setup[] = [];

async function setup(fakeOptions: SalesforceFakeOptions = {}, connectorOptions: Partial<SalesforceConnectorOptions> = {}): Promise<Setup> {
  const fake = await startSalesforceFake({ publicKey: keys.publicKey, ...fakeOptions });
  const connector = createSalesforceConnector({
    loginUrl: fake.url,
    clientId: fake.clientId,
    username: fake.username,
    privateKey: pem(keys),
    // The limiter runs on real time: a manual clock that never moves would starve it.
    limiter: new MemoryRateLimiter(systemClock),
    clock: fakeOptions.clock ?? systemClock,
    ...connectorOptions,
  });
  const s = { fake, connector };
  open.push(s);
  return s;
}

afterEach(async () => {
  for (const s of open.splice(0)) {
    await s.connector.close();
    await s.fake.close();
  }
});


/** A session of our own on the fake, for requests the connector would never send (a user's edit, an unescaped query). */
async function rawRequest(fake: SalesforceFake, method: 'GET' | 'PATCH', path: string, json?: unknown): Promise<{ status: number; body: unknown }> {
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({}).setProtectedHeader({ alg: 'RS256' }).setIssuer(fake.clientId).setSubject(fake.username).setAudience(fake.url).setExpirationTime(now + 60).sign(keys.privateKey);
  const minted = await request(`${fake.url}/services/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString(),
  });
  const { access_token } = (await minted.body.json()) as { access_token: string };
  const res = await request(`${fake.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${access_token}`, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text === '' ? null : JSON.parse(text) };
}

describe('Salesforce connector: JWT bearer flow', () => {
  it('signs an assertion the login server accepts and reuses the session for later calls', async () => {
    const { fake, connector } = await setup();
    expect(await connector.findByKey('nobody')).toBeNull();
    expect(await connector.findByEmail('nobody@example.com')).toEqual([]);
    expect(fake.controls.tokensIssued()).toBe(1);
    expect(fake.controls.requests().filter((r) => r.path === '/services/oauth2/token')).toHaveLength(1);
  });

  it('a key that does not match the connected app certificate is CRM_UNAUTHORIZED, not retryable', async () => {
    const { connector } = await setup({}, { privateKey: pem(otherKeys) });
    const error = await crmErrorOf(connector.findByKey('k'));
    expect(error.code).toBe('CRM_UNAUTHORIZED');
    expect(error.retryable).toBe(false);
    expect(error.details.vendorCode).toBe('invalid_grant');
  });

  it('a user the app is not approved for, or a wrong audience, is CRM_UNAUTHORIZED with Salesforce’s reason', async () => {
    const wrongUser = await setup({}, { username: 'someone@else.example' });
    const e1 = await crmErrorOf(wrongUser.connector.findByKey('k'));
    expect(e1.code).toBe('CRM_UNAUTHORIZED');
    expect(e1.message).toContain("user hasn't approved this consumer");

    const wrongAudience = await setup({}, { audience: 'https://login.salesforce.com' });
    const e2 = await crmErrorOf(wrongAudience.connector.findByKey('k'));
    expect(e2.code).toBe('CRM_UNAUTHORIZED');
    expect(e2.message).toContain('audience is invalid');
  });

  it('an unreadable private key is CRM_MISCONFIGURED; a PEM with literal \\n escapes (an env file) is read', async () => {
    const broken = await setup({}, { privateKey: 'not a key' });
    expect((await crmErrorOf(broken.connector.findByKey('k'))).code).toBe('CRM_MISCONFIGURED');

    const escaped = await setup({}, { privateKey: pem(keys).replace(/\n/g, '\\n') });
    expect(await escaped.connector.findByKey('k')).toBeNull();
  });

  it('an expired session (401 INVALID_SESSION_ID) is renewed once, transparently', async () => {
    const { fake, connector } = await setup();
    const person = await connector.upsertPerson({ switchboardKey: 'k-1', lastName: 'Lima' });
    fake.controls.expireSessions();
    expect((await connector.getPerson(person.crmId))?.lastName).toBe('Lima');
    expect(fake.controls.tokensIssued()).toBe(2);
  });

  it('sessions that time out on the server are renewed too', async () => {
    // On a manual clock (setup gives it to the connector too): a session of a few real
    // milliseconds ran out within a call on a loaded machine, and was renewed once more.
    const clock = new ManualClock(Date.UTC(2026, 10, 1, 12, 0, 0));
    const { fake, connector } = await setup({ clock, sessionTtlMs: 15 * 60_000 });
    await connector.findByKey('k');
    expect(fake.controls.tokensIssued()).toBe(1);
    clock.advance(15 * 60_000);
    expect(await connector.findByKey('k')).toBeNull();
    expect(fake.controls.tokensIssued()).toBe(2);
  });

  it('a 401 that survives the renewal is CRM_UNAUTHORIZED; a login server outage during renewal is CRM_UNAVAILABLE', async () => {
    const { fake, connector } = await setup();
    await connector.findByKey('k');
    fake.controls.failNext(401, 2);
    const refused = await crmErrorOf(connector.findByKey('k'));
    expect(refused.code).toBe('CRM_UNAUTHORIZED');
    expect(refused.details.vendorCode).toBe('INVALID_SESSION_ID');

    fake.controls.expireSessions();
    fake.controls.failTokenNext(503);
    const down = await crmErrorOf(connector.findByKey('k'));
    expect(down.code).toBe('CRM_UNAVAILABLE');
    expect(down.retryable).toBe(true);
    expect(await connector.findByKey('k')).toBeNull();
  });

  it('concurrent calls share one token exchange', async () => {
    const { fake, connector } = await setup();
    await Promise.all(Array.from({ length: 8 }, (_, i) => connector.findByKey(`k-${i}`)));
    expect(fake.controls.tokensIssued()).toBe(1);
  });
});

describe('Salesforce connector: hostile input in SOQL, SOSL and paths', () => {
  const hostileEmails = [
    "x' OR Email != '",
    "\\' OR Email != \\'",
    "x\\' OR LastName != '",
    "' OR Id != null OR Email = '",
    'a%@example.com',
    '\\',
    "'",
    'multi\nline@example.com',
  ];
  const hostilePhones = ['"} IN ALL FIELDS RETURNING User(Id, Username)', '*', '4155550142" OR "*', '41*', '\\', '{', '}', "' OR ''='", '(415) 555-0142"} RETURNING Contact(Id'];
  const hostileKeys = ['..', '.', 'a/b', "x' OR '1'='1", '%2e%2e', '../Contact', '?q=SELECT', 'k#frag'];

  it('findByEmail treats quotes, backslashes and wildcards as text: nothing is found and nothing fails', async () => {
    const { fake, connector } = await setup();
    await fake.controls.createPersonDirectly({ lastName: 'Nunes', email: 'carla@example.com' });
    await fake.controls.createPersonDirectly({ lastName: 'Silva', email: 'ana@example.com' });

    // The fake does parse SOQL: the same text unescaped would have returned every contact.
    const injected = await rawRequest(fake, 'GET', `/services/data/v62.0/query?q=${encodeURIComponent("SELECT Id FROM Contact WHERE Email = 'x' OR Email != ''")}`);
    expect((injected.body as { totalSize: number }).totalSize).toBe(2);

    for (const email of hostileEmails) expect(await connector.findByEmail(email), email).toEqual([]);
  });

  it('an email with an apostrophe is found exactly', async () => {
    const { fake, connector } = await setup();
    const id = await fake.controls.createPersonDirectly({ lastName: "O'Brien", email: "o'brien@example.com" });
    await fake.controls.createPersonDirectly({ lastName: 'Other', email: 'obrien@example.com' });
    expect((await connector.findByEmail("o'brien@example.com")).map((p) => p.crmId)).toEqual([id]);
    expect((await connector.findByEmail("O'BRIEN@example.com")).map((p) => p.crmId)).toEqual([id]);
  });

  it('findByPhone escapes braces, quotes, operators and wildcards: nothing is found and nothing fails', async () => {
    const { fake, connector } = await setup();
    await fake.controls.createPersonDirectly({ lastName: 'Reyes', phone: '(415) 555-0142' });

    const injected = await rawRequest(fake, 'GET', `/services/data/v62.0/search/?q=${encodeURIComponent('FIND {*} IN PHONE FIELDS RETURNING Contact(Id)')}`);
    expect((injected.body as { searchRecords: unknown[] }).searchRecords).toHaveLength(1);

    for (const phone of hostilePhones) expect(await connector.findByPhone([phone]), phone).toEqual([]);
    expect(await connector.findByPhone(hostilePhones)).toEqual([]);
    expect((await connector.findByPhone(['+14155550142', '(415) 555-0142'])).map((p) => p.lastName)).toEqual(['Reyes']);
  });

  it('keys that look like paths or queries find nothing, and upserting one stores it verbatim', async () => {
    const { fake, connector } = await setup();
    const target = await connector.upsertPerson({ switchboardKey: 'plain', lastName: 'Target' });
    for (const key of hostileKeys) expect(await connector.findByKey(key), key).toBeNull();

    for (const key of hostileKeys.filter((k) => k !== '.' && k !== '..')) {
      const person = await connector.upsertPerson({ switchboardKey: key, lastName: 'Odd' });
      expect(person.switchboardKey).toBe(key);
      expect(person.crmId).not.toBe(target.crmId);
      expect((await connector.findByKey(key))?.crmId).toBe(person.crmId);
    }
    expect((await crmErrorOf(connector.upsertPerson({ switchboardKey: '..', lastName: 'Dots' }))).code).toBe('CRM_REJECTED');
    expect(fake.controls.record(target.crmId)?.['LastName']).toBe('Target');
  });

  it('field names that are not API names never reach Salesforce', async () => {
    const { fake, connector } = await setup();
    fake.controls.resetRequests();
    const error = await crmErrorOf(connector.upsertPerson({ switchboardKey: 'k', lastName: 'X', fields: { 'Name FROM User WHERE': 'x' } }));
    expect(error.code).toBe('CRM_MISCONFIGURED');
    expect(() => createSalesforceConnector({ loginUrl: fake.url, clientId: 'c', username: 'u', privateKey: pem(keys), limiter: new MemoryRateLimiter(systemClock), clock: systemClock, readFields: ['Id, (SELECT Id FROM Tasks)'] })).toThrow(CrmError);
    expect(fake.controls.requests().filter((r) => r.path.includes('/sobjects/'))).toEqual([]);
  });
});

describe('Salesforce connector: upserts and records', () => {
  it('upserts through the external id: 201 then 200, one Contact, read back with its URL', async () => {
    const { fake, connector } = await setup();
    const created = await connector.upsertPerson({ switchboardKey: 'k-1', firstName: 'Ana', lastName: 'Lima', phone: '+5511987654321', email: 'ana@example.com', tags: ['Hot Lead', 'VIP'], fields: { Budget__c: '$1M – $2M' } });
    const again = await connector.upsertPerson({ switchboardKey: 'k-1', firstName: 'Ana', lastName: 'Lima', phone: '+5511987654321', email: 'ana@example.com', tags: ['Hot Lead', 'VIP'], fields: { Budget__c: '$1M – $2M' } });
    expect(again.crmId).toBe(created.crmId);
    expect(await fake.controls.personCount()).toBe(1);
    expect(created).toMatchObject({
      switchboardKey: 'k-1',
      firstName: 'Ana',
      lastName: 'Lima',
      phones: ['+5511987654321'],
      email: 'ana@example.com',
      ownerId: fake.apiUserId,
      tags: ['Hot Lead', 'VIP'],
      fields: { Budget__c: '$1M – $2M' },
      url: `${fake.url}/lightning/r/Contact/${created.crmId}/view`,
    });
    expect(fake.controls.record(created.crmId)).toMatchObject({ MobilePhone: '+5511987654321', Switchboard_Tags__c: 'Hot Lead;VIP', Switchboard_Id__c: 'k-1' });
    const patches = fake.controls.requests().filter((r) => r.method === 'PATCH');
    expect(patches.map((r) => r.path)).toEqual(['/services/data/v62.0/sobjects/Contact/Switchboard_Id__c/k-1', '/services/data/v62.0/sobjects/Contact/Switchboard_Id__c/k-1']);
  });

  it('reads back through the external id when the API version answers an update with 204', async () => {
    const { fake, connector } = await setup({}, { apiVersion: 'v45.0' });
    const created = await connector.upsertPerson({ switchboardKey: 'k-204', lastName: 'Old' });
    const updated = await connector.upsertPerson({ switchboardKey: 'k-204', lastName: 'New' });
    expect(updated).toMatchObject({ crmId: created.crmId, lastName: 'New' });
    expect(fake.controls.requests().at(-1)?.path).toBe('/services/data/v45.0/sobjects/Contact/Switchboard_Id__c/k-204');
  });

  it('concurrent upserts of one new key create one Contact', async () => {
    const { fake, connector } = await setup();
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => connector.upsertPerson({ switchboardKey: 'same', lastName: `Try ${i}` })));
    expect(new Set(results.map((p) => p.crmId)).size).toBe(1);
    expect(await fake.controls.personCount()).toBe(1);
  });

  it('a Contact created without a last name gets one (Salesforce requires it); an update never overwrites it', async () => {
    const { connector } = await setup();
    expect(await connector.upsertPerson({ switchboardKey: 'n-1', firstName: 'Maria' })).toMatchObject({ firstName: null, lastName: 'Maria' });
    expect(await connector.upsertPerson({ switchboardKey: 'n-2', phone: '+5511987654321' })).toMatchObject({ lastName: '+5511987654321' });
    expect(await connector.upsertPerson({ switchboardKey: 'n-3' })).toMatchObject({ lastName: 'WhatsApp contact' });
    const renamed = await connector.upsertPerson({ switchboardKey: 'n-3', lastName: 'Souza' });
    expect((await connector.upsertPerson({ switchboardKey: 'n-3', firstName: 'Lia', lastName: null })).lastName).toBe(renamed.lastName);
  });

  it('updatePerson writes our key and fields on a CRM record; tags replace the picklist values', async () => {
    const { fake, connector } = await setup();
    const crmId = await fake.controls.createPersonDirectly({ firstName: 'Rui', lastName: 'Costa', phone: '(415) 555-0142', tags: ['Old'] });
    const updated = await connector.updatePerson(crmId, { switchboardKey: 'k-9', tags: ['Hot Lead – High Priority'], fields: { Budget__c: '$1M – $2M' } });
    expect(updated).toMatchObject({ switchboardKey: 'k-9', tags: ['Hot Lead – High Priority'], phones: ['(415) 555-0142'], fields: { Budget__c: '$1M – $2M' } });
    expect((await crmErrorOf(connector.updatePerson(crmId, { switchboardKey: 'k-9', tags: ['a;b'] }))).code).toBe('CRM_REJECTED');
  });

  it('readFields brings standard fields into `fields` in every read', async () => {
    const { fake, connector } = await setup({}, { readFields: ['LeadSource', 'Title'] });
    const crmId = await fake.controls.createPersonDirectly({ lastName: 'Melo', email: 'melo@example.com', fields: { LeadSource: 'Web' } });
    expect((await connector.findByEmail('melo@example.com'))[0]?.fields).toEqual({ LeadSource: 'Web', Title: null });
    expect((await connector.getPerson(crmId))?.fields).toMatchObject({ LeadSource: 'Web', Title: null });
  });

  it('the default field map\'s fields (LeadSource, MailingCity, Budget__c) are read by polling and reads', async () => {
    const readFields = DEFAULT_FIELD_MAPS.salesforce.filter((e) => e.direction !== 'to_crm').map((e) => e.crm);
    expect(readFields).toEqual(['LeadSource', 'MailingCity', 'Budget__c']);
    const { fake, connector } = await setup({}, { readFields, pollHoldBackMs: 0 });
    const start = await connector.pollChanges(null);
    const crmId = await fake.controls.createPersonDirectly({ lastName: 'Whitfield', fields: { MailingCity: 'San Francisco', Budget__c: '$1M – $2M' } });
    const changes = await connector.pollChanges(start.next);
    expect(changes.items.map((c) => [c.person.crmId, c.person.fields])).toEqual([[crmId, expect.objectContaining({ LeadSource: null, MailingCity: 'San Francisco', Budget__c: '$1M – $2M' })]]);
  });
});

describe('Salesforce connector: activities and tasks', () => {
  it('logs a message as a completed Task once, however often it is logged', async () => {
    const { fake, connector } = await setup();
    const person = await connector.upsertPerson({ switchboardKey: 'k', lastName: 'Lima' });
    const input = { crmId: person.crmId, idempotencyKey: 'wamid.HBgL', direction: 'outbound' as const, body: 'Hello Ana', occurredAt: Date.UTC(2026, 10, 1, 12) };
    const first = await connector.logActivity(input);
    const second = await connector.logActivity(input);
    const third = await connector.logActivity({ ...input, body: 'changed on retry' });
    expect(new Set([first.activityId, second.activityId, third.activityId]).size).toBe(1);
    expect(fake.controls.tasks()).toEqual([
      expect.objectContaining({
        Id: first.activityId,
        WhoId: person.crmId,
        Subject: 'WhatsApp outbound',
        Description: 'Hello Ana',
        Status: 'Completed',
        TaskSubtype: 'Task',
        ActivityDate: '2026-11-01',
        Switchboard_Message_Id__c: 'wamid.HBgL',
      }),
    ]);
  });

  it('creates a follow-up task once, for its owner, with a due date and reminder; a closed task stays closed', async () => {
    const { fake, connector } = await setup();
    const person = await connector.upsertPerson({ switchboardKey: 'k', lastName: 'Lima' });
    const input = { crmId: person.crmId, idempotencyKey: 'rule-run-1', subject: 'Call back', body: 'Budget $1M – $2M', dueAt: Date.UTC(2026, 10, 2, 9), ownerId: fake.ownerId };
    const { taskId } = await connector.createTask(input);
    expect(fake.controls.record(taskId)).toMatchObject({ OwnerId: fake.ownerId, Subject: 'Call back', ActivityDate: '2026-11-02', IsReminderSet: true, ReminderDateTime: Date.UTC(2026, 10, 2, 9), Status: 'Not Started' });

    // The owner closes it in Salesforce; a retried rule run must not reopen it.
    expect((await rawRequest(fake, 'PATCH', `/services/data/v62.0/sobjects/Task/${taskId}`, { Status: 'Completed' })).status).toBe(204);
    expect((await connector.createTask(input)).taskId).toBe(taskId);
    expect(fake.controls.record(taskId)?.['Status']).toBe('Completed');
    expect(await fake.controls.tasksOf(person.crmId)).toEqual([{ subject: 'Call back', ownerId: fake.ownerId }]);
  });

  it('an activity for a Contact that does not exist is CRM_NOT_FOUND; an owner Salesforce does not know is refused', async () => {
    const { fake, connector } = await setup();
    const gone = '003Fk0000000999AAA';
    expect((await crmErrorOf(connector.logActivity({ crmId: gone, idempotencyKey: 'm', direction: 'inbound', body: 'x', occurredAt: 0 }))).code).toBe('CRM_NOT_FOUND');
    expect((await crmErrorOf(connector.logActivity({ crmId: 'not-an-id', idempotencyKey: 'm', direction: 'inbound', body: 'x', occurredAt: 0 }))).code).toBe('CRM_NOT_FOUND');
    const person = await connector.upsertPerson({ switchboardKey: 'k', lastName: 'Lima' });
    const badOwner = await crmErrorOf(connector.createTask({ crmId: person.crmId, idempotencyKey: 't', subject: 's', body: null, dueAt: null, ownerId: '12345' }));
    expect(badOwner.code).toBe('CRM_REJECTED');
    expect(badOwner.details.vendorCode).toBe('MALFORMED_ID');
    expect(fake.controls.tasks()).toEqual([]);
  });
});

describe('Salesforce connector: errors and limits', () => {
  it('the daily allocation running out is a retryable CRM_RATE_LIMITED; Sforce-Limit-Info is tracked', async () => {
    const { fake, connector } = await setup({ dailyApiLimit: 3 });
    await connector.findByKey('a');
    expect(connector.apiUsage()).toEqual({ used: 1, limit: 3 });
    await connector.findByKey('b');
    await connector.findByKey('c');
    const error = await crmErrorOf(connector.findByKey('d'));
    expect(error).toMatchObject({ code: 'CRM_RATE_LIMITED', retryable: true });
    expect(error.details).toMatchObject({ httpStatus: 403, vendorCode: 'REQUEST_LIMIT_EXCEEDED', retryAfterMs: 60_000 });
    fake.controls.setDailyApiLimit(10);
    expect(await connector.findByKey('d')).toBeNull();
    expect(connector.apiUsage()).toEqual({ used: 4, limit: 10 });
  });

  it('503 and 500 are retryable CRM_UNAVAILABLE; validation errors are CRM_REJECTED with Salesforce’s code', async () => {
    const { fake, connector } = await setup();
    await connector.findByKey('warm');
    fake.controls.failNext(503);
    expect(await crmErrorOf(connector.findByEmail('a@example.com'))).toMatchObject({ code: 'CRM_UNAVAILABLE', retryable: true });
    fake.controls.failNext(500);
    expect(await crmErrorOf(connector.getPerson('003Fk0000000001AAA'))).toMatchObject({ code: 'CRM_UNAVAILABLE', retryable: true });

    const badEmail = await crmErrorOf(connector.upsertPerson({ switchboardKey: 'k', lastName: 'X', email: 'not-an-email' }));
    expect(badEmail).toMatchObject({ code: 'CRM_REJECTED', retryable: false });
    expect(badEmail.details.vendorCode).toBe('INVALID_EMAIL_ADDRESS');
    const unknownField = await crmErrorOf(connector.upsertPerson({ switchboardKey: 'k', lastName: 'X', fields: { Budget: '1' } }));
    expect(unknownField.details.vendorCode).toBe('INVALID_FIELD');
    expect(unknownField.code).toBe('CRM_REJECTED');
    expect(await fake.controls.personCount()).toBe(0);
  });

  it('unknown records: getPerson answers null, updatePerson CRM_NOT_FOUND', async () => {
    const { connector } = await setup();
    expect(await connector.getPerson('003Fk0000000999AAA')).toBeNull();
    expect(await connector.getPerson('../limits')).toBeNull();
    expect((await crmErrorOf(connector.updatePerson('003Fk0000000999AAA', { switchboardKey: 'k' }))).code).toBe('CRM_NOT_FOUND');
  });

  it('an org without the custom fields is CRM_MISCONFIGURED, not "not found"', async () => {
    const { fake, connector } = await setup();
    fake.controls.removeField('Contact', 'Switchboard_Id__c');
    expect((await crmErrorOf(connector.findByKey('k'))).code).toBe('CRM_MISCONFIGURED');
    expect((await crmErrorOf(connector.upsertPerson({ switchboardKey: 'k', lastName: 'X' }))).code).toBe('CRM_MISCONFIGURED');
    const crmId = await fake.controls.createPersonDirectly({ lastName: 'Y' });
    expect((await crmErrorOf(connector.updatePerson(crmId, { switchboardKey: 'k' }))).code).toBe('CRM_MISCONFIGURED');
    fake.controls.removeField('Task', 'Switchboard_Message_Id__c');
    expect((await crmErrorOf(connector.logActivity({ crmId, idempotencyKey: 'm', direction: 'inbound', body: 'x', occurredAt: 0 }))).code).toBe('CRM_MISCONFIGURED');
  });

  it('an external id that is not Unique (300 Multiple Choices) is CRM_MISCONFIGURED', async () => {
    const { fake, connector } = await setup({ uniqueExternalIds: false });
    await fake.controls.createPersonDirectly({ lastName: 'One', fields: { Switchboard_Id__c: 'dup' } });
    await fake.controls.createPersonDirectly({ lastName: 'Two', fields: { Switchboard_Id__c: 'dup' } });
    expect(await crmErrorOf(connector.findByKey('dup'))).toMatchObject({ code: 'CRM_MISCONFIGURED', details: { httpStatus: 300 } });
    expect((await crmErrorOf(connector.upsertPerson({ switchboardKey: 'dup', lastName: 'Three' }))).code).toBe('CRM_MISCONFIGURED');
  });
});

describe('Salesforce connector: listing and change polling', () => {
  it('listPeople follows nextRecordsUrl, and resumes after the last id when Salesforce forgot the cursor', async () => {
    const { fake, connector } = await setup({ pageSize: 3 });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push(await fake.controls.createPersonDirectly({ lastName: `P${i}` }));
    const first = await connector.listPeople(null);
    const second = await connector.listPeople(first.next);
    fake.controls.expireQueryLocators();
    const seen = [...first.items, ...second.items].map((p) => p.crmId);
    let cursor = second.next;
    while (cursor) {
      const page = await connector.listPeople(cursor);
      seen.push(...page.items.map((p) => p.crmId));
      cursor = page.next;
    }
    expect(seen).toEqual(ids);
    expect(fake.controls.requests().some((r) => /\/query\/01g/.test(r.path))).toBe(true);
  });

  it('pollChanges walks rows sharing one SystemModstamp second in (SystemModstamp, Id) order, none skipped or repeated', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 1, 12, 0, 0));
    const { fake, connector } = await setup({ clock, pageSize: 2 }, { clock });
    const start = await connector.pollChanges(null);
    clock.advance(1_000);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await fake.controls.createPersonDirectly({ lastName: `Same second ${i}` }));
    clock.advance(5_000);
    const changes = await drain(connector, start.next);
    expect(changes.map((c) => c.person.crmId)).toEqual(ids);
    expect(changes.every((c) => c.kind === 'person.created' && c.occurredAt === Date.UTC(2026, 10, 1, 12, 0, 1))).toBe(true);
  });

  it('holds back the newest seconds until Salesforce’s clock has moved past them, then reports the final state once', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 1, 12, 0, 0, 100));
    const { fake, connector } = await setup({ clock }, { pollHoldBackMs: 2_000 });
    const a = await fake.controls.createPersonDirectly({ lastName: 'Early' });
    clock.advance(1_000);
    const start = await connector.pollChanges(null);
    clock.advance(1_000); // 12:00:02.100
    const b = await fake.controls.createPersonDirectly({ lastName: 'B' });
    await fake.controls.updatePersonDirectly(a, { fields: { Title: 'Buyer' } });
    clock.advance(500); // 12:00:02.600, same second: the earlier-created A changes after B
    await fake.controls.updatePersonDirectly(a, { tags: ['Hot Lead'] });

    expect((await connector.pollChanges(start.next)).items).toEqual([]);
    clock.advance(3_000);
    const page = await connector.pollChanges(start.next);
    expect(page.items.map((c) => [c.kind, c.person.crmId])).toEqual([
      ['person.updated', a],
      ['person.created', b],
    ]);
    expect(page.items[0]?.person.tags).toEqual(['Hot Lead']);
    expect((await connector.pollChanges(page.next)).items).toEqual([]);
  });

  it('a cursor that is not ours is refused', async () => {
    const { connector } = await setup();
    expect((await crmErrorOf(connector.pollChanges("sfpoll1:0:' OR Id != '"))).code).toBe('CRM_REJECTED');
    expect((await crmErrorOf(connector.listPeople('sflist1:003Fk0000000001AAA:https://evil.example/x'))).code).toBe('CRM_REJECTED');
  });
});

async function drain(connector: SalesforceConnector, from: string) {
  const all = [];
  let cursor = from;
  for (let i = 0; i < 50; i++) {
    const page = await connector.pollChanges(cursor);
    all.push(...page.items);
    if (page.items.length === 0) break;
    cursor = page.next;
  }
  return all;
}

