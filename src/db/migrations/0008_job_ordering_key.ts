import { PostgresAdapter, sql, type Kysely } from 'kysely';

// Jobs that must be handled in order relative to each other (one contact's automation events)
// share an ordering key, so a handler finds the earlier ones through an index instead of
// scanning every pending job's payload. Only such jobs have one, hence the partial index.

export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema.alterTable('jobs').addColumn('ordering_key', 'text').execute();
  await sql`create index jobs_ordering on jobs (name, ordering_key) where ordering_key is not null`.execute(db);
  // Automation events waiting at the upgrade keep their place in their contact's order.
  const contactId = postgres ? sql`payload::json->>'contactId'` : sql`json_extract(payload, '$.contactId')`;
  await sql`update jobs set ordering_key = ${contactId} where name = 'event.automation' and state in ('pending', 'running')`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists jobs_ordering`.execute(db);
  await db.schema.alterTable('jobs').dropColumn('ordering_key').execute();
}
