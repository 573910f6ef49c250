import { PostgresAdapter, type Kysely } from 'kysely';

// CRM connectors: links between contacts and CRM records, the built-in CRM's tags, owner, stage and tasks, sync cursors.

export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;

  // The built-in CRM's data beyond the contact row (name, phone, locale and fields live in `contacts`).
  await db.schema
    .createTable('crm_people')
    .addColumn('contact_id', 'text', (c) => c.primaryKey().references('contacts.id').onDelete('cascade'))
    .addColumn('switchboard_key', 'text', (c) => c.unique())
    .addColumn('email', 'text')
    .addColumn('tags', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('owner_id', 'text')
    .addColumn('lifecycle_stage', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('crm_people_email').on('crm_people').column('email').execute();
  await db.schema.createIndex('crm_people_owner').on('crm_people').column('owner_id').execute();

  await db.schema
    .createTable('crm_tasks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id').onDelete('cascade'))
    .addColumn('idempotency_key', 'text', (c) => c.unique())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('body', 'text')
    .addColumn('due_at', 'bigint')
    .addColumn('owner_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('crm_tasks_contact').on('crm_tasks').columns(['contact_id', 'created_at']).execute();
  await db.schema.createIndex('crm_tasks_owner').on('crm_tasks').columns(['owner_id', 'status']).execute();

  await db.schema
    .createTable('crm_activities')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id').onDelete('cascade'))
    .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
    .addColumn('message_id', 'text')
    .addColumn('direction', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('crm_activities_contact').on('crm_activities').columns(['contact_id', 'occurred_at']).execute();

  // The built-in CRM's change feed (pollChanges): a sequence number per change.
  await db.schema
    .createTable('crm_changes')
    .addColumn('seq', postgres ? 'bigserial' : 'integer', (c) => c.primaryKey())
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'bigint', (c) => c.notNull())
    .execute();

  // Which CRM record a contact is, per connector: one record per contact and one contact per record.
  await db.schema
    .createTable('crm_links')
    .addColumn('connector', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id').onDelete('cascade'))
    .addColumn('crm_id', 'text', (c) => c.notNull())
    .addColumn('url', 'text')
    /** The mapped values last read from or written to the record, so an echo of our own write is not a change. */
    .addColumn('snapshot', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('crm_links_pk', ['connector', 'contact_id'])
    .addUniqueConstraint('crm_links_crm_id', ['connector', 'crm_id'])
    .execute();

  await db.schema
    .createTable('crm_cursors')
    .addColumn('connector', 'text', (c) => c.primaryKey())
    .addColumn('cursor', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  // Vendor tokens obtained at run time or given through the API, sealed with SWITCHBOARD_SECRET_KEY.
  await db.schema
    .createTable('crm_credentials')
    .addColumn('connector', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('value_sealed', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('crm_credentials_pk', ['connector', 'name'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['crm_credentials', 'crm_cursors', 'crm_links', 'crm_changes', 'crm_activities', 'crm_tasks', 'crm_people']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
