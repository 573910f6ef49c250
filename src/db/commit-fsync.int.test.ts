import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, SYNCHRONOUS, synchronousOf, type TestDatabase } from '../../test/support/test-databases.js';

/** `withoutCommitFsync` (SQLite): the work's own commits skip fsync; no one else's ever does. */
describe('SQLite work whose commits skip fsync', () => {
  let handle: TestDatabase;
  beforeEach(async () => {
    handle = await createTestDatabase('sqlite');
  });
  afterEach(async () => {
    await handle.drop();
  });

  const row = (id: string) => ({ id, received_at: 0, body: '{}', fields: '' });
  const { NORMAL, FULL } = SYNCHRONOUS;
  const level = () => synchronousOf(handle);

  it('commits its transaction with synchronous=NORMAL, and FULL is back before anyone else runs', async () => {
    const seen: number[] = [];
    // Another user of the database asks for the connection while the work holds it.
    let other: Promise<void> | null = null;
    await handle.withoutCommitFsync!(async (db) => {
      seen.push(level());
      other = handle.db.transaction().execute(async (trx) => {
        seen.push(level());
        await trx.insertInto('inbox_events').values(row('other')).execute();
      });
      const trx = await db.startTransaction().execute();
      await trx.insertInto('inbox_events').values(row('work')).execute();
      await trx.commit().execute();
    });
    await other;
    expect(seen).toEqual([NORMAL, FULL]);
    expect(level()).toBe(FULL);
    expect((await handle.db.selectFrom('inbox_events').select('id').orderBy('id').execute()).map((r) => r.id)).toEqual(['other', 'work']);
  });

  it('restores FULL when the work fails, and the failed transaction leaves nothing', async () => {
    const failing = handle.withoutCommitFsync!(async (db) => {
      const trx = await db.startTransaction().execute();
      await trx.insertInto('inbox_events').values(row('gone')).execute();
      await trx.rollback().execute();
      throw new Error('the batch failed');
    });
    await expect(failing).rejects.toThrow('the batch failed');
    expect(level()).toBe(FULL);
    expect(await handle.db.selectFrom('inbox_events').select('id').execute()).toEqual([]);
  });
});
