import type { Kysely } from 'kysely';

// Outbound messaging: business numbers, the outbox, consent events, downloaded media, and
// leases for jobs that run outside a transaction.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('business_numbers')
    .addColumn('phone_number_id', 'text', (c) => c.primaryKey())
    .addColumn('display_phone_number', 'text')
    .addColumn('waba_id', 'text', (c) => c.notNull())
    .addColumn('access_token_sealed', 'text', (c) => c.notNull())
    .addColumn('throughput_mps', 'integer', (c) => c.notNull())
    .addColumn('token_expired_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('outbound_messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('idempotency_key', 'text', (c) => c.unique())
    .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id'))
    .addColumn('business_phone_number_id', 'text', (c) => c.notNull())
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('recipient_kind', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('pair_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('lease_until', 'bigint')
    .addColumn('wamid', 'text')
    .addColumn('message_status', 'text')
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('outbound_messages_due').on('outbound_messages').columns(['state', 'next_attempt_at']).execute();

  await db.schema
    .createTable('consent_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id'))
    .addColumn('business_phone_number_id', 'text')
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('evidence', 'text')
    .addColumn('occurred_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('consent_events_contact').on('consent_events').columns(['contact_id', 'category', 'occurred_at']).execute();

  await db.schema
    .createTable('media_files')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('whatsapp_media_id', 'text', (c) => c.notNull().unique())
    .addColumn('business_phone_number_id', 'text')
    .addColumn('message_wamid', 'text')
    .addColumn('contact_id', 'text')
    .addColumn('mime_type', 'text')
    .addColumn('sha256', 'text')
    .addColumn('size_bytes', 'bigint')
    .addColumn('filename', 'text')
    .addColumn('storage_path', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('media_files_contact').on('media_files').column('contact_id').execute();

  await db.schema.alterTable('jobs').addColumn('locked_until', 'bigint').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('jobs').dropColumn('locked_until').execute();
  for (const table of ['media_files', 'consent_events', 'outbound_messages', 'business_numbers']) {
    await db.schema.dropTable(table).execute();
  }
}
