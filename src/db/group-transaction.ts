import type { Transaction } from 'kysely';
import { GroupCommitter } from '../platform/group-commit.js';
import type { Result } from '../platform/errors.js';
import type { Database, Db } from './database.js';

type Work = (trx: Transaction<Database>) => Promise<Result<unknown, unknown>>;
type Outcome = { threw: false; result: Result<unknown, unknown> } | { threw: true; error: unknown };

/**
 * Runs the transactions of concurrent requests as one: each request's work in its own savepoint,
 * one commit (one fsync) for all. Under load the commit, not the work, is what a durable write
 * costs, so sharing it is what lets the API accept messages as fast as the sender sends them.
 *
 * Same contract as `inTransaction`: a work that returns an error, or throws, is rolled back to its
 * savepoint and changes nothing; the others commit. Should the commit itself fail, every request
 * of the group gets the error, and none of them changed anything.
 */
export type GroupTransactionOptions = {
  maxGroupSize?: number;
  /**
   * SQLite: runs each group through `DatabaseHandle.commitThenSyncOffLoop` (the commit skips its
   * fsync; the WAL is fsynced on the thread pool before any request is answered). As durable as
   * a synchronous commit when the answers go out, but the event loop keeps serving while the
   * disk works, instead of sitting in the commit's fsync. Should the fsync fail, every request of
   * the group gets the error, although its change is committed (the disk is failing; the webhook
   * path behaves the same).
   */
  commitOffLoop?: <T>(work: (db: Db) => Promise<T>) => Promise<T>;
};

export class GroupTransaction {
  private readonly committer: GroupCommitter<Work, Outcome>;

  constructor(
    private readonly db: Db,
    private readonly options: GroupTransactionOptions = {},
  ) {
    // Off the loop, the next group is written while the one before waits for its fsync (WalSync lets them share the next).
    this.committer = new GroupCommitter((works) => this.runGroup(works), { maxBatchSize: options.maxGroupSize ?? 256, maxInFlight: options.commitOffLoop ? 2 : 1 });
  }

  async run<T, E>(work: (trx: Transaction<Database>) => Promise<Result<T, E>>): Promise<Result<T, E>> {
    const outcome = await this.committer.submit(work as Work);
    if (outcome.threw) throw outcome.error;
    return outcome.result as Result<T, E>;
  }

  private async runGroup(works: Work[]): Promise<Outcome[]> {
    const offLoop = this.options.commitOffLoop;
    return offLoop ? offLoop((db) => this.runGroupOn(db, works)) : this.runGroupOn(this.db, works);
  }

  private async runGroupOn(db: Db, works: Work[]): Promise<Outcome[]> {
    const trx = await db.startTransaction().execute();
    const outcomes: Outcome[] = [];
    try {
      for (const [index, work] of works.entries()) {
        const name = `request_${index}`;
        const inner = await trx.savepoint(name).execute();
        try {
          const result = await work(inner);
          if (result.ok) await inner.releaseSavepoint(name).execute();
          else await inner.rollbackToSavepoint(name).execute();
          outcomes.push({ threw: false, result });
        } catch (error) {
          await inner.rollbackToSavepoint(name).execute();
          outcomes.push({ threw: true, error });
        }
      }
      await trx.commit().execute();
      return outcomes;
    } catch (error) {
      await trx.rollback().execute().catch(() => undefined);
      throw error;
    }
  }
}
