import type SQLite from 'better-sqlite3';
import type { DatabaseHandle } from '../../db/connect.js';
import type { NewJob } from '../../jobs/job-definition.js';
import type { SqlJobQueue } from '../../jobs/sql-job-queue.js';
import type { Clock } from '../../platform/clock.js';
import { inboxRepository, type InboxEvent } from './inbox.repository.js';

/**
 * Stores a batch of webhook bodies and their processing jobs in one transaction. A body already
 * in the inbox (Meta redelivers) gets no second job: the inbox's key decides, so the job needs no
 * unique key of its own, which saves the webhook's hot path an index insert at a random place.
 */
export type InboxWriter = {
  write(events: InboxEvent[], jobFor: (event: InboxEvent) => NewJob): Promise<void>;
  /** Whether a write is waiting for SQLite's one connection (the worker makes way: WorkerOptions.shouldYield). */
  waitingForConnection(): boolean;
};

/**
 * The webhook's hot path. On PostgreSQL: two multi-row inserts through Kysely. On SQLite: the
 * same rows through statements prepared once and a synchronous better-sqlite3 transaction, which
 * costs a fraction of building the SQL per request; it runs while holding Kysely's single
 * connection, so it never interleaves with another transaction (a worker's batch), and its fsync
 * runs on the thread pool (`commitThenSyncOffLoop`) so the event loop keeps reading requests meanwhile.
 */
export function createInboxWriter(database: DatabaseHandle, queue: SqlJobQueue, clock: Clock): InboxWriter {
  if (database.sqlite && database.commitThenSyncOffLoop) return sqliteInboxWriter(database.sqlite, database.commitThenSyncOffLoop, queue, clock);
  return {
    async write(events, jobFor) {
      await database.db.transaction().execute(async (trx) => {
        const added = new Set(await inboxRepository.insertMany(trx, database.dialect, events));
        await queue.enqueue(trx, events.filter((event) => added.has(event.id)).map(jobFor));
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
): InboxWriter {
  const insertEvent = sqlite.prepare(
    'INSERT INTO inbox_events (id, received_at, body, fields) VALUES (@id, @received_at, @body, @fields) ON CONFLICT (id) DO NOTHING',
  );
  const insertJob = sqlite.prepare(
    `INSERT INTO jobs (id, name, payload, dedupe_key, state, attempts, max_attempts, run_at, locked_until, last_error, ordering_key, created_at, updated_at)
     VALUES (@id, @name, @payload, @dedupe_key, @state, @attempts, @max_attempts, @run_at, @locked_until, @last_error, @ordering_key, @created_at, @updated_at)
     ON CONFLICT (dedupe_key) DO NOTHING`,
  );
  // Writes waiting for the connection, which a worker batch may hold (see waitingForConnection).
  let waiting = 0;
  const write = async (events: InboxEvent[], jobFor: (event: InboxEvent) => NewJob) => {
    const now = clock.now();
    const rows = events.map((event) => ({ event, job: queue.newRow(jobFor(event), now) }));
    let holding = false;
    waiting++;
    try {
      // Resolves once the WAL is on disk: only then are the webhooks of this batch acknowledged.
      await commitThenSync(async () => {
        holding = true;
        waiting--;
        sqlite.transaction(() => {
          for (const { event, job } of rows) {
            if (insertEvent.run(event).changes > 0) insertJob.run(job);
          }
        })();
      });
    } finally {
      if (!holding) waiting--;
    }
  };
  return { write, waitingForConnection: () => waiting > 0 };
}
