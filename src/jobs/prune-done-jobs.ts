import { z } from 'zod';
import type { Db, DbExecutor } from '../db/database.js';
import type { Clock } from '../platform/clock.js';
import type { JobDefinition, NewJob } from './job-definition.js';
import { nextPeriodicRun, periodicRun } from './periodic-run.js';

/**
 * Finished jobs are kept for a while (their dedupe keys turn away a late duplicate, and they show
 * what ran) and then deleted: every message leaves one or more, and without this the table, its
 * indexes and the copies of events in their payloads would only grow. Dead jobs stay: they are
 * the dead-letter list's.
 */
export const PRUNE_DONE_JOBS = 'jobs.prune_done';
const HOUR_MS = 60 * 60 * 1000;
/** Rows per delete: short transactions, so webhooks never wait long for SQLite's connection. */
const BATCH = 2_000;

/** The run for the period that contains `at` (see periodicRun). */
export function pruneDoneJobsRun(at: number, intervalMs = HOUR_MS, runAt = at): NewJob {
  return periodicRun(PRUNE_DONE_JOBS, at, intervalMs, runAt);
}

/** Deletes done jobs that finished before `cutoff`, a batch per statement; returns how many. */
export async function pruneDoneJobs(db: Db, cutoff: number, batch = BATCH): Promise<number> {
  let total = 0;
  for (;;) {
    // run_at ≤ updated_at for a done job: the index on (state, run_at) narrows, updated_at decides.
    const ids = db.selectFrom('jobs').select('id').where('state', '=', 'done').where('run_at', '<', cutoff).where('updated_at', '<', cutoff).limit(batch);
    const deleted = Number((await db.deleteFrom('jobs').where('id', 'in', ids).executeTakeFirst()).numDeletedRows);
    total += deleted;
    if (deleted < batch) return total;
  }
}

export type PruneDoneJobsDeps = {
  db: Db;
  clock: Clock;
  /** How long a finished job is kept (JOB_KEEP_DONE_HOURS). Must exceed `intervalMs`. */
  keepMs: number;
  enqueue: (exec: DbExecutor, jobs: NewJob[]) => Promise<void>;
  intervalMs?: number;
};

/**
 * The periodic prune, a lease job (its deletes are transactions of their own). Its next run is
 * enqueued before it starts deleting, so the chain survives a crash; the run it replaces is kept
 * by `keepMs` > `intervalMs`, so a process started in the same period does not enqueue it again.
 */
export function pruneDoneJobsJob(deps: PruneDoneJobsDeps): JobDefinition<z.ZodObject<Record<string, never>>> {
  const intervalMs = deps.intervalMs ?? HOUR_MS;
  if (deps.keepMs <= intervalMs) throw new RangeError('finished jobs must be kept longer than the prune interval');
  return {
    name: PRUNE_DONE_JOBS,
    mode: 'lease',
    leaseMs: 30 * 60_000,
    payload: z.object({}),
    retry: { baseDelayMs: 60_000, maxDelayMs: HOUR_MS },
    async handle(_payload, { log }) {
      const now = deps.clock.now();
      await deps.enqueue(deps.db, [nextPeriodicRun(PRUNE_DONE_JOBS, now, intervalMs)]);
      const deleted = await pruneDoneJobs(deps.db, now - deps.keepMs);
      if (deleted > 0) log.info({ deleted }, 'finished jobs pruned');
    },
  };
}
