import type { DialectName } from '../../db/connect.js';
import type { DbExecutor, InboxEventTable } from '../../db/database.js';
import { maxRowsPerInsert } from '../../db/dialect.js';
import { preparedQuery } from '../../db/prepared-query.js';

export type InboxEvent = InboxEventTable;

// Read once per webhook by the worker (src/db/prepared-query.ts).
const eventById = preparedQuery((db, v: { id: string }) => db.selectFrom('inbox_events').selectAll().where('id', '=', v.id));

/** The durable inbox of raw webhook bodies, keyed by the sha256 of their bytes. */
export const inboxRepository = {
  /** Stores events and returns the ids it added; a body already stored (same id) is left as it is. */
  async insertMany(exec: DbExecutor, dialect: DialectName, events: InboxEvent[]): Promise<string[]> {
    const chunk = maxRowsPerInsert(dialect, 4);
    const added: string[] = [];
    for (let i = 0; i < events.length; i += chunk) {
      const rows = await exec
        .insertInto('inbox_events')
        .values(events.slice(i, i + chunk))
        .onConflict((oc) => oc.column('id').doNothing())
        .returning('id')
        .execute();
      added.push(...rows.map((row) => row.id));
    }
    return added;
  },

  async get(exec: DbExecutor, id: string): Promise<InboxEvent | undefined> {
    return eventById.first(exec, { id });
  },

  async count(exec: DbExecutor): Promise<number> {
    const row = await exec.selectFrom('inbox_events').select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirst();
    return Number(row?.count ?? 0);
  },
};
