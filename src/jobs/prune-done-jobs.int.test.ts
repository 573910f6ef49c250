import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../test/support/test-databases.js';
import { ManualClock } from '../platform/clock.js';
import { uuidGenerator } from '../platform/ids.js';
import { createLogger } from '../platform/logger.js';
import { PRUNE_DONE_JOBS, pruneDoneJobs, pruneDoneJobsJob, pruneDoneJobsRun } from './prune-done-jobs.js';
import { SqlJobQueue } from './sql-job-queue.js';
import { Worker } from './worker.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 26, 12, 0);

describe.each(DIALECTS)('pruning finished jobs on %s', (dialect) => {
  let database: TestDatabase;
  let clock: ManualClock;
  let queue: SqlJobQueue;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await database.drop();
  });
  beforeEach(async () => {
    await database.db.deleteFrom('jobs').execute();
    clock = new ManualClock(T0);
    queue = new SqlJobQueue(database.db, database.dialect, clock, uuidGenerator, 3);
  });

  const job = (id: string, state: 'done' | 'dead' | 'pending', at: number) => ({
    id, name: 'test.any', payload: '{}', dedupe_key: id, state, attempts: 1, max_attempts: 3, run_at: at, last_error: null, locked_until: null, ordering_key: null, created_at: at, updated_at: at,
  });
  const ids = async () => (await database.db.selectFrom('jobs').select('id').orderBy('id').execute()).map((r) => r.id);

  it('deletes finished jobs older than the cutoff, batch after batch, and keeps recent, dead and waiting ones', async () => {
    const old = T0 - 10 * HOUR;
    await database.db.insertInto('jobs').values([
      ...['d1', 'd2', 'd3', 'd4', 'd5'].map((id) => job(id, 'done', old)),
      job('recent', 'done', T0 - HOUR),
      job('dead', 'dead', old),
      job('waiting', 'pending', old),
    ]).execute();
    expect(await pruneDoneJobs(database.db, T0 - 2 * HOUR, 2)).toBe(5);
    expect(await ids()).toEqual(['dead', 'recent', 'waiting']);
    expect(await pruneDoneJobs(database.db, T0 - 2 * HOUR, 2)).toBe(0);
  });

  it('runs hourly: each run enqueues the next period\'s before pruning, and a second start in the period adds nothing', async () => {
    const enqueue = (exec: Parameters<SqlJobQueue['enqueue']>[0], jobs: Parameters<SqlJobQueue['enqueue']>[1]) => queue.enqueue(exec, jobs);
    const definition = pruneDoneJobsJob({ db: database.db, clock, keepMs: 2 * HOUR, enqueue });
    await database.db.insertInto('jobs').values(job('ancient', 'done', T0 - 5 * HOUR)).execute();
    await enqueue(database.db, [pruneDoneJobsRun(clock.now())]);
    await enqueue(database.db, [pruneDoneJobsRun(clock.now() + 60_000)]);
    const worker = new Worker(queue, [definition], { batchSize: 10, pollIntervalMs: 10, clock, log: createLogger('silent') });
    await worker.drain();

    const runs = await database.db.selectFrom('jobs').select(['state', 'run_at']).where('name', '=', PRUNE_DONE_JOBS).orderBy('run_at').execute();
    expect(runs).toEqual([
      { state: 'done', run_at: T0 },
      { state: 'pending', run_at: T0 + HOUR },
    ]);
    expect(await ids()).not.toContain('ancient');
    expect(await queue.stats()).toMatchObject({ pending: 0, scheduled: 1 });
  });

  it('refuses to keep finished jobs for less than the interval (the next run\'s dedupe key would be gone)', () => {
    expect(() => pruneDoneJobsJob({ db: database.db, clock, keepMs: HOUR, enqueue: async () => {} })).toThrow(RangeError);
  });
});
