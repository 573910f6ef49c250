import type { Kysely } from 'kysely';

// Automation rules and their runs (the audit trail), plus the engine's bookkeeping: events
// handled, per-contact leases, and the last CRM state seen per contact.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('automation_rules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('trigger_type', 'text', (c) => c.notNull())
    .addColumn('definition', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('automation_rules_order').on('automation_rules').columns(['position', 'id']).execute();

  await db.schema
    .createTable('automation_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('rule_id', 'text', (c) => c.notNull())
    .addColumn('rule_name', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('evaluation', 'text', (c) => c.notNull())
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .addUniqueConstraint('automation_runs_once', ['rule_id', 'event_id'])
    .execute();
  await db.schema.createIndex('automation_runs_rule').on('automation_runs').columns(['rule_id', 'started_at']).execute();
  await db.schema.createIndex('automation_runs_contact').on('automation_runs').columns(['contact_id', 'started_at']).execute();

  await db.schema
    .createTable('automation_action_results')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('action_index', 'integer', (c) => c.notNull())
    .addColumn('action_type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('code', 'text')
    .addColumn('message', 'text')
    .addColumn('detail', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('automation_action_results_pk', ['run_id', 'action_index'])
    .execute();

  await db.schema
    .createTable('automation_handled_events')
    .addColumn('event_id', 'text', (c) => c.primaryKey())
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'bigint', (c) => c.notNull())
    .addColumn('handled_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('automation_contact_leases')
    .addColumn('contact_id', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('lease_until', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('automation_crm_snapshots')
    .addColumn('contact_id', 'text', (c) => c.primaryKey())
    .addColumn('connector', 'text', (c) => c.notNull())
    .addColumn('crm_id', 'text', (c) => c.notNull())
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('fields', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'text')
    .addColumn('occurred_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['automation_crm_snapshots', 'automation_contact_leases', 'automation_handled_events', 'automation_action_results', 'automation_runs', 'automation_rules']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
