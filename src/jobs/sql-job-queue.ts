import { EventEmitter } from 'node:events';
import type { ControlledTransaction } from 'kysely';
import type { DialectName } from '../db/connect.js';
import type { Database, Db, DbExecutor, JobTable } from '../db/database.js';
import { lockForClaim, maxRowsPerInsert } from '../db/dialect.js';
import type { Clock } from '../platform/clock.js';
import type { IdGenerator } from '../platform/ids.js';
import type { NewJob } from './job-definition.js';

export type JobRow = JobTable;

export type QueueStats = {
  /** Jobs due and waiting to run. */
  pending: number;
  /** Jobs waiting for a later time: periodic runs, retries in their backoff, scheduled checks. */
  scheduled: number;
  /** Lease jobs being worked on. */
  running: number;
  dead: number;
  /** Age in ms of the oldest job that is due and not yet done (0 when none): the processing lag. */
  oldestDueAgeMs: number;
};

/** What becomes of a job whose handler failed. */
export type FailureOutcome = { kind: 'retry'; runAt: number; error: string } | { kind: 'dead'; error: string };

export type BatchRunner = {
  /** Runs the job; resolving means done, throwing means failed (its writes are rolled back). */
  run(trx: ControlledTransaction<Database>, job: JobRow): Promise<void>;
  /** Decides, after a failure, whether the job is retried later or dead-lettered. */
  onFailure(job: JobRow, error: unknown): FailureOutcome;
  /** Told after the commit, once per job completed. */
  onDone?(job: JobRow): void;
};

export type BatchOptions = {
  /** Time the batch may run before it commits what it has done (always at least one job). */
  budgetMs?: number;
  /** Asked between jobs: true ends the batch there. */
  shouldYield?: () => boolean;
  /** Runs the batch on a connection of its choosing (DatabaseHandle.withoutCommitFsync). */
  connection?: <T>(work: (db: Db) => Promise<T>) => Promise<T>;
  /** Told, after the commit, how many jobs the batch claimed and how many it ran. */
  onEnd?: (outcome: { claimed: number; processed: number }) => void;
};

/**
 * A durable job queue in the application's own database (SQLite or PostgreSQL), so that a job is
 * enqueued in the same transaction as the change that causes it.
 *
 * Claiming happens inside the transaction that runs the handlers: on PostgreSQL the claimed rows
 * are locked (`FOR UPDATE SKIP LOCKED`) until commit, so workers in other processes skip them; a
 * crash rolls everything back and the jobs are simply claimed again. Completion, effects and
 * failures of a whole batch commit together: one fsync per batch, not per job.
 */
export class SqlJobQueue {
  private readonly wakeups = new EventEmitter();
  /** Names of the jobs this process added since it last told its workers (see `notify`). */
  private readonly unannounced = new Set<string>();

  constructor(
    readonly database: Db,
    private readonly dialect: DialectName,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly defaultMaxAttempts: number,
  ) {}

  /** The row a new job is stored as. */
  newRow(job: NewJob, now: number): JobRow {
    this.unannounced.add(job.name);
    return {
      id: this.ids.next(),
      name: job.name,
      payload: JSON.stringify(job.payload),
      dedupe_key: job.dedupeKey ?? null,
      ordering_key: job.orderingKey ?? null,
      state: 'pending',
      attempts: 0,
      max_attempts: job.maxAttempts ?? this.defaultMaxAttempts,
      run_at: job.runAt ?? now,
      last_error: null,
      locked_until: null,
      created_at: now,
      updated_at: now,
    };
  }

  /** Adds jobs inside the caller's transaction. Jobs whose `dedupeKey` already exists are skipped. */
  async enqueue(exec: DbExecutor, jobs: NewJob[]): Promise<void> {
    if (jobs.length === 0) return;
    const now = this.clock.now();
    const rows = jobs.map((job) => this.newRow(job, now));
    const chunk = maxRowsPerInsert(this.dialect, 14);
    for (let i = 0; i < rows.length; i += chunk) {
      await exec
        .insertInto('jobs')
        .values(rows.slice(i, i + chunk))
        .onConflict((oc) => oc.column('dedupe_key').doNothing())
        .execute();
    }
  }

  /**
   * Tells in-process workers that work is waiting (call after the enqueueing transaction commits).
   * They hear the names of the jobs this process added since the last call, so a worker wakes
   * only the loop that runs them. `committed` names the jobs the caller knows it just committed:
   * another call may have announced them already (rows are built before their transaction).
   * When nothing is named at all (a dead letter revived by UPDATE, a caller that knows of work
   * some other way), they hear `null` and look for any.
   */
  notify(committed: readonly string[] = []): void {
    for (const name of committed) this.unannounced.add(name);
    const names = this.unannounced.size > 0 ? new Set(this.unannounced) : null;
    this.unannounced.clear();
    this.wakeups.emit('enqueued', names);
  }

  /**
   * Like `notify`, but only when this process added jobs since the last call: a worker calls it
   * after each batch, whose handlers may have enqueued follow-up jobs, and the API after each
   * change. On PostgreSQL a concurrent `notify` may have announced (and a worker looked for) jobs
   * whose transaction had not committed yet: like other processes' jobs, they are then found at
   * the worker's next poll. Wake-ups save time; the polls guarantee progress.
   */
  announceEnqueued(): void {
    if (this.unannounced.size > 0) this.notify();
  }

  onEnqueued(listener: (names: ReadonlySet<string> | null) => void): () => void {
    this.wakeups.on('enqueued', listener);
    return () => this.wakeups.off('enqueued', listener);
  }

  /**
   * Claims up to `limit` due jobs and runs `run` for each inside one transaction, each job in its
   * own savepoint so that one failure does not undo the others. Returns how many jobs it ran
   * (fewer than it claimed when `options` ends it early; the rest stay pending).
   */
  async runBatch(limit: number, names: readonly string[], runner: BatchRunner, options: BatchOptions = {}): Promise<number> {
    // Optimistic first: no savepoint per job, one UPDATE marks the batch done. Only when a job
    // fails is the batch rolled back and run again with each job in its own savepoint, so that
    // the failure is recorded without undoing the others. Handlers are idempotent, so running
    // the successful ones twice is harmless.
    const run = (isolate: boolean) => {
      const batch = (db: Db) => this.claimAndRun(db, limit, names, runner, options, isolate);
      return options.connection ? options.connection(batch) : batch(this.database);
    };
    return (await run(false)) ?? (await run(true))!;
  }

  /** Returns how many jobs were processed, or null when a job failed in an unisolated batch (rolled back). */
  private async claimAndRun(
    db: Db,
    limit: number,
    names: readonly string[],
    runner: BatchRunner,
    options: BatchOptions,
    isolate: boolean,
  ): Promise<number | null> {
    const trx = await db.startTransaction().execute();
    try {
      const now = this.clock.now();
      const claimed = await lockForClaim(
        trx
          .selectFrom('jobs')
          .selectAll()
          .where('state', '=', 'pending')
          .where('run_at', '<=', now)
          .where('name', 'in', names)
          .orderBy('run_at')
          .orderBy('created_at')
          .limit(limit),
        this.dialect,
      ).execute();

      const startedAt = performance.now();
      const done: JobRow[] = [];
      let processed = 0;
      for (const [index, job] of claimed.entries()) {
        // On SQLite the batch holds the only connection: past its time budget, or when someone is
        // waiting for the connection, it commits what it has, and the rest (still pending, their
        // locks released) goes to the next batch.
        if (processed > 0 && (performance.now() - startedAt > (options.budgetMs ?? Number.POSITIVE_INFINITY) || options.shouldYield?.() === true)) break;
        processed++;
        if (!isolate) {
          try {
            await runner.run(trx, job);
          } catch {
            await trx.rollback().execute();
            return null;
          }
          done.push(job);
          continue;
        }
        const savepoint = `job_${index}`;
        const inner = await trx.savepoint(savepoint).execute();
        try {
          await runner.run(inner, job);
          await inner.releaseSavepoint(savepoint).execute();
          done.push(job);
        } catch (error) {
          await inner.rollbackToSavepoint(savepoint).execute();
          await this.recordFailure(trx, job, runner.onFailure(job, error));
        }
      }
      await this.markDone(trx, done);
      await trx.commit().execute();
      for (const job of done) runner.onDone?.(job);
      options.onEnd?.({ claimed: claimed.length, processed });
      return processed;
    } catch (error) {
      await trx.rollback().execute().catch(() => undefined);
      throw error;
    }
  }


  private async markDone(trx: DbExecutor, jobs: JobRow[]): Promise<void> {
    if (jobs.length === 0) return;
    await trx
      .updateTable('jobs')
      .set((eb) => ({ state: 'done', attempts: eb('attempts', '+', 1), last_error: null, updated_at: this.clock.now() }))
      .where('id', 'in', jobs.map((j) => j.id))
      .execute();
  }

  private async recordFailure(trx: DbExecutor, job: JobRow, outcome: FailureOutcome): Promise<void> {
    const now = this.clock.now();
    const attempts = job.attempts + 1;
    if (outcome.kind === 'retry') {
      await trx
        .updateTable('jobs')
        .set({ state: 'pending', attempts, run_at: outcome.runAt, last_error: outcome.error, updated_at: now })
        .where('id', '=', job.id)
        .execute();
      return;
    }
    await trx.updateTable('jobs').set({ state: 'dead', attempts, last_error: outcome.error, updated_at: now }).where('id', '=', job.id).execute();
    await trx
      .insertInto('dead_letters')
      .values({
        id: this.ids.next(),
        source: 'job',
        code: 'JOB_FAILED',
        reason: outcome.error,
        body: job.payload,
        job_id: job.id,
        job_name: job.name,
        created_at: now,
        replayed_at: null,
      })
      .execute();
  }

  /**
   * Claims due lease jobs (and those whose lease expired: their process died) in a short
   * transaction, marking them running until `now + leaseMs`. They run outside any transaction;
   * `settleLeased` records the outcome.
   */
  async claimLeased(limit: number, names: readonly string[], leaseMs: number): Promise<JobRow[]> {
    if (names.length === 0) return [];
    return this.database.transaction().execute(async (trx) => {
      const now = this.clock.now();
      const claimed = await lockForClaim(
        trx
          .selectFrom('jobs')
          .selectAll()
          .where('name', 'in', names)
          .where((eb) =>
            eb.or([
              eb.and([eb('state', '=', 'pending'), eb('run_at', '<=', now)]),
              eb.and([eb('state', '=', 'running'), eb('locked_until', '<', now)]),
            ]),
          )
          .orderBy('run_at')
          .orderBy('created_at')
          .limit(limit),
        this.dialect,
      ).execute();
      if (claimed.length === 0) return [];
      await trx
        .updateTable('jobs')
        .set({ state: 'running', locked_until: now + leaseMs, updated_at: now })
        .where('id', 'in', claimed.map((j) => j.id))
        .execute();
      return claimed;
    });
  }

  /** Records how a lease job ended. */
  async settleLeased(job: JobRow, outcome: { kind: 'done' } | FailureOutcome): Promise<void> {
    await this.database.transaction().execute(async (trx) => {
      if (outcome.kind === 'done') await this.markDone(trx, [job]);
      else await this.recordFailure(trx, job, outcome);
      await trx.updateTable('jobs').set({ locked_until: null }).where('id', '=', job.id).execute();
    });
  }

  /** Puts a dead job back in line with a fresh set of attempts. */
  async revive(exec: DbExecutor, jobId: string): Promise<boolean> {
    const now = this.clock.now();
    const result = await exec
      .updateTable('jobs')
      .set({ state: 'pending', attempts: 0, run_at: now, last_error: null, updated_at: now })
      .where('id', '=', jobId)
      .where('state', '=', 'dead')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async stats(): Promise<QueueStats> {
    const now = this.clock.now();
    const counts = await this.database
      .selectFrom('jobs')
      .select(['state', (eb) => eb.fn.countAll<number>().as('count')])
      .where('state', 'in', ['pending', 'running', 'dead'])
      .groupBy('state')
      .execute();
    // A pending job that is not due yet is counted apart: it is not a backlog.
    const notDue = await this.database
      .selectFrom('jobs')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('state', '=', 'pending')
      .where('run_at', '>', now)
      .executeTakeFirst();
    const oldest = await this.database
      .selectFrom('jobs')
      .select((eb) => eb.fn.min('run_at').as('run_at'))
      .where('state', '=', 'pending')
      .where('run_at', '<=', now)
      .executeTakeFirst();
    const count = (state: string) => Number(counts.find((c) => c.state === state)?.count ?? 0);
    const oldestRunAt = oldest?.run_at == null ? null : Number(oldest.run_at);
    return {
      pending: count('pending') - Number(notDue?.count ?? 0),
      scheduled: Number(notDue?.count ?? 0),
      running: count('running'),
      dead: count('dead'),
      oldestDueAgeMs: oldestRunAt === null ? 0 : Math.max(0, now - oldestRunAt),
    };
  }
}
