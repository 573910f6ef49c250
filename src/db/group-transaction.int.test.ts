import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../test/support/test-databases.js';
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
