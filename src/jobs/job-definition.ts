import type { z } from 'zod';
import type { DbExecutor } from '../db/database.js';
import type { Logger } from '../platform/logger.js';
import type { RetryPolicy } from './retry-schedule.js';

/**
 * What a handler gets besides its payload. In a `transaction` job, effects written through `trx`
 * commit with the job's completion; in a `lease` job `trx` is the database itself.
 */
export type JobContext = {
  trx: DbExecutor;
  jobId: string;
  attempt: number;
  log: Logger;
};

/**
 * A job is a definition: a name, a payload schema, a retry policy and a handler.
 * Handlers must be idempotent: a job may run again after a crash before its commit.
 */
export type JobDefinition<S extends z.ZodType = z.ZodType> = {
  name: string;
  payload: S;
  /**
   * `transaction` (default): runs inside the batch's transaction; for jobs that only touch the
   * database. `lease`: claimed under a lease and run outside any transaction, for jobs that call
   * other systems (a download, an HTTP API) and must not hold the database while they wait.
   * A lease job whose process dies runs again once the lease expires.
   */
  mode?: 'transaction' | 'lease';
  /** How long a lease job may run before it is presumed dead (default 5 minutes). */
  leaseMs?: number;
  retry?: Partial<RetryPolicy>;
  handle(payload: z.infer<S>, ctx: JobContext): Promise<void>;
};

/** A job to enqueue. `dedupeKey` makes enqueueing idempotent: a second job with the same key is ignored. */
export type NewJob = {
  name: string;
  payload: unknown;
  dedupeKey?: string;
  /**
   * Jobs that a handler must take in order relative to each other (one contact's events) share
   * it, and the handler finds the earlier ones still waiting through an index on (name, key).
   */
  orderingKey?: string;
  runAt?: number;
  maxAttempts?: number;
};

/**
 * Thrown by a handler when retrying cannot help (a missing credential, a record that is gone):
 * the job is dead-lettered at once, to be replayed once the cause is fixed.
 */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError';
}
