import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CrmChange, CrmPerson } from '../crm-connector.js';
import type { CrmError } from '../crm-error.js';
import { crmErrorOf } from './crm-error-of.js';
import { phoneSearchVariants } from '../core/phone-search-variants.js';
import type { ConnectorUnderTest } from './fake-crm-controls.js';

/**
 * The one behaviour every CrmConnector promises, run against each vendor's local fake server and
 * against the built-in CRM. Each test gets a fresh `setup()` (a fresh fake), so counts start at 0.
 *
 * Vendor notes: `pageSize` (ConnectorUnderTest) says how many records one `listPeople` page holds,
 * so that the paging case creates more than one page; `ownerId` is an owner id the CRM accepts.
 */
export function describeConnectorContract(name: string, setup: () => Promise<ConnectorUnderTest>): void {
  describe(`${name} connector contract`, () => {
    let under: ConnectorUnderTest;
    // Keys and phones unique per test, so a fake that is shared by mistake shows up as a failure, not a pass.
    let seq = 0;
    const run = randomBytes(4).toString('hex');
    const key = () => `sb-${run}-${++seq}`;
    /** A valid US number (555-01xx is reserved for fiction) unique within the run. */
    let phoneSeq = 0;
    const usPhone = () => `+1415555${String(100 + (++phoneSeq % 100)).padStart(4, '0')}`;

    beforeEach(async () => {
      under = await setup();
    });
    afterEach(async () => {
      await under.close();
    });

    const expectCrmError = async (promise: Promise<unknown>, code: CrmError['code'], retryable: boolean) => {
      const error = await crmErrorOf(promise);
      expect(error.code).toBe(code);
      expect(error.retryable).toBe(retryable);
    };

    it('upsertPerson creates exactly one record per key, and the second call updates it', async () => {
      const { connector, fake } = under;
      const before = await fake.personCount();
      const k = key();
      const phone = usPhone();
      const created = await connector.upsertPerson({ switchboardKey: k, firstName: 'Ana', lastName: 'Lima', phone, email: `ana.${k}@example.com` });
      expect(created.crmId).toBeTruthy();
      expect(created.switchboardKey).toBe(k);
      expect(await fake.personCount()).toBe(before + 1);

      const updated = await connector.upsertPerson({ switchboardKey: k, lastName: 'Lima Souza' });
      expect(updated.crmId).toBe(created.crmId);
      expect(updated.lastName).toBe('Lima Souza');
      expect(await fake.personCount()).toBe(before + 1);

      const found = await connector.findByKey(k);
      expect(found?.crmId).toBe(created.crmId);
      expect(found?.lastName).toBe('Lima Souza');
      expect(found?.firstName).toBe('Ana');
    });

    it('findByKey finds the record holding the key and answers null for an unknown key', async () => {
      const { connector } = under;
      const k = key();
      const created = await connector.upsertPerson({ switchboardKey: k, firstName: 'Bruno', lastName: 'Dias', phone: usPhone() });
      const hit = await connector.findByKey(k);
      expect(hit?.crmId).toBe(created.crmId);
      expect(hit?.switchboardKey).toBe(k);
      expect(await connector.findByKey(key())).toBeNull();
    });

    it('getPerson reads a record by its CRM id', async () => {
      const { connector, fake } = under;
      const crmId = await fake.createPersonDirectly({ firstName: 'Carla', lastName: 'Nunes', email: 'carla@example.com' });
      const person = await connector.getPerson(crmId);
      expect(person).toMatchObject({ crmId, lastName: 'Nunes', switchboardKey: null });
    });

    it('findByPhone finds a record typed as (415) 555-0142 from the search variants of +14155550142', async () => {
      const { connector, fake } = under;
      const variants = phoneSearchVariants('+14155550142', 'US');
      expect(variants).toEqual(expect.arrayContaining(['+14155550142', '14155550142', '4155550142', '(415) 555-0142']));
      const crmId = await fake.createPersonDirectly({ firstName: 'Dora', lastName: 'Reyes', phone: '(415) 555-0142' });

      const found = await connector.findByPhone(variants);
      expect(found.map((p: CrmPerson) => p.crmId)).toContain(crmId);
      expect(found.find((p) => p.crmId === crmId)?.switchboardKey).toBeNull();
      expect(await connector.findByPhone(phoneSearchVariants('+14155550199', 'US'))).toEqual([]);
    });

    it('findByEmail finds a record by its email address', async () => {
      const { connector, fake } = under;
      const crmId = await fake.createPersonDirectly({ firstName: 'Eva', lastName: 'Prado', email: 'eva.prado@example.com' });
      const found = await connector.findByEmail('eva.prado@example.com');
      expect(found.map((p) => p.crmId)).toEqual([crmId]);
      expect(found[0]?.email?.toLowerCase()).toBe('eva.prado@example.com');
      expect(await connector.findByEmail('nobody.here@example.com')).toEqual([]);
    });

    it('updatePerson writes our key onto a record created in the CRM, and findByKey then finds it', async () => {
      const { connector, fake } = under;
      const crmId = await fake.createPersonDirectly({ firstName: 'Fabio', lastName: 'Melo', phone: '(415) 555-0143' });
      const before = await fake.personCount();
      const k = key();
      const updated = await connector.updatePerson(crmId, { switchboardKey: k });
      expect(updated.crmId).toBe(crmId);
      expect(updated.switchboardKey).toBe(k);
      expect((await connector.findByKey(k))?.crmId).toBe(crmId);
      expect((await connector.getPerson(crmId))?.lastName).toBe('Melo');
      expect(await fake.personCount()).toBe(before);
    });

    it('logActivity twice with the same idempotency key leaves one activity on the record', async () => {
      const { connector, fake } = under;
      const person = await connector.upsertPerson({ switchboardKey: key(), firstName: 'Gil', lastName: 'Rocha', phone: usPhone() });
      const activity = { crmId: person.crmId, idempotencyKey: `wamid.${key()}`, direction: 'inbound' as const, body: 'Is the flat still available?', occurredAt: Date.UTC(2026, 10, 1, 12) };
      const first = await connector.logActivity(activity);
      const second = await connector.logActivity(activity);
      expect(second.activityId).toBe(first.activityId);
      const activities = await fake.activitiesOf(person.crmId);
      expect(activities).toHaveLength(1);
      expect(activities[0]?.body).toContain('Is the flat still available?');
    });

    it('createTask twice with the same idempotency key leaves one task, with its owner', async () => {
      const { connector, fake } = under;
      const ownerId = under.ownerId ?? '12345';
      const person = await connector.upsertPerson({ switchboardKey: key(), firstName: 'Hugo', lastName: 'Sales', phone: usPhone() });
      const task = { crmId: person.crmId, idempotencyKey: `rule-run-${key()}`, subject: 'Call back about the $1M – $2M budget', body: 'Tapped on WhatsApp', dueAt: Date.UTC(2026, 10, 2, 9), ownerId };
      const first = await connector.createTask(task);
      const second = await connector.createTask(task);
      expect(second.taskId).toBe(first.taskId);
      const tasks = await fake.tasksOf(person.crmId);
      expect(tasks).toHaveLength(1);
      expect(tasks[0]).toMatchObject({ subject: 'Call back about the $1M – $2M budget', ownerId });
    });

    it('listPeople pages through more records than one page holds, each record once', async () => {
      const { connector, fake } = under;
      const pageSize = under.pageSize ?? 100;
      const ids = new Set<string>();
      for (let i = 0; i < pageSize + 7; i++) ids.add(await fake.createPersonDirectly({ lastName: `Paged ${i}`, email: `paged.${i}@example.com` }));

      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await connector.listPeople(cursor);
        seen.push(...page.items.map((p) => p.crmId));
        cursor = page.next;
        pages++;
      } while (cursor !== null && pages < 1_000);
      expect(pages).toBeGreaterThan(1);
      expect(new Set(seen).size).toBe(seen.length);
      for (const id of ids) expect(seen).toContain(id);
    });

    it('pollChanges(null) starts from now with no changes; a change made in the CRM afterwards shows up', async () => {
      const { connector, fake } = under;
      const crmId = await fake.createPersonDirectly({ firstName: 'Iris', lastName: 'Lopes', phone: '(415) 555-0144', tags: [] });
      const start = await connector.pollChanges(null);
      expect(start.items).toEqual([]);
      expect(typeof start.next).toBe('string');

      // CRMs that filter on a modification time with one-second precision need the change in a later second.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      await fake.updatePersonDirectly(crmId, { tags: ['Hot Lead'] });

      const changes: CrmChange[] = [];
      let cursor = start.next;
      for (let i = 0; i < 20; i++) {
        const page = await connector.pollChanges(cursor);
        changes.push(...page.items);
        if (page.items.length === 0 || page.next === cursor) break;
        cursor = page.next;
      }
      const mine = changes.filter((c) => c.person.crmId === crmId);
      expect(mine.length).toBeGreaterThan(0);
      expect(mine.at(-1)?.kind).toBe('person.updated');
      expect(mine.at(-1)?.person.lastName).toBe('Lopes');
    });

    it('a 429 answer becomes a retryable CRM_RATE_LIMITED error, and the next call succeeds', async () => {
      const { connector, fake } = under;
      await connector.findByKey(key()); // any token exchange happens before the failure is armed
      fake.failNext(429);
      await expectCrmError(connector.findByKey(key()), 'CRM_RATE_LIMITED', true);
      expect(await connector.findByKey(key())).toBeNull();
    });

    it('a 500 answer becomes a retryable CRM_UNAVAILABLE error', async () => {
      const { connector, fake } = under;
      await connector.findByKey(key());
      fake.failNext(500);
      await expectCrmError(connector.upsertPerson({ switchboardKey: key(), lastName: 'Down' }), 'CRM_UNAVAILABLE', true);
    });

    it('with search lag, a fresh record is not found by phone, but the record we upserted is found by its key', async () => {
      const { connector, fake } = under;
      fake.setSearchLagMs(60_000);
      const before = await fake.personCount();
      const k = key();
      const phone = '+14155550145';
      const created = await connector.upsertPerson({ switchboardKey: k, firstName: 'Joana', lastName: 'Mota', phone });
      expect(await connector.findByPhone(phoneSearchVariants(phone, 'US'))).toEqual([]);
      expect((await connector.findByKey(k))?.crmId).toBe(created.crmId);
      // Upserting again through the key must not create the record a second time, lag or not.
      await connector.upsertPerson({ switchboardKey: k, lastName: 'Mota Lima' });
      expect(await fake.personCount()).toBe(before + 1);
    });
  });
}
