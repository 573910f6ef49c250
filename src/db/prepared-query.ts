import type SQLite from 'better-sqlite3';
import type { Compilable, CompiledQuery, QueryResult } from 'kysely';
import type { Db, DbExecutor } from './database.js';

/**
 * Stands where a value given at run time goes. Kysely takes it for an ordinary value and makes
 * it a parameter of the compiled statement, which is where `execute` puts the real value.
 */
class Slot {
  constructor(readonly name: string) {}
}

export type PreparedQuery<V, R> = {
  /** Runs the statement on `exec` (the database or a transaction) with `values` in its slots. */
  execute(exec: DbExecutor, values: V): Promise<QueryResult<R>>;
  /** The first row, if any. */
  first(exec: DbExecutor, values: V): Promise<R | undefined>;
  /** How many rows an INSERT, UPDATE or DELETE changed (0 when ON CONFLICT DO NOTHING skipped the row). */
  changed(exec: DbExecutor, values: V): Promise<number>;
};

/**
 * A statement of the hot paths, built and compiled by Kysely once per database instead of on
 * every call. Kysely builds an immutable tree and compiles it to SQL each time a query runs,
 * which took about a quarter of the worker's CPU (bench/diagnostics/kysely-overhead-probe.ts:
 * compiling a one-line SELECT costs about as much as SQLite running it).
 *
 *   const byWamid = preparedQuery((db, v: { wamid: string }) => db.selectFrom('messages').select('id').where('wamid', '=', v.wamid));
 *   const row = await byWamid.first(trx, { wamid });
 *
 * `build` gets stand-ins for the values (each `v.name` is a slot; spreading `v` gives nothing,
 * `everyColumn` lists an INSERT's row) and must use them only as single values: in a comparison,
 * an INSERT's row, an UPDATE's SET or a LIMIT. Not as a list (`in`), and not to decide the
 * statement's shape (a column left out when its value is `undefined`): the statement is decided
 * once, for every call. Every slot must get a value (null where the column allows it); a missing
 * one throws before anything runs. A LIMIT slot costs SQLite a new plan on every run
 * (src/db/one-row.ts): a constant LIMIT is written into the SQL instead.
 */
export function preparedQuery<V extends object, R>(build: (db: DbExecutor, values: V) => Compilable<R>): PreparedQuery<V, R> {
  const slots = new Proxy({}, { get: (_target, name) => new Slot(String(name)) }) as V;
  // One compiled statement per database: SQLite and PostgreSQL write parameters differently. The
  // dialect adapter is the one object a Kysely instance shares with its transactions. Kysely marks
  // `getExecutor()` internal: a Kysely upgrade must keep the cross-dialect test of this module green.
  const compiled = new WeakMap<object, CompiledQuery<R>>();

  const execute = (exec: DbExecutor, values: V): Promise<QueryResult<R>> => {
    const adapter = exec.getExecutor().adapter;
    let statement = compiled.get(adapter);
    if (!statement) {
      statement = build(exec, slots).compile();
      compiled.set(adapter, statement);
    }
    const sql = statement.sql;
    const parameters = statement.parameters.map((parameter) => {
      if (!(parameter instanceof Slot)) return parameter;
      const value = (values as Record<string, unknown>)[parameter.name];
      if (value === undefined) throw new Error(`preparedQuery: no value for "${parameter.name}" in ${sql}`);
      return value;
    });
    const prepare = exec.isTransaction && !hasEnded(exec) ? sqliteStatements.get(adapter) : undefined;
    if (prepare) return runOnSqlite<R>(prepare, sql, parameters);
    return exec.executeQuery<R>({ ...statement, parameters });
  };

  return {
    execute,
    first: async (exec, values) => (await execute(exec, values)).rows[0],
    changed: async (exec, values) => Number((await execute(exec, values)).numAffectedRows ?? 0n),
  };
}

/**
 * The statement caches of the SQLite databases (`runInTransactionsDirectly`), by the adapter that
 * a Kysely instance shares with its transactions.
 */
const sqliteStatements = new WeakMap<object, (sql: string) => SQLite.Statement>();

/**
 * Lets the prepared queries that run in a transaction of `db` (SQLite) run their statement on
 * the connection themselves, as Kysely's driver would, without Kysely's way there.
 *
 * Why it is safe: SQLite has one connection, and a transaction holds it from its BEGIN to its
 * COMMIT or ROLLBACK (Kysely's driver locks it), so a statement run for a transaction while it is
 * open runs in that transaction, exactly as through Kysely. Outside a transaction (`db` itself)
 * the statement still goes through Kysely, which waits for the connection to be free.
 *
 * Why: Kysely runs each query through a chain of executors and async closures (a new executor
 * per query in a transaction, the connection lock, the result's transformation), which allocated
 * more than any other part of the hub: 17% of the bytes allocated while accepting messages and
 * acknowledging status webhooks (bench/diagnostics/outbound-path-probe.ts under V8's sampling
 * heap profiler), the first thing the young-generation GC then spends its time on.
 */
export function runInTransactionsDirectly(db: Db, prepare: (sql: string) => SQLite.Statement): void {
  sqliteStatements.set(db.getExecutor().adapter, prepare);
}

/** A transaction committed or rolled back: Kysely refuses to run more in it, and so must we. */
function hasEnded(exec: DbExecutor): boolean {
  const controlled = exec as { isCommitted?: boolean; isRolledBack?: boolean };
  return controlled.isCommitted === true || controlled.isRolledBack === true;
}

/** What Kysely's SQLite driver does with a compiled query (SqliteConnection.executeQuery). */
function runOnSqlite<R>(prepare: (sql: string) => SQLite.Statement, sql: string, parameters: unknown[]): Promise<QueryResult<R>> {
  try {
    const statement = prepare(sql);
    if (statement.reader) return Promise.resolve({ rows: statement.all(parameters) as R[] });
    const { changes, lastInsertRowid } = statement.run(parameters);
    return Promise.resolve({ numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] });
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * An INSERT's row of slots: `values`' slot for each key of `columns`. The columns are given as a
 * record so that the compiler checks that it names every column of the table: a column missing
 * from a prepared INSERT would be left out of every row it writes.
 */
export function everyColumn<T>(values: T, columns: Record<keyof T, true>): T {
  return Object.fromEntries(Object.keys(columns).map((column) => [column, values[column as keyof T]])) as T;
}
