import type { Kysely } from 'kysely';

// Migrations are never edited after they land; add a new numbered file instead.
// Types are portable between SQLite and PostgreSQL: text, integer, bigint (epoch ms).

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('inbox_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('fields', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('inbox_events_received_at').on('inbox_events').column('received_at').execute();

  await db.schema
    .createTable('jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('dedupe_key', 'text', (c) => c.unique())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('run_at', 'bigint', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('jobs_claim').on('jobs').columns(['state', 'run_at']).execute();

  await db.schema
    .createTable('dead_letters')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('job_id', 'text')
    .addColumn('job_name', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('replayed_at', 'bigint')
    .execute();
  await db.schema.createIndex('dead_letters_created').on('dead_letters').column('created_at').execute();

  await db.schema
    .createTable('contacts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text')
    .addColumn('phone', 'text', (c) => c.unique())
    .addColumn('phone_match_key', 'text')
    .addColumn('wa_id', 'text')
    .addColumn('bsuid', 'text', (c) => c.unique())
    .addColumn('profile_name', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('contacts_phone_match_key').on('contacts').column('phone_match_key').execute();
  await db.schema.createIndex('contacts_wa_id').on('contacts').column('wa_id').execute();

  await db.schema
    .createTable('messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('wamid', 'text', (c) => c.unique())
    .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id'))
    .addColumn('business_phone_number_id', 'text')
    .addColumn('direction', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('text', 'text')
    .addColumn('status', 'text')
    .addColumn('status_rank', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error_code', 'integer')
    .addColumn('error_title', 'text')
    .addColumn('error_details', 'text')
    .addColumn('wa_timestamp', 'bigint', (c) => c.notNull())
    .addColumn('media', 'text')
    .addColumn('content', 'text')
    .addColumn('context', 'text')
    .addColumn('referral', 'text')
    .addColumn('pricing', 'text')
    .addColumn('raw', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('messages_contact_timeline')
    .on('messages')
    .columns(['contact_id', 'wa_timestamp', 'id'])
    .execute();

  await db.schema
    .createTable('message_statuses')
    .addColumn('wamid', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('wa_timestamp', 'bigint', (c) => c.notNull())
    .addColumn('errors', 'text')
    .addColumn('pricing', 'text')
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('message_statuses_pk', ['wamid', 'status'])
    .execute();

  await db.schema
    .createTable('reactions')
    .addColumn('target_wamid', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id'))
    .addColumn('reaction_wamid', 'text', (c) => c.notNull())
    .addColumn('emoji', 'text')
    .addColumn('wa_timestamp', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('reactions_pk', ['target_wamid', 'contact_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['reactions', 'message_statuses', 'messages', 'contacts', 'dead_letters', 'jobs', 'inbox_events']) {
    await db.schema.dropTable(table).execute();
  }
}
