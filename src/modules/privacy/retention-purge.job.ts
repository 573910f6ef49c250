import { z } from 'zod';
import type { Db, DbExecutor } from '../../db/database.js';
import type { JobDefinition, NewJob } from '../../jobs/job-definition.js';
import { nextPeriodicRun, periodicRun } from '../../jobs/periodic-run.js';
import type { Clock } from '../../platform/clock.js';
import type { MediaStore } from '../media/index.js';
import { purgeOlderThan } from './purge-older-than.js';

export const RETENTION_PURGE = 'privacy.retention_purge';
const DAY_MS = 24 * 60 * 60 * 1000;

const Payload = z.object({});

/** The run of the purge for the period that contains `at` (see periodicRun). */
export function retentionPurgeRun(at: number, intervalMs = DAY_MS, runAt = at): NewJob {
  return periodicRun(RETENTION_PURGE, at, intervalMs, runAt);
}

/** Call once at start (any process): enqueues this period's purge unless it already ran or waits. */
export async function scheduleRetentionPurge(
  exec: DbExecutor,
  enqueue: (exec: DbExecutor, jobs: NewJob[]) => Promise<void>,
  now: number,
  intervalMs = DAY_MS,
): Promise<void> {
  await enqueue(exec, [retentionPurgeRun(now, intervalMs)]);
}

export type RetentionPurgeDeps = {
  db: Db;
  store: MediaStore;
  clock: Clock;
  /** The retention setting, in days. */
  days: number;
  enqueue: (exec: DbExecutor, jobs: NewJob[]) => Promise<void>;
  intervalMs?: number;
};

/**
 * The periodic retention purge. A lease job: it runs its own transaction (the purge), deletes the
 * files only after that commits, and enqueues the next period's run in the same transaction as
 * the purge, so the chain cannot break on a crash. Runs again (harmlessly) if its process dies.
 */
export function retentionPurgeJob(deps: RetentionPurgeDeps): JobDefinition<typeof Payload> {
  const intervalMs = deps.intervalMs ?? DAY_MS;
  return {
    name: RETENTION_PURGE,
    mode: 'lease',
    leaseMs: 30 * 60_000,
    payload: Payload,
    retry: { baseDelayMs: 60_000, maxDelayMs: 60 * 60_000 },
    async handle(_payload, { log }) {
      const now = deps.clock.now();
      const purge = await deps.db.transaction().execute(async (trx) => {
        const result = await purgeOlderThan(trx, { days: deps.days, now }, deps.store);
        await deps.enqueue(trx, [nextPeriodicRun(RETENTION_PURGE, now, intervalMs)]);
        return result;
      });
      const files = await purge.removeFiles(deps.db);
      const { filesToDelete: _paths, ...counts } = purge.report;
      log.info({ ...counts, filesRemoved: files.removed.length, filesFailed: files.failed.length }, 'retention purge done');
      if (files.failed.length > 0) log.warn({ failed: files.failed }, 'retention purge could not delete some media files');
    },
  };
}
