import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { Database, Db } from './database.js';
import { migrationProvider } from './migrations/index.js';
import { runInTransactionsDirectly } from './prepared-query.js';
import { WalCheckpointer } from './wal-checkpointer.js';
import { WalSync } from './wal-sync.js';

export type DialectName = 'sqlite' | 'postgres';

export type DatabaseHandle = {
  db: Db;
  dialect: DialectName;
  /** The SQLite connection itself, for the few hot paths that run prepared statements directly. */
  sqlite?: SQLite.Database;
  /**
   * SQLite: runs `work` on the connection with commits that skip their fsync. Only for work that
   * can be done again from what is already durable (the worker's batches): a crash of the
   * process loses nothing (the WAL is with the OS), a power cut can lose such a commit, whose
   * jobs then simply run again; and the next durable commit (an acknowledged webhook, an API
   * write, a send being recorded) makes it durable too, the WAL being one file.
   */
  withoutCommitFsync?: <T>(work: (connection: Db) => Promise<T>) => Promise<T>;
  /**
   * SQLite files: `withoutCommitFsync`, then an fsync of the WAL on the thread pool (`WalSync`)
   * before it resolves. Once resolved, the work's commits are as durable as with
   * `synchronous = FULL`, but the event loop kept serving while the disk worked. What answers
   * webhooks and API writes goes through here.
   */
  commitThenSyncOffLoop?: <T>(work: (connection: Db) => Promise<T>) => Promise<T>;
  close(): Promise<void>;
};

// PostgreSQL returns BIGINT (epoch-ms columns) as strings by default; our values fit in a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export type ConnectOptions = {
  /**
   * Called when an idle PostgreSQL connection dies (server restart, admin termination). Without a
   * listener, pg would raise it as an uncaught exception; the pool replaces the connection itself.
   */
  onConnectionError?: (error: Error) => void;
  /**
   * SQLite files: checkpoint the WAL from a worker thread instead of the committing connection
   * (WalCheckpointer), so that no commit on the event loop pays for one.
   */
  checkpointInBackground?: { onError: (error: Error) => void };
};

/** Opens `sqlite:PATH` or `postgres://…`. SQLite runs in WAL mode with full fsync on commit. */
export function connectDatabase(url: string, options: ConnectOptions = {}): DatabaseHandle {
  if (url.startsWith('sqlite:')) return connectSqlite(url.slice('sqlite:'.length), options);
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  pool.on('error', (error) => options.onConnectionError?.(error));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', close: () => db.destroy() };
}

function connectSqlite(path: string, options: ConnectOptions): DatabaseHandle {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SQLite(path);
  sqlite.pragma('journal_mode = WAL');
  // FULL: a commit is on disk when it returns, which is what "durable before the 200" means.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const statements = withStatementCache(sqlite);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: statements }) });
  runInTransactionsDirectly(db, statements.prepare);
  const walSync = path === ':memory:' ? undefined : new WalSync(`${path}-wal`);
  const checkpointer =
    options.checkpointInBackground && path !== ':memory:'
      ? new WalCheckpointer(sqlite, { path, onError: options.checkpointInBackground.onError })
      : undefined;
  const unsynced = withoutCommitFsync(db, sqlite);
  return {
    db,
    dialect: 'sqlite',
    sqlite,
    withoutCommitFsync: unsynced,
    ...(walSync ? { commitThenSyncOffLoop: commitThenSyncOffLoop(unsynced, walSync) } : {}),
    close: async () => {
      // The thread and its connection go first: none of it may outlive the serving connection.
      await checkpointer?.stop();
      await walSync?.close();
      await db.destroy();
    },
  };
}

/**
 * Kysely prepares every statement anew; preparing costs more than running most of ours. The
 * same SQL text reuses its prepared statement (bounded, oldest dropped first). Safe because
 * better-sqlite3 runs statements synchronously, one at a time, on this single connection.
 */
function withStatementCache(sqlite: SQLite.Database, limit = 500): { prepare: SQLite.Database['prepare']; close(): void } {
  const statements = new Map<string, SQLite.Statement>();
  return {
    prepare: ((sql: string) => {
      let statement = statements.get(sql);
      if (!statement) {
        statement = sqlite.prepare(sql);
        if (statements.size >= limit) statements.delete(statements.keys().next().value!);
        statements.set(sql, statement);
      }
      return statement;
    }) as SQLite.Database['prepare'],
    close: () => sqlite.close(),
  };
}

/**
 * Runs `work` holding the single connection with synchronous=NORMAL: its commits skip their
 * fsync. SQLite only lets the level change outside a transaction, hence the whole connection is
 * reserved for `work` (which must use the `db` it is given), and FULL is back before anyone else
 * gets the connection.
 */
function withoutCommitFsync(db: Db, sqlite: SQLite.Database) {
  return <T>(work: (connection: Db) => Promise<T>): Promise<T> =>
    db.connection().execute(async (connection) => {
      sqlite.pragma('synchronous = NORMAL');
      try {
        return await work(connection);
      } finally {
        sqlite.pragma('synchronous = FULL');
      }
    });
}

function commitThenSyncOffLoop(unsynced: <T>(work: (connection: Db) => Promise<T>) => Promise<T>, walSync: WalSync) {
  return async <T>(work: (connection: Db) => Promise<T>): Promise<T> => {
    const result = await unsynced(work);
    await walSync.sync();
    return result;
  };
}

/** Brings the schema to the latest migration; throws with the failing migration's error. */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
