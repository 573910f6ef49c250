import type { Compilable, CompiledQuery, QueryResult } from 'kysely';
import type { DbExecutor } from './database.js';

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
 * one throws before anything runs.
 */
export function preparedQuery<V extends object, R>(build: (db: DbExecutor, values: V) => Compilable<R>): PreparedQuery<V, R> {
  const slots = new Proxy({}, { get: (_target, name) => new Slot(String(name)) }) as V;
  // One compiled statement per database: SQLite and PostgreSQL write parameters differently. The
  // dialect adapter is the one object a Kysely instance shares with its transactions. Kysely marks
  // `getExecutor()` internal: a Kysely upgrade must keep the cross-dialect test of this module green.
  const compiled = new WeakMap<object, CompiledQuery<R>>();

  const statementFor = (exec: DbExecutor): CompiledQuery<R> => {
    const adapter = exec.getExecutor().adapter;
    let statement = compiled.get(adapter);
    if (!statement) {
      statement = build(exec, slots).compile();
      compiled.set(adapter, statement);
    }
    return statement;
  };

  const execute = (exec: DbExecutor, values: V): Promise<QueryResult<R>> => {
    const statement = statementFor(exec);
    const parameters = statement.parameters.map((parameter) => {
      if (!(parameter instanceof Slot)) return parameter;
      const value = (values as Record<string, unknown>)[parameter.name];
      if (value === undefined) throw new Error(`preparedQuery: no value for "${parameter.name}" in ${statement.sql}`);
      return value;
    });
    return exec.executeQuery<R>({ ...statement, parameters });
  };

  return {
    execute,
    first: async (exec, values) => (await execute(exec, values)).rows[0],
    changed: async (exec, values) => Number((await execute(exec, values)).numAffectedRows ?? 0n),
  };
}

/**
 * An INSERT's row of slots: `values`' slot for each key of `columns`. The columns are given as a
 * record so that the compiler checks that it names every column of the table: a column missing
 * from a prepared INSERT would be left out of every row it writes.
 */
export function everyColumn<T>(values: T, columns: Record<keyof T, true>): T {
  return Object.fromEntries(Object.keys(columns).map((column) => [column, values[column as keyof T]])) as T;
}
