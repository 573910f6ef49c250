import type SQLite from 'better-sqlite3';
import type { DatabaseHandle } from '../../db/connect.js';
import type { NewJob } from '../../jobs/job-definition.js';
import type { SqlJobQueue } from '../../jobs/sql-job-queue.js';
import type { Clock } from '../../platform/clock.js';
import { appliedOnIngest, SAVEPOINT_SQL, savepointOn, type ApplyOnIngest, type Savepoint } from './apply-on-ingest.js';
import type { InboundEvent } from './core/inbound-event.js';
import { inboxRepository, type InboxEvent } from './inbox.repository.js';

/** A webhook body to store, and the events to apply as it is stored (`eventsAppliedOnIngest`), if any. */
export type StoredBody = { event: InboxEvent; applyNow: InboundEvent[] | null };

/**
 * Stores a batch of webhook bodies, and for each body new to the inbox either applies its events
 * (`ApplyOnIngest`) or enqueues its processing job, in one transaction. A body already in the inbox
 * (Meta redelivers) gets nothing more: the inbox's key decides, so the job needs no unique key of
 * its own, which saves the webhook's hot path an index insert at a random place.
 */
export type InboxWriter = {
  /** Resolves with how many processing jobs were enqueued. */
  write(bodies: StoredBody[], jobFor: (event: InboxEvent) => NewJob): Promise<{ queued: number }>;
  /** Whether a write is waiting for SQLite's one connection (the worker makes way: WorkerOptions.shouldYield). */
  waitingForConnection(): boolean;
};

/**
 * The webhook's hot path. On PostgreSQL: two multi-row inserts through Kysely. On SQLite: the
 * same rows through statements prepared once and a synchronous better-sqlite3 transaction, which
 * costs a fraction of building the SQL per request; it runs while holding Kysely's single
 * connection, so it never interleaves with another transaction (a worker's batch), and its fsync
 * runs on the thread pool (`commitThenSyncOffLoop`) so the event loop keeps reading requests meanwhile.
 * On both, the statuses applied on ingest (`applier`) run inside that same transaction.
 */
export function createInboxWriter(database: DatabaseHandle, queue: SqlJobQueue, clock: Clock, applier?: ApplyOnIngest): InboxWriter {
  if (database.sqlite && database.commitThenSyncOffLoop) return sqliteInboxWriter(database.sqlite, database.commitThenSyncOffLoop, queue, clock, applier);
  return {
    async write(bodies, jobFor) {
      return database.db.transaction().execute(async (trx) => {
        const added = new Set(await inboxRepository.insertMany(trx, database.dialect, bodies.map((body) => body.event)));
        const savepoint = savepointOn(trx);
        const jobs: NewJob[] = [];
        for (const { event, applyNow } of bodies) {
          if (!added.has(event.id)) continue;
          if (applier && applyNow && (await appliedOnIngest(trx, savepoint, event.id, applyNow, applier))) continue;
          jobs.push(jobFor(event));
        }
        await queue.enqueue(trx, jobs);
        return { queued: jobs.length };
      });
    },
    // PostgreSQL has a pool: nobody waits for one connection.
    waitingForConnection: () => false,
  };
}

function sqliteInboxWriter(
  sqlite: SQLite.Database,
  commitThenSync: NonNullable<DatabaseHandle['commitThenSyncOffLoop']>,
  queue: SqlJobQueue,
  clock: Clock,
  applier: ApplyOnIngest | undefined,
): InboxWriter {
  const insertEvent = sqlite.prepare(
    'INSERT INTO inbox_events (id, received_at, body, fields) VALUES (@id, @received_at, @body, @fields) ON CONFLICT (id) DO NOTHING',
  );
  const insertJob = sqlite.prepare(
    `INSERT INTO jobs (id, name, payload, dedupe_key, state, attempts, max_attempts, run_at, locked_until, last_error, ordering_key, created_at, updated_at)
     VALUES (@id, @name, @payload, @dedupe_key, @state, @attempts, @max_attempts, @run_at, @locked_until, @last_error, @ordering_key, @created_at, @updated_at)
     ON CONFLICT (dedupe_key) DO NOTHING`,
  );
  const statement = (sql: string) => {
    const prepared = sqlite.prepare(sql);
    return async () => void prepared.run();
  };
  const savepoint: Savepoint = { open: statement(SAVEPOINT_SQL.open), release: statement(SAVEPOINT_SQL.release), rollBack: statement(SAVEPOINT_SQL.rollBack) };
  // Writes waiting for the connection, which a worker batch may hold (see waitingForConnection).
  let waiting = 0;
  const write = async (bodies: StoredBody[], jobFor: (event: InboxEvent) => NewJob) => {
    const now = clock.now();
    let queued = 0;
    const enqueue = (event: InboxEvent) => {
      insertJob.run(queue.newRow(jobFor(event), now));
      queued++;
    };
    let holding = false;
    waiting++;
    try {
      // Resolves once the WAL is on disk: only then are the webhooks of this batch acknowledged.
      await commitThenSync(async (connection) => {
        holding = true;
        waiting--;
        if (applier && bodies.some((body) => body.applyNow)) {
          // Applying goes through Kysely, hence a transaction of its own on the same connection;
          // the rows are still written by the prepared statements.
          await connection.transaction().execute(async (trx) => {
            for (const { event, applyNow } of bodies) {
              if (insertEvent.run(event).changes === 0) continue;
              if (applyNow && (await appliedOnIngest(trx, savepoint, event.id, applyNow, applier))) continue;
              enqueue(event);
            }
          });
          return;
        }
        sqlite.transaction(() => {
          for (const { event } of bodies) if (insertEvent.run(event).changes > 0) enqueue(event);
        })();
      });
    } finally {
      if (!holding) waiting--;
    }
    return { queued };
  };
  return { write, waitingForConnection: () => waiting > 0 };
}
