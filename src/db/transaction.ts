import type { Transaction } from 'kysely';
import type { Result } from '../platform/errors.js';
import type { Database, Db } from './database.js';

class Rollback<T> extends Error {
  constructor(readonly result: T) {
    super('rolled back');
  }
}

/**
 * Runs `work` in a transaction that commits when it returns ok and rolls back when it returns an
 * error: a refused request changes nothing, not even the contact it looked up or created.
 */
export async function inTransaction<T, E>(db: Db, work: (trx: Transaction<Database>) => Promise<Result<T, E>>): Promise<Result<T, E>> {
  try {
    return await db.transaction().execute(async (trx) => {
      const result = await work(trx);
      if (!result.ok) throw new Rollback(result);
      return result;
    });
  } catch (error) {
    if (error instanceof Rollback) return error.result as Result<T, E>;
    throw error;
  }
}
