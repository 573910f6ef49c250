import type { Kysely } from 'kysely';

// Templates (catalogue and its history), contact locale and fields, GDPR erasure tombstones,
// and the audit log.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('templates')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('meta_template_id', 'text')
    .addColumn('waba_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('quality', 'text')
    .addColumn('parameter_format', 'text', (c) => c.notNull())
    .addColumn('components', 'text', (c) => c.notNull())
    .addColumn('rejection_reason', 'text')
    .addColumn('status_changed_at', 'bigint')
    .addColumn('synced_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('templates_variant', ['waba_id', 'name', 'language'])
    .execute();
  await db.schema.createIndex('templates_meta_id').on('templates').column('meta_template_id').execute();

  await db.schema
    .createTable('template_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('template_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('previous_value', 'text')
    .addColumn('new_value', 'text')
    .addColumn('reason', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('template_events_template').on('template_events').columns(['template_id', 'occurred_at']).execute();

  await db.schema.alterTable('contacts').addColumn('locale', 'text').execute();
  await db.schema.alterTable('contacts').addColumn('fields', 'text').execute();

  await db.schema
    .createTable('erased_identities')
    .addColumn('identity_hash', 'text', (c) => c.primaryKey())
    .addColumn('marketing_opted_out', 'integer', (c) => c.notNull())
    .addColumn('erased_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text')
    .addColumn('target_id', 'text')
    .addColumn('details', 'text')
    .addColumn('request_id', 'text')
    .addColumn('occurred_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_log_time').on('audit_log').column('occurred_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['audit_log', 'erased_identities', 'template_events', 'templates']) await db.schema.dropTable(table).execute();
  await db.schema.alterTable('contacts').dropColumn('fields').execute();
  await db.schema.alterTable('contacts').dropColumn('locale').execute();
}
