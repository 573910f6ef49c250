import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, SYNCHRONOUS, synchronousOf, type TestDatabase } from '../../test/support/test-databases.js';
import { AppError, err, ok } from '../platform/errors.js';
import { GroupTransaction } from './group-transaction.js';

describe.each(DIALECTS)('GroupTransaction on %s', (dialect) => {
  let database: TestDatabase;
  let group: GroupTransaction;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await database.drop();
  });
  beforeEach(async () => {
    await database.db.deleteFrom('contacts').execute();
    group = new GroupTransaction(database.db);
  });

  const insertContact = (id: string, phone: string) => async (trx: Parameters<Parameters<GroupTransaction['run']>[0]>[0]) => {
    await trx.insertInto('contacts').values({ id, name: id, phone, phone_match_key: null, wa_id: null, bsuid: null, profile_name: null, created_at: 1, updated_at: 1 }).execute();
  };
  const ids = async () => (await database.db.selectFrom('contacts').select('id').orderBy('id').execute()).map((r) => r.id);

  it('should commit the work of concurrent requests together and answer each with its own result', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        group.run(async (trx) => {
          await insertContact(`c${String(i).padStart(2, '0')}`, `+1415555${String(i).padStart(4, '0')}`)(trx);
          return ok(i);
        }),
      ),
    );
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => ok(i)));
    expect(await ids()).toHaveLength(20);
  });

  it('should undo a request that answers with an error and keep the others', async () => {
    const [first, refused, last] = await Promise.all([
      group.run(async (trx) => {
        await insertContact('a', '+14155550001')(trx);
        return ok('a');
      }),
      group.run(async (trx) => {
        await insertContact('refused', '+14155550002')(trx);
        return err(new AppError('VALIDATION_FAILED', 'no'));
      }),
      group.run(async (trx) => {
        await insertContact('c', '+14155550003')(trx);
        return ok('c');
      }),
    ]);
    expect(first).toEqual(ok('a'));
    expect(refused.ok).toBe(false);
    expect(last).toEqual(ok('c'));
    expect(await ids()).toEqual(['a', 'c']);
  });

  it('should throw to the request whose work failed (a unique key refused it) and commit the rest', async () => {
    const outcomes = await Promise.allSettled([
      group.run(async (trx) => {
        await insertContact('first', '+14155550009')(trx);
        return ok(1);
      }),
      group.run(async (trx) => {
        // Same phone: the unique index refuses it inside this request's savepoint.
        await insertContact('second', '+14155550009')(trx);
        return ok(2);
      }),
    ]);
    expect(outcomes[0]).toEqual({ status: 'fulfilled', value: ok(1) });
    expect(outcomes[1]!.status).toBe('rejected');
    expect(await ids()).toEqual(['first']);
  });
});

/** SQLite file, as `serve` runs it: the commit skips its fsync, which runs off the event loop before anyone is answered. */
describe('GroupTransaction committing off the event loop', () => {
  let handle: TestDatabase;
  beforeEach(async () => {
    handle = await createTestDatabase('sqlite');
  });
  afterEach(async () => {
    await handle.drop();
  });

  const { NORMAL, FULL } = SYNCHRONOUS;
  const level = () => synchronousOf(handle);
  const insert = (id: string) => async (trx: Parameters<Parameters<GroupTransaction['run']>[0]>[0]) => {
    await trx.insertInto('inbox_events').values({ id, received_at: 0, body: '{}', fields: '' }).execute();
  };
  const stored = async () => (await handle.db.selectFrom('inbox_events').select('id').orderBy('id').execute()).map((r) => r.id);

  it('answers only once the fsync is done; the commit itself ran at synchronous=NORMAL and FULL is back', async () => {
    let releaseSync: () => void = () => undefined;
    const syncs: number[] = [];
    // commitThenSyncOffLoop with a disk that answers when the test says so.
    const group = new GroupTransaction(handle.db, {
      commitOffLoop: async (work) => {
        const outcomes = await handle.withoutCommitFsync!(work);
        syncs.push(level());
        await new Promise<void>((resolve) => (releaseSync = resolve));
        return outcomes;
      },
    });
    const levels: number[] = [];
    let answered = false;
    const request = group
      .run(async (trx) => {
        levels.push(level());
        await insert('a')(trx);
        return ok('a');
      })
      .then((result) => {
        answered = true;
        return result;
      });
    while (syncs.length === 0) await new Promise((r) => setTimeout(r, 1));
    // Committed (visible to others) but not answered while the disk works.
    expect(await stored()).toEqual(['a']);
    await new Promise((r) => setTimeout(r, 20));
    expect(answered).toBe(false);
    releaseSync();
    expect(await request).toEqual(ok('a'));
    expect({ levels, syncs, now: level() }).toEqual({ levels: [NORMAL], syncs: [FULL], now: FULL });
  });

  it("gives every request of the group the fsync's error", async () => {
    const group = new GroupTransaction(handle.db, {
      commitOffLoop: async (work) => {
        await handle.withoutCommitFsync!(work);
        throw new Error('EIO: the disk failed');
      },
    });
    const outcomes = await Promise.allSettled(['a', 'b'].map((id) => group.run(async (trx) => (await insert(id)(trx), ok(id)))));
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(level()).toBe(FULL);
  });

  it('with the real commitThenSyncOffLoop: concurrent requests commit and are answered', async () => {
    const group = new GroupTransaction(handle.db, { commitOffLoop: handle.commitThenSyncOffLoop! });
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => group.run(async (trx) => (await insert(`r${String(i).padStart(2, '0')}`)(trx), ok(i)))));
    expect(results).toEqual(Array.from({ length: 30 }, (_, i) => ok(i)));
    expect(await stored()).toHaveLength(30);
  });
});
