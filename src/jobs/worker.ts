import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../db/database.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import { PollingLoop } from '../platform/polling-loop.js';
import { PermanentJobError, type JobContext, type JobDefinition } from './job-definition.js';
import { DEFAULT_RETRY_POLICY, retryDelayMs, type RetryPolicy } from './retry-schedule.js';
import type { FailureOutcome, JobRow, SqlJobQueue } from './sql-job-queue.js';

export type WorkerOptions = {
  batchSize: number;
  /**
   * How long one transactional batch may run before it commits (default 20 ms). On SQLite the
   * batch holds the only connection, so webhooks wait for it: a short budget keeps their
   * acknowledgements fast while a backlog drains.
   */
  batchBudgetMs?: number;
  /**
   * Asked between the jobs of a transactional batch: when it answers true the batch commits what
   * it has done so far (at least one job) and the rest waits for the next batch. On SQLite the
   * serve process passes "webhooks are waiting for the connection", so an acknowledgement never
   * waits for more than one job.
   */
  shouldYield?: () => boolean;
  /**
   * Runs each transactional batch on a connection of its choosing. On SQLite `serve` passes
   * `withoutCommitFsync`: a batch's writes are derived from what is already durable (the stored
   * webhook, the job) and would be redone after a power cut, so they need not wait for the disk.
   */
  batchConnection?: <T>(work: (db: Db) => Promise<T>) => Promise<T>;
  /** Lease jobs run concurrently (default 8). */
  leasedBatchSize?: number;
  /** How often to look for due jobs when nothing wakes the worker (other processes, retries). */
  pollIntervalMs: number;
  /**
   * How long an idle worker, woken by new jobs, waits before it claims them (default 0), so that
   * jobs arriving a few milliseconds apart share one batch (PollingLoop `gatherMs`).
   */
  gatherMs?: number;
  /**
   * The rest of the process, which the transactional loop gives way to (`serve`: HTTP requests,
   * sends). `contended(ownBusyMs)` is asked before each round, told how long the worker's own
   * rounds ran since it was last asked (`EventLoopContention`). While it answers true, a batch
   * runs at most `sliceMs` and the loop then waits until batches have taken about `share` of the
   * time: webhooks are acknowledged and API calls answered first, and the backlog is still worked
   * at that share at least. Otherwise it is drained at full speed.
   */
  yieldTo?: { contended(ownBusyMs: number): boolean; share: number; sliceMs: number };
  clock: Clock;
  log: Logger;
  random?: () => number;
  onProcessed?: (job: JobRow, outcome: 'done' | 'retry' | 'dead') => void;
};

/** The fewest jobs a transactional batch claims, however often batches are cut short. */
const MIN_CLAIM = 4;

/** The longest a loop that gives way to foreground work waits between two batches. */
export const MAX_GIVE_WAY_MS = 50;

/** A job payload that does not match its schema will never succeed: it is dead-lettered at once. */
class InvalidPayloadError extends Error {
  override readonly name = 'InvalidPayloadError';
}

/**
 * Runs job definitions against the queue: claims due jobs in batches, runs each handler,
 * retries failures with backoff and dead-letters what keeps failing.
 *
 * Two loops: one runs transactional batches, the other keeps up to `leasedBatchSize` lease jobs
 * running. Lease jobs wait on other systems (a CRM flush can take many seconds under the CRM's
 * rate limit), so they run beside the transactional loop instead of holding up its next round:
 * inbound messages and live updates never wait for a slow CRM.
 */
export class Worker {
  private readonly definitions: Map<string, JobDefinition>;
  /** The job names each loop claims; the definitions are fixed for the worker's life. */
  private readonly names: Record<'transaction' | 'lease', readonly string[]>;
  private readonly loop: PollingLoop;
  private readonly leasedLoop: PollingLoop;
  private readonly inFlight = new Set<Promise<void>>();
  private claimSize: number;
  /** How long transactional rounds ran since `yieldTo.contended` was last asked. */
  private ownBusyMs = 0;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly queue: SqlJobQueue,
    definitions: readonly JobDefinition[],
    private readonly options: WorkerOptions,
  ) {
    this.definitions = new Map(definitions.map((d) => [d.name, d]));
    const namesOf = (mode: 'transaction' | 'lease') => [...this.definitions.values()].filter((d) => (d.mode ?? 'transaction') === mode).map((d) => d.name);
    this.names = { transaction: namesOf('transaction'), lease: namesOf('lease') };
    this.claimSize = options.batchSize;
    const onError = (error: unknown) => options.log.error({ err: error }, 'worker batch failed');
    this.loop = new PollingLoop(() => this.transactionalRound(), options.pollIntervalMs, onError, options.gatherMs ?? 0);
    // Claiming fewer lease jobs than there was room for means none other is due: wait to be told.
    this.leasedLoop = new PollingLoop(
      async () => {
        const room = this.leasedRoom();
        const started = await this.startLeased();
        return started === room ? started : 0;
      },
      options.pollIntervalMs,
      onError,
    );
  }

  start(): void {
    const transactional = new Set(this.names.transaction);
    const leased = new Set(this.names.lease);
    // Each loop wakes for its own jobs only: a claim that finds nothing still costs a transaction.
    this.unsubscribe ??= this.queue.onEnqueued((names) => {
      if (names === null || [...names].some((name) => transactional.has(name))) this.loop.notify();
      if (names === null || [...names].some((name) => leased.has(name))) this.leasedLoop.notify();
    });
    this.loop.start();
    this.leasedLoop.start();
  }

  /** Stops after the batch in progress commits and the lease jobs running have finished. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    await Promise.all([this.loop.stop(), this.leasedLoop.stop()]);
    await Promise.all([...this.inFlight]);
  }

  /** Processes batches until no job is due; returns how many were processed. For the CLI and tests. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const claimed = await this.runOnce();
      if (claimed === 0) return total;
      total += claimed;
    }
  }

  /** Runs one batch of each kind and waits for the lease jobs it started; returns how many jobs it claimed. */
  async runOnce(): Promise<number> {
    const claimed = (await this.runTransactional()) + (await this.startLeased());
    await Promise.all([...this.inFlight]);
    return claimed;
  }

  /**
   * Claiming reads every claimed row; a batch cut short (webhooks waiting, or past its budget)
   * read rows it never ran. So, like TCP's slow start: after a cut, claim about twice what the
   * batch got through; after a whole batch, claim twice as many, up to `batchSize`.
   */
  private adaptClaimSize(claimed: number, processed: number): void {
    const cut = processed < claimed;
    this.claimSize = Math.min(this.options.batchSize, cut ? Math.max(MIN_CLAIM, processed * 2) : this.claimSize * 2);
  }

  /**
   * One round of the transactional loop; a non-zero answer makes the loop look again at once.
   * A batch that was full or cut short left due jobs behind. One that ran all it claimed, and
   * claimed less than it could, left nothing due but what was enqueued since: jobs its own
   * handlers added, which it announces here (the loop hears it on its way to sleep, and the
   * lease loop hears of lease jobs at once instead of at its next poll), and jobs others added,
   * who notify. So a burst does not end with a claim that finds nothing.
   */
  private async transactionalRound(): Promise<number> {
    const limit = this.claimSize;
    let claimed = 0;
    const yieldTo = this.options.yieldTo;
    const givingWay = yieldTo?.contended(this.ownBusyMs) ?? false;
    const startedAt = performance.now();
    const processed = await this.runTransactional((outcome) => (claimed = outcome.claimed), givingWay ? yieldTo!.sliceMs : undefined);
    this.queue.announceEnqueued();
    const busyMs = performance.now() - startedAt;
    this.ownBusyMs = busyMs;
    const more = claimed === limit || processed < claimed;
    if (givingWay && more) await this.giveWay(busyMs);
    return more ? processed : 0;
  }

  /** After a batch that took `busyMs`, leaves the process to foreground work for the rest of its share. */
  private async giveWay(busyMs: number): Promise<void> {
    const { share } = this.options.yieldTo!;
    const waitMs = Math.min(MAX_GIVE_WAY_MS, (busyMs * (1 - share)) / share);
    if (waitMs >= 1) await sleep(waitMs);
  }

  private async runTransactional(onEnd?: (outcome: { claimed: number; processed: number }) => void, budgetMs?: number): Promise<number> {
    const names = this.names.transaction;
    if (names.length === 0) return 0;
    return this.queue.runBatch(
      this.claimSize,
      names,
      {
        run: (trx, job) => this.execute(trx, job),
        onFailure: (job, error) => this.onFailure(job, error),
        onDone: (job) => this.options.onProcessed?.(job, 'done'),
      },
      {
        budgetMs: budgetMs ?? this.options.batchBudgetMs ?? 20,
        ...(this.options.shouldYield ? { shouldYield: this.options.shouldYield } : {}),
        ...(this.options.batchConnection ? { connection: this.options.batchConnection } : {}),
        onEnd: (outcome) => {
          this.adaptClaimSize(outcome.claimed, outcome.processed);
          onEnd?.(outcome);
        },
      },
    );
  }

  private leasedRoom(): number {
    return (this.options.leasedBatchSize ?? 8) - this.inFlight.size;
  }

  /** Claims lease jobs up to the free capacity and starts them; each one's end makes room for the next. */
  private async startLeased(): Promise<number> {
    const names = this.names.lease;
    const capacity = this.leasedRoom();
    if (names.length === 0 || capacity <= 0) return 0;
    const leaseMs = Math.max(...names.map((n) => this.definitions.get(n)?.leaseMs ?? 5 * 60_000));
    const jobs = await this.queue.claimLeased(capacity, names, leaseMs);
    for (const job of jobs) {
      const running: Promise<void> = this.runLeased(job).finally(() => {
        this.inFlight.delete(running);
        this.leasedLoop.notify();
      });
      this.inFlight.add(running);
    }
    return jobs.length;
  }

  private async runLeased(job: JobRow): Promise<void> {
    try {
      try {
        await this.execute(this.queue.database, job);
      } catch (error) {
        await this.queue.settleLeased(job, this.onFailure(job, error));
        return;
      }
      await this.queue.settleLeased(job, { kind: 'done' });
      this.options.onProcessed?.(job, 'done');
    } catch (error) {
      // Settling failed (the database went away): the lease expires and the job runs again.
      this.options.log.error({ err: error, jobId: job.id, job: job.name }, 'could not record a lease job outcome');
    }
  }

  private async execute(trx: JobContext['trx'], job: JobRow): Promise<void> {
    const definition = this.definitions.get(job.name);
    if (!definition) throw new InvalidPayloadError(`no handler for job ${job.name}`);
    const payload = definition.payload.safeParse(JSON.parse(job.payload));
    if (!payload.success) throw new InvalidPayloadError(payload.error.message);
    await definition.handle(payload.data, { trx, jobId: job.id, attempt: job.attempts + 1, log: this.jobLog(job) });
  }

  /** A child logger is made only when a handler logs: most jobs never do, and making one per job is not free. */
  private jobLog(job: JobRow): Logger {
    let child: Logger | undefined;
    const parent = this.options.log;
    return new Proxy(parent, { get: (_target, property) => Reflect.get((child ??= parent.child({ jobId: job.id, job: job.name })), property) });
  }

  private onFailure(job: JobRow, error: unknown): FailureOutcome {
    const outcome = this.failureOutcome(job, error);
    this.options.log.warn({ jobId: job.id, job: job.name, attempt: job.attempts + 1, outcome: outcome.kind, err: error }, 'job failed');
    this.options.onProcessed?.(job, outcome.kind);
    return outcome;
  }

  private failureOutcome(job: JobRow, error: unknown): FailureOutcome {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    if (error instanceof InvalidPayloadError || error instanceof PermanentJobError) return { kind: 'dead', error: message };
    const policy: RetryPolicy = {
      ...DEFAULT_RETRY_POLICY,
      ...this.definitions.get(job.name)?.retry,
      maxAttempts: job.max_attempts,
    };
    const delay = retryDelayMs(policy, job.attempts + 1, (this.options.random ?? Math.random)());
    if (delay === null) return { kind: 'dead', error: message };
    return { kind: 'retry', runAt: this.options.clock.now() + delay, error: message };
  }
}
