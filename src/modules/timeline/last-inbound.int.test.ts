import { Kysely, SqliteDialect } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../../test/support/test-databases.js';
import type { Database } from '../../db/database.js';
import { ManualClock } from '../../platform/clock.js';
import { uuidGenerator } from '../../platform/ids.js';
import { createContact } from '../contacts/index.js';
import { messageRepository } from './message.repository.js';
import { lastInbound, lastInboundAt } from './outbound-entries.js';
import { newMessageRow } from './record-message.js';

const NUMBER_A = '1000001';
const NUMBER_B = '1000002';

describe.each(DIALECTS)('when a contact last wrote, on %s', (dialect) => {
  let database: TestDatabase;
  let contactId: string;
  let quiet: string;
  const clock = new ManualClock(1_000_000);
  const deps = { clock, ids: uuidGenerator, defaultRegion: 'US' };
  let seq = 0;
  const message = (contact: string, direction: 'inbound' | 'outbound', number: string, at: number) =>
    messageRepository.insertIfAbsent(database.db, {
      ...newMessageRow(deps, contact, `wamid.LI${dialect}${++seq}`, at),
      direction,
      business_phone_number_id: number,
      type: 'text',
    });

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    const contact = await createContact(database.db, { name: 'Ines', phone: '+14155550177' }, deps);
    const other = await createContact(database.db, { name: 'Quentin', phone: '+14155550178' }, deps);
    if (!contact.ok || !other.ok) throw new Error('contacts');
    contactId = contact.value.id;
    quiet = other.value.id;
    // A long history: replies to both numbers, many more outbound messages, in no particular order.
    await message(contactId, 'inbound', NUMBER_A, 5_000);
    await message(contactId, 'inbound', NUMBER_B, 7_000);
    await message(contactId, 'inbound', NUMBER_A, 6_000);
    for (let i = 0; i < 200; i++) await message(contactId, 'outbound', i % 2 ? NUMBER_A : NUMBER_B, 8_000 + i);
    await message(quiet, 'outbound', NUMBER_A, 9_000);
  });
  afterAll(async () => {
    await database.drop();
  });

  it("answers from the contact's inbound messages only, per number", async () => {
    expect(await lastInboundAt(database.db, contactId, NUMBER_A)).toBe(6_000);
    expect(await lastInboundAt(database.db, contactId, NUMBER_B)).toBe(7_000);
    expect(await lastInbound(database.db, contactId)).toEqual({ businessPhoneNumberId: NUMBER_B, at: 7_000 });
    expect(await lastInboundAt(database.db, quiet, NUMBER_A)).toBeNull();
    expect(await lastInbound(database.db, quiet)).toBeNull();
  });

  it.runIf(dialect === 'sqlite')('reads them through the partial index, not the whole history', async () => {
    const statements: { sql: string; parameters: readonly unknown[] }[] = [];
    const logged = new Kysely<Database>({
      dialect: new SqliteDialect({ database: database.sqlite! }),
      log: (event) => {
        if (event.level === 'query') statements.push({ sql: event.query.sql, parameters: event.query.parameters });
      },
    });
    await lastInboundAt(logged, contactId, NUMBER_A);
    await lastInbound(logged, contactId);
    expect(statements).toHaveLength(2);
    for (const statement of statements) {
      const plan = database.sqlite!.prepare(`EXPLAIN QUERY PLAN ${statement.sql}`).all(...statement.parameters) as { detail: string }[];
      expect(plan.map((step) => step.detail).join('; ')).toContain('messages_last_inbound');
    }
  });
});
