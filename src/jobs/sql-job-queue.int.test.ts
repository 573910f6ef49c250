import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestDatabase, DIALECTS, SYNCHRONOUS, synchronousOf, type TestDatabase } from '../../test/support/test-databases.js';
import { connectDatabase } from '../db/connect.js';
import { ManualClock } from '../platform/clock.js';
import { uuidGenerator } from '../platform/ids.js';
import { createLogger } from '../platform/logger.js';
import { deadLetterRepository } from './dead-letter.repository.js';
import type { JobDefinition } from './job-definition.js';
import { SqlJobQueue } from './sql-job-queue.js';
import { MAX_GIVE_WAY_MS, Worker, type WorkerOptions } from './worker.js';

const log = createLogger('silent');
/**
 * For tests that count jobs per batch: a batch also ends once it has run past its time budget
 * (20 ms by default), which a loaded machine reaches in a few jobs, so these set one it cannot.
 */
const UNTIMED_BATCHES = { batchBudgetMs: 3_600_000 } as const;

describe.each(DIALECTS)('job queue on %s', (dialect) => {
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
    await database.db.deleteFrom('dead_letters').execute();
    await database.db.deleteFrom('jobs').execute();
    await database.db.deleteFrom('inbox_events').execute();
    clock = new ManualClock(1_000_000);
    queue = new SqlJobQueue(database.db, database.dialect, clock, uuidGenerator, 3);
  });

  /** A job whose handler writes an inbox row (a visible effect) and can be told to fail. */
  function recordingJob(failFor: Set<string> = new Set()): JobDefinition<z.ZodObject<{ key: z.ZodString }>> {
    return {
      name: 'test.record',
      payload: z.object({ key: z.string() }),
      async handle({ key }, { trx }) {
        await trx.insertInto('inbox_events').values({ id: key, received_at: 0, body: '{}', fields: '' }).execute();
        if (failFor.has(key)) throw new Error(`failing ${key}`);
      },
    };
  }

  // Untimed: a test may count what one batch ran (a failed job's batch neighbours, with `runOnce`).
  const worker = (definitions: JobDefinition[], q = queue) =>
    new Worker(q, definitions, { batchSize: 50, ...UNTIMED_BATCHES, pollIntervalMs: 10, clock, log, random: () => 0.5 });
  /** Waits (at most 5 s) until `done` answers true; the assertions after it say what was expected. */
  const until = async (done: () => Promise<boolean>) => {
    const deadline = Date.now() + 5_000;
    while (!(await done()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  };
  const effects = async () => (await database.db.selectFrom('inbox_events').select('id').orderBy('id').execute()).map((r) => r.id);
  const jobs = () => database.db.selectFrom('jobs').selectAll().orderBy('created_at').execute();

  it('runs an enqueued job once and marks it done', async () => {
    await queue.enqueue(database.db, [{ name: 'test.record', payload: { key: 'a' } }]);
    expect(await worker([recordingJob()]).drain()).toBe(1);
    expect(await effects()).toEqual(['a']);
    expect((await jobs()).map((j) => j.state)).toEqual(['done']);
    expect(await worker([recordingJob()]).drain()).toBe(0);
  });

  it('ignores a second job with the same dedupe key, even after the first is done', async () => {
    await queue.enqueue(database.db, [{ name: 'test.record', payload: { key: 'a' }, dedupeKey: 'k' }]);
    await queue.enqueue(database.db, [{ name: 'test.record', payload: { key: 'b' }, dedupeKey: 'k' }]);
    await worker([recordingJob()]).drain();
    await queue.enqueue(database.db, [{ name: 'test.record', payload: { key: 'c' }, dedupeKey: 'k' }]);
    await worker([recordingJob()]).drain();
    expect(await effects()).toEqual(['a']);
  });

  it('enqueues nothing when the transaction that enqueued rolls back', async () => {
    await expect(
      database.db.transaction().execute(async (trx) => {
        await queue.enqueue(trx, [{ name: 'test.record', payload: { key: 'a' } }]);
        throw new Error('the causing change failed');
      }),
    ).rejects.toThrow();
    expect(await jobs()).toEqual([]);
  });

  it("undoes a failed job's writes without undoing the other jobs of its batch", async () => {
    await queue.enqueue(database.db, ['a', 'b', 'c'].map((key) => ({ name: 'test.record', payload: { key } })));
    await worker([recordingJob(new Set(['b']))]).runOnce();
    expect(await effects()).toEqual(['a', 'c']);
    const failed = (await jobs()).find((j) => j.payload.includes('"b"'))!;
    expect(failed.state).toBe('pending');
    expect(failed.attempts).toBe(1);
    expect(failed.last_error).toContain('failing b');
  });

  it('retries a failed job only after its backoff, then dead-letters it when attempts run out', async () => {
    await queue.enqueue(database.db, [{ name: 'test.record', payload: { key: 'x' } }]);
    const failing = worker([recordingJob(new Set(['x']))]);
    expect(await failing.drain()).toBe(1);
    expect(await failing.drain()).toBe(0); // not due yet
    const [job] = await jobs();
    expect(job!.run_at).toBeGreaterThan(clock.now());
    clock.advance(60_000);
    expect(await failing.drain()).toBe(1);
    clock.advance(60_000);
    expect(await failing.drain()).toBe(1);
    const [dead] = await jobs();
    expect(dead!.state).toBe('dead');
    expect(dead!.attempts).toBe(3);
    const letters = await deadLetterRepository.list(database.db, { includeReplayed: false, limit: 10 });
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ source: 'job', job_id: dead!.id, job_name: 'test.record', code: 'JOB_FAILED' });
  });

  it('dead-letters a job whose payload does not match its schema without retrying', async () => {
    await queue.enqueue(database.db, [{ name: 'test.record', payload: { wrong: true } }]);
    await worker([recordingJob()]).drain();
    expect((await jobs())[0]!.state).toBe('dead');
    expect(await deadLetterRepository.count(database.db)).toBe(1);
  });

  it('revives a dead job with fresh attempts', async () => {
    await queue.enqueue(database.db, [{ name: 'test.record', payload: { key: 'x' } }]);
    const failFor = new Set(['x']);
    const w = worker([recordingJob(failFor)]);
    for (let i = 0; i < 3; i++) {
      await w.drain();
      clock.advance(120_000);
    }
    const [dead] = await jobs();
    expect(dead!.state).toBe('dead');
    failFor.clear();
    expect(await queue.revive(database.db, dead!.id)).toBe(true);
    expect(await queue.revive(database.db, dead!.id)).toBe(false);
    await w.drain();
    expect((await jobs())[0]!.state).toBe('done');
    expect(await effects()).toEqual(['x']);
  });

  it('reports the jobs due, those waiting for a later time, dead jobs and the age of the oldest due job', async () => {
    await queue.enqueue(database.db, [
      { name: 'test.record', payload: { key: 'a' } },
      { name: 'test.record', payload: { key: 'b' }, runAt: clock.now() + 10_000 },
    ]);
    clock.advance(2_500);
    expect(await queue.stats()).toEqual({ pending: 1, scheduled: 1, running: 0, dead: 0, oldestDueAgeMs: 2_500 });
    clock.advance(10_000);
    expect(await queue.stats()).toMatchObject({ pending: 2, scheduled: 0 });
  });

  it('ends a batch after the job in progress when asked to make way, and the next batch carries on', async () => {
    await queue.enqueue(database.db, ['a', 'b', 'c', 'd'].map((key) => ({ name: 'test.record', payload: { key } })));
    let asked = 0;
    // Someone is waiting for the connection once the second job has run.
    const w = new Worker(queue, [recordingJob()], { batchSize: 50, ...UNTIMED_BATCHES, pollIntervalMs: 10, clock, log, shouldYield: () => ++asked >= 2 });
    expect(await w.runOnce()).toBe(2);
    expect(await effects()).toHaveLength(2);
    expect((await jobs()).map((j) => j.state).sort()).toEqual(['done', 'done', 'pending', 'pending']);
    // A batch always does at least one job, so a waiting writer cannot stall the queue.
    expect(await w.runOnce()).toBe(1);
    expect(await w.drain()).toBe(1);
    expect(await effects()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('claims fewer jobs after batches are cut short, and more again as they run whole', async () => {
    await queue.enqueue(database.db, Array.from({ length: 40 }, (_, i) => ({ name: 'test.record', payload: { key: `k${String(i).padStart(2, '0')}` } })));
    const limits: number[] = [];
    const runBatch = queue.runBatch.bind(queue);
    queue.runBatch = (limit, ...rest) => {
      limits.push(limit);
      return runBatch(limit, ...rest);
    };
    let busy = true;
    const w = new Worker(queue, [recordingJob()], { batchSize: 16, ...UNTIMED_BATCHES, pollIntervalMs: 10, clock, log, shouldYield: () => busy });
    for (let i = 0; i < 3; i++) await w.runOnce();
    busy = false;
    await w.drain();
    // 16 claimed, 1 run; then twice what got through (at least 4); then doubling back to 16.
    expect(limits).toEqual([16, 4, 4, 4, 8, 16, 16, 16]);
    expect(await effects()).toHaveLength(40);
  });

  it('runs each batch on the connection the worker is given (SQLite: commits without fsync)', async () => {
    await queue.enqueue(database.db, ['a', 'b'].map((key) => ({ name: 'test.record', payload: { key } })));
    const batches: number[] = [];
    const batchConnection = <T,>(work: (db: typeof database.db) => Promise<T>) =>
      database.withoutCommitFsync ? database.withoutCommitFsync(work) : work(database.db);
    const w = new Worker(queue, [recordingJob()], {
      batchSize: 50,
      ...UNTIMED_BATCHES,
      pollIntervalMs: 10,
      clock,
      log,
      batchConnection: async (work) => {
        const result = await batchConnection(work);
        batches.push(typeof result === 'number' ? result : -1);
        return result;
      },
    });
    expect(await w.drain()).toBe(2);
    expect(batches).toEqual([2, 0]);
    expect(await effects()).toEqual(['a', 'b']);
    expect((await jobs()).map((j) => j.state)).toEqual(['done', 'done']);
    if (database.sqlite) expect(synchronousOf(database)).toBe(SYNCHRONOUS.FULL);
  });

  describe('giving way to foreground work', () => {
    /** A job that keeps the CPU busy for 2 ms, like a handler with real work to do. */
    const slowJob = (): JobDefinition => {
      const record = recordingJob();
      return {
        ...record,
        async handle(payload, context) {
          const busyUntil = performance.now() + 2;
          while (performance.now() < busyUntil);
          await record.handle(payload as { key: string }, context);
        },
      };
    };
    /** Records every batch: how many jobs it ran, and when it started and ended. */
    const timedQueue = () => {
      const timed = new SqlJobQueue(database.db, database.dialect, clock, uuidGenerator, 3);
      const batches: { ran: number; start: number; end: number }[] = [];
      const runBatch = timed.runBatch.bind(timed);
      timed.runBatch = async (...args) => {
        const start = performance.now();
        const ran = await runBatch(...args);
        batches.push({ ran, start, end: performance.now() });
        return ran;
      };
      return { timed, batches };
    };
    const givingWayWorker = (q: SqlJobQueue, yieldTo: NonNullable<WorkerOptions['yieldTo']>) =>
      new Worker(q, [slowJob()], { batchSize: 50, batchBudgetMs: 1_000, pollIntervalMs: 60_000, clock, log, yieldTo });
    const twelveJobs = (q: SqlJobQueue) => q.enqueue(database.db, Array.from({ length: 12 }, (_, i) => ({ name: 'test.record', payload: { key: `k${String(i).padStart(2, '0')}` } })));

    it('while the rest of the process keeps the event loop busy, runs short batches and leaves it the rest of the time', async () => {
      const { timed, batches } = timedQueue();
      await twelveJobs(timed);
      const told: number[] = [];
      // The rest of the process keeps the event loop busy throughout.
      const contended = (ownBusyMs: number) => {
        told.push(ownBusyMs);
        return true;
      };
      const w = givingWayWorker(timed, { contended, share: 0.25, sliceMs: 3 });
      w.start();
      try {
        await until(async () => (await effects()).length === 12);
      } finally {
        await w.stop();
      }
      expect(await effects()).toHaveLength(12);
      const working = batches.filter((b) => b.ran > 0);
      // A 3 ms slice fits at most two 2 ms jobs.
      expect(Math.max(...working.map((b) => b.ran))).toBeLessThanOrEqual(2);
      // Each round tells the probe how long the one before it ran, so its own work is not taken for contention.
      expect(told[0]).toBe(0);
      expect(told[1]).toBeGreaterThanOrEqual(2);
      // After each cut batch the loop waits three times as long as its round took (a 25% share),
      // up to the cap. The round's length is the worker's own measure, which it tells the probe at
      // the next round: timed from here, a batch on a loaded machine looks longer than it was. At
      // least half of that wait: a timer counts from the event loop's clock, which is as old as the
      // loop's current turn, so on a busy machine it fires a few ms early by this clock.
      for (const [i, batch] of working.slice(0, -1).entries()) {
        const wait = Math.min(MAX_GIVE_WAY_MS, 3 * told[i + 1]!);
        expect(working[i + 1]!.start - batch.end).toBeGreaterThanOrEqual(wait / 2);
      }
    });

    it('with the event loop not contended, drains at full speed', async () => {
      const { timed, batches } = timedQueue();
      await twelveJobs(timed);
      const w = givingWayWorker(timed, { contended: () => false, share: 0.25, sliceMs: 3 });
      expect(await w.drain()).toBe(12);
      expect(batches.map((b) => b.ran)).toEqual([12, 0]);
    });
  });

  it('wakes a running worker when a job is enqueued', async () => {
    const w = new Worker(queue, [recordingJob()], { batchSize: 10, pollIntervalMs: 60_000, clock, log });
    w.start();
    try {
      await queue.enqueue(database.db, [{ name: 'test.record', payload: { key: 'woken' } }]);
      queue.notify();
      const deadline = Date.now() + 5_000;
      while ((await effects()).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(await effects()).toEqual(['woken']);
    } finally {
      await w.stop();
    }
  });

  describe('wake-ups', () => {
    /** A lease job that records its runs; with a poll of a minute, only a wake-up can run it soon. */
    const leaseRecorder = (runs: string[]): JobDefinition => ({
      name: 'test.leased-wake',
      mode: 'lease',
      payload: z.object({ key: z.string() }),
      async handle(payload) {
        runs.push((payload as { key: string }).key);
      },
    });
    const countingQueue = () => {
      const counted = new SqlJobQueue(database.db, database.dialect, clock, uuidGenerator, 3);
      const calls = { batches: [] as number[], leaseClaims: 0 };
      const runBatch = counted.runBatch.bind(counted);
      counted.runBatch = async (...args) => {
        const ran = await runBatch(...args);
        calls.batches.push(ran);
        return ran;
      };
      const claimLeased = counted.claimLeased.bind(counted);
      counted.claimLeased = async (...args) => {
        calls.leaseClaims++;
        return claimLeased(...args);
      };
      return { counted, calls };
    };

    it('a burst of jobs is one batch, without a claim that finds nothing after it, and does not wake the lease loop', async () => {
      const { counted, calls } = countingQueue();
      const w = new Worker(counted, [recordingJob(), leaseRecorder([])], { batchSize: 10, ...UNTIMED_BATCHES, pollIntervalMs: 60_000, clock, log });
      w.start();
      try {
        await until(async () => calls.batches.length === 1 && calls.leaseClaims === 1);
        expect(calls).toEqual({ batches: [0], leaseClaims: 1 });
        await counted.enqueue(database.db, ['a', 'b', 'c'].map((key) => ({ name: 'test.record', payload: { key } })));
        counted.notify();
        await until(async () => (await effects()).length === 3);
        await new Promise((r) => setTimeout(r, 50));
        expect(calls).toEqual({ batches: [0, 3], leaseClaims: 1 });
      } finally {
        await w.stop();
      }
    });

    it("runs the lease jobs that a batch's handlers enqueue at once, not at the next poll", async () => {
      const runs: string[] = [];
      const { counted } = countingQueue();
      // Two steps, so that the lease job is enqueued by a batch that nobody notified about.
      const step = (name: string, next: string): JobDefinition => ({
        name,
        payload: z.object({ key: z.string() }),
        async handle(payload, { trx }) {
          await counted.enqueue(trx, [{ name: next, payload }]);
        },
      });
      const definitions = [step('test.fan-out', 'test.fan-out-2'), step('test.fan-out-2', 'test.leased-wake'), leaseRecorder(runs)];
      const w = new Worker(counted, definitions, { batchSize: 10, pollIntervalMs: 60_000, clock, log });
      w.start();
      try {
        await counted.enqueue(database.db, [{ name: 'test.fan-out', payload: { key: 'x' } }]);
        counted.notify();
        await until(async () => runs.length === 1);
        expect(runs).toEqual(['x']);
      } finally {
        await w.stop();
      }
    });

    it('wakes every loop when told of work it did not enqueue (a revived dead letter)', async () => {
      const runs: string[] = [];
      const w = new Worker(queue, [recordingJob(), leaseRecorder(runs)], { batchSize: 10, pollIntervalMs: 60_000, clock, log });
      w.start();
      try {
        // Written by another process: this queue has nothing to announce.
        const other = new SqlJobQueue(database.db, database.dialect, clock, uuidGenerator, 3);
        await other.enqueue(database.db, [
          { name: 'test.record', payload: { key: 'r' } },
          { name: 'test.leased-wake', payload: { key: 'l' } },
        ]);
        queue.notify();
        await until(async () => runs.length === 1 && (await effects()).length === 1);
        expect({ runs, effects: await effects() }).toEqual({ runs: ['l'], effects: ['r'] });
      } finally {
        await w.stop();
      }
    });
  });

  describe('lease jobs', () => {
    /** A job that runs outside a transaction (as a download would) and records its runs. */
    function leasedJob(runs: string[], failFor: Set<string> = new Set()): JobDefinition<z.ZodObject<{ key: z.ZodString }>> {
      return {
        name: 'test.leased',
        mode: 'lease',
        leaseMs: 30_000,
        payload: z.object({ key: z.string() }),
        async handle({ key }, { trx }) {
          runs.push(key);
          // Not a transaction: what it writes stays even if the job fails afterwards.
          await trx.insertInto('inbox_events').values({ id: `${key}-${runs.length}`, received_at: 0, body: '{}', fields: '' }).execute();
          if (failFor.has(key)) throw new Error(`failing ${key}`);
        },
      };
    }

    it('runs a lease job outside a transaction and marks it done', async () => {
      const runs: string[] = [];
      await queue.enqueue(database.db, [{ name: 'test.leased', payload: { key: 'a' } }]);
      expect(await worker([leasedJob(runs)]).drain()).toBe(1);
      expect(runs).toEqual(['a']);
      expect((await jobs()).map((j) => [j.state, j.locked_until])).toEqual([['done', null]]);
    });

    it('retries a failed lease job after its backoff', async () => {
      const runs: string[] = [];
      const failFor = new Set(['a']);
      await queue.enqueue(database.db, [{ name: 'test.leased', payload: { key: 'a' } }]);
      const w = worker([leasedJob(runs, failFor)]);
      await w.drain();
      expect((await jobs())[0]).toMatchObject({ state: 'pending', attempts: 1 });
      failFor.clear();
      clock.advance(60_000);
      await w.drain();
      expect(runs).toEqual(['a', 'a']);
      expect((await jobs())[0]!.state).toBe('done');
    });

    it('claims a lease job again once the lease of a dead process expires, and not before', async () => {
      await queue.enqueue(database.db, [{ name: 'test.leased', payload: { key: 'a' } }]);
      // A process claims it and dies without settling.
      expect(await queue.claimLeased(10, ['test.leased'], 30_000)).toHaveLength(1);
      const runs: string[] = [];
      expect(await worker([leasedJob(runs)]).drain()).toBe(0);
      clock.advance(30_001);
      expect(await worker([leasedJob(runs)]).drain()).toBe(1);
      expect(runs).toEqual(['a']);
    });

    it('runs transaction and lease jobs side by side', async () => {
      const runs: string[] = [];
      await queue.enqueue(database.db, [
        { name: 'test.leased', payload: { key: 'l' } },
        { name: 'test.record', payload: { key: 't' } },
      ]);
      expect(await worker([leasedJob(runs), recordingJob()]).drain()).toBe(2);
      expect(runs).toEqual(['l']);
      expect(await effects()).toEqual(['l-1', 't']);
    });

    it('keeps running transaction jobs while a slow lease job waits on another system', async () => {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const slow: JobDefinition<z.ZodObject<{ key: z.ZodString }>> = {
        name: 'test.slow',
        mode: 'lease',
        payload: z.object({ key: z.string() }),
        handle: () => released,
      };
      const w = new Worker(queue, [slow, recordingJob()], { batchSize: 10, pollIntervalMs: 20, clock, log });
      await queue.enqueue(database.db, [{ name: 'test.slow', payload: { key: 'crm' } }]);
      w.start();
      try {
        await queue.enqueue(database.db, [{ name: 'test.record', payload: { key: 'inbound' } }]);
        const deadline = Date.now() + 5_000;
        while ((await effects()).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        expect(await effects()).toEqual(['inbound']);
        expect((await jobs()).find((j) => j.name === 'test.slow')?.state).toBe('running');
      } finally {
        release();
        await w.stop();
      }
      // Stopping waited for the lease job: its outcome is recorded.
      expect((await jobs()).find((j) => j.name === 'test.slow')?.state).toBe('done');
    });
  });

  it.runIf(dialect === 'postgres')('lets workers in separate connections share the work without running a job twice', async () => {
    const keys = Array.from({ length: 200 }, (_, i) => `k${String(i).padStart(3, '0')}`);
    await queue.enqueue(database.db, keys.map((key) => ({ name: 'test.record', payload: { key } })));
    const others = [connectDatabase(database.url), connectDatabase(database.url)];
    try {
      const queues = others.map((h) => new SqlJobQueue(h.db, h.dialect, clock, uuidGenerator, 3));
      // A slow handler keeps each batch's row locks held while the other worker claims.
      const slow: JobDefinition<z.ZodObject<{ key: z.ZodString }>> = {
        ...recordingJob(),
        async handle(payload, ctx) {
          await new Promise((r) => setTimeout(r, 1));
          await recordingJob().handle(payload, ctx);
        },
      };
      const counts = await Promise.all(
        queues.map((q) => new Worker(q, [slow], { batchSize: 20, pollIntervalMs: 10, clock, log }).drain()),
      );
      expect(counts[0]! + counts[1]!).toBe(200);
      expect(counts[0]).toBeGreaterThan(0);
      expect(counts[1]).toBeGreaterThan(0);
      expect(await effects()).toEqual(keys);
    } finally {
      await Promise.all(others.map((h) => h.close()));
    }
  });
});
