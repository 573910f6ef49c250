import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../test/support/test-databases.js';
import { preparedQuery } from './prepared-query.js';

const addStatus = preparedQuery((db, v: { wamid: string; status: string; at: number; errors: string | null }) =>
  db
    .insertInto('message_statuses')
    .values({ wamid: v.wamid, status: v.status, wa_timestamp: v.at, errors: v.errors, pricing: null, received_at: v.at })
    .onConflict((oc) => oc.columns(['wamid', 'status']).doNothing()),
);
const statusOf = preparedQuery((db, v: { wamid: string; status: string }) =>
  db.selectFrom('message_statuses').select(['wa_timestamp', 'errors']).where('wamid', '=', v.wamid).where('status', '=', v.status),
);
const newest = preparedQuery((db, v: { wamid: string; limit: number }) =>
  db.selectFrom('message_statuses').select('status').where('wamid', '=', v.wamid).orderBy('wa_timestamp', 'desc').limit(v.limit),
);
const moveForward = preparedQuery((db, v: { wamid: string; before: number; to: number }) =>
  db.updateTable('message_statuses').set({ wa_timestamp: v.to }).where('wamid', '=', v.wamid).where('wa_timestamp', '<', v.before),
);

describe.each(DIALECTS)('preparedQuery on %s', (dialect) => {
  let database: TestDatabase;
  let other: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    other = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await database.drop();
    await other.drop();
  });
  beforeEach(async () => {
    await database.db.deleteFrom('message_statuses').execute();
    await other.db.deleteFrom('message_statuses').execute();
  });

  it('runs one statement with new values on every call, and counts what an INSERT … DO NOTHING changed', async () => {
    expect(await addStatus.changed(database.db, { wamid: 'w1', status: 'sent', at: 100, errors: null })).toBe(1);
    expect(await addStatus.changed(database.db, { wamid: 'w1', status: 'delivered', at: 200, errors: '[{"code":1}]' })).toBe(1);
    expect(await addStatus.changed(database.db, { wamid: 'w1', status: 'sent', at: 999, errors: null })).toBe(0);

    expect(await statusOf.first(database.db, { wamid: 'w1', status: 'sent' })).toEqual({ wa_timestamp: 100, errors: null });
    expect(await statusOf.first(database.db, { wamid: 'w1', status: 'delivered' })).toEqual({ wa_timestamp: 200, errors: '[{"code":1}]' });
    expect(await statusOf.first(database.db, { wamid: 'w2', status: 'sent' })).toBeUndefined();
    expect((await newest.execute(database.db, { wamid: 'w1', limit: 1 })).rows).toEqual([{ status: 'delivered' }]);
    expect((await newest.execute(database.db, { wamid: 'w1', limit: 5 })).rows).toEqual([{ status: 'delivered' }, { status: 'sent' }]);

    expect(await moveForward.changed(database.db, { wamid: 'w1', before: 150, to: 300 })).toBe(1);
    expect(await moveForward.changed(database.db, { wamid: 'w1', before: 150, to: 400 })).toBe(0);
    expect(await statusOf.first(database.db, { wamid: 'w1', status: 'sent' })).toEqual({ wa_timestamp: 300, errors: null });
  });

  it('runs in a transaction, whose rollback undoes it', async () => {
    await database.db
      .transaction()
      .execute(async (trx) => {
        await addStatus.changed(trx, { wamid: 'w3', status: 'read', at: 1, errors: null });
        expect(await statusOf.first(trx, { wamid: 'w3', status: 'read' })).toEqual({ wa_timestamp: 1, errors: null });
        throw new Error('roll back');
      })
      .catch(() => undefined);
    expect(await statusOf.first(database.db, { wamid: 'w3', status: 'read' })).toBeUndefined();
  });

  // On SQLite a statement run for an open transaction skips Kysely's executors (runInTransactionsDirectly).
  it('answers alike in a transaction: rows, changes, and the database error of a statement that fails', async () => {
    await database.db.transaction().execute(async (trx) => {
      expect(await addStatus.changed(trx, { wamid: 'w7', status: 'sent', at: 1, errors: null })).toBe(1);
      expect(await addStatus.changed(trx, { wamid: 'w7', status: 'sent', at: 2, errors: null })).toBe(0);
      expect(await statusOf.first(trx, { wamid: 'w7', status: 'sent' })).toEqual({ wa_timestamp: 1, errors: null });
      expect((await newest.execute(trx, { wamid: 'w7', limit: 5 })).rows).toEqual([{ status: 'sent' }]);
      expect(await moveForward.changed(trx, { wamid: 'w7', before: 5, to: 6 })).toBe(1);
    });
    expect(await statusOf.first(database.db, { wamid: 'w7', status: 'sent' })).toEqual({ wa_timestamp: 6, errors: null });
    // NOT NULL: the statement fails as a rejection with the database's error.
    const nullStatus = { wamid: 'w7', status: null, at: 3, errors: null } as unknown as Parameters<typeof addStatus.changed>[1];
    await expect(database.db.transaction().execute((trx) => addStatus.changed(trx, nullStatus))).rejects.toThrow(/NOT NULL|null value/i);
  });

  it('runs nothing in a transaction already committed or rolled back', async () => {
    const committed = await database.db.startTransaction().execute();
    await committed.commit().execute();
    await expect(addStatus.changed(committed, { wamid: 'w8', status: 'sent', at: 1, errors: null })).rejects.toThrow(/committed/i);
    const rolledBack = await database.db.startTransaction().execute();
    await rolledBack.rollback().execute();
    await expect(statusOf.first(rolledBack, { wamid: 'w8', status: 'sent' })).rejects.toThrow(/rolled back/i);
    expect(await database.db.selectFrom('message_statuses').selectAll().execute()).toEqual([]);
  });

  it("keeps a call outside a transaction out of another's open transaction: it waits, and survives its rollback", async () => {
    const trx = await database.db.startTransaction().execute();
    await addStatus.changed(trx, { wamid: 'w9', status: 'sent', at: 1, errors: null });
    // On SQLite's one connection this must wait for the transaction, not run inside it.
    const outside = addStatus.changed(database.db, { wamid: 'w9', status: 'delivered', at: 2, errors: null });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await trx.rollback().execute();
    expect(await outside).toBe(1);
    const rows = await database.db.selectFrom('message_statuses').select('status').where('wamid', '=', 'w9').execute();
    expect(rows).toEqual([{ status: 'delivered' }]);
  });

  it('serves every database it is used on, each with its own rows', async () => {
    await addStatus.changed(database.db, { wamid: 'w4', status: 'sent', at: 1, errors: null });
    await addStatus.changed(other.db, { wamid: 'w4', status: 'sent', at: 2, errors: null });
    expect(await statusOf.first(database.db, { wamid: 'w4', status: 'sent' })).toMatchObject({ wa_timestamp: 1 });
    expect(await statusOf.first(other.db, { wamid: 'w4', status: 'sent' })).toMatchObject({ wa_timestamp: 2 });
  });

  it('refuses a call that leaves a slot without a value, and runs nothing', async () => {
    const values = { wamid: 'w5', status: 'sent', at: 1 } as unknown as Parameters<typeof addStatus.changed>[1];
    await expect(addStatus.changed(database.db, values)).rejects.toThrow(/no value for "errors"/);
    expect(await database.db.selectFrom('message_statuses').selectAll().execute()).toEqual([]);
  });
});

describe('preparedQuery across dialects', () => {
  // Reusing the SQLite statement (`?`) on PostgreSQL (`$1`) would be a syntax error there.
  it.runIf(DIALECTS.includes('postgres'))('compiles its statement for each dialect it meets in one process', async () => {
    const sqlite = await createTestDatabase('sqlite');
    const postgres = await createTestDatabase('postgres');
    try {
      for (const [index, database] of [sqlite, postgres].entries()) {
        await addStatus.changed(database.db, { wamid: 'w6', status: 'sent', at: index, errors: null });
        expect(await statusOf.first(database.db, { wamid: 'w6', status: 'sent' })).toEqual({ wa_timestamp: index, errors: null });
      }
    } finally {
      await sqlite.drop();
      await postgres.drop();
    }
  });
});
