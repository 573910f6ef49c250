import { PostgresAdapter, type Kysely } from 'kysely';

// The CRM sync outbox: the work the `crm-sync` subscriber hands to the per-connector flush job
// (log this message, write this consent state), claimed in batches so that vendors with batch
// APIs get one request per 100 messages; and one row per connector whose generation names the
// flush job that is waiting (see crm-outbox.repository.ts).

export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable('crm_outbox')
    .addColumn('seq', postgres ? 'bigserial' : 'integer', (c) => c.primaryKey())
    .addColumn('connector', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('dedupe_key', 'text', (c) => c.notNull().unique())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('locked_until', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('crm_outbox_due').on('crm_outbox').columns(['connector', 'state', 'next_attempt_at']).execute();
  await db.schema.createIndex('crm_outbox_contact').on('crm_outbox').columns(['connector', 'contact_id', 'seq']).execute();

  await db.schema
    .createTable('crm_outbox_flushes')
    .addColumn('connector', 'text', (c) => c.primaryKey())
    .addColumn('generation', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('crm_outbox_flushes').execute();
  await db.schema.dropTable('crm_outbox').execute();
}
