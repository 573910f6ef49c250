import type { DbExecutor } from '../../../../db/database.js';
import type { CrmTaskTable } from '../../../../db/crm-tables.js';

export type BuiltinTask = {
  id: string;
  contactId: string;
  subject: string;
  body: string | null;
  dueAt: number | null;
  ownerId: string | null;
  status: 'open' | 'done';
  createdAt: number;
  updatedAt: number;
};

function toTask(row: CrmTaskTable): BuiltinTask {
  return {
    id: row.id,
    contactId: row.contact_id,
    subject: row.subject,
    body: row.body,
    dueAt: row.due_at === null ? null : Number(row.due_at),
    ownerId: row.owner_id,
    status: row.status === 'done' ? 'done' : 'open',
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export const builtinTasksRepository = {
  /** Inserts unless a task with the same idempotency key exists; returns whichever is stored. */
  async insertOnce(exec: DbExecutor, task: BuiltinTask & { idempotencyKey: string | null }): Promise<BuiltinTask> {
    const { idempotencyKey, ...t } = task;
    await exec
      .insertInto('crm_tasks')
      .values({
        id: t.id,
        contact_id: t.contactId,
        idempotency_key: idempotencyKey,
        subject: t.subject,
        body: t.body,
        due_at: t.dueAt,
        owner_id: t.ownerId,
        status: t.status,
        created_at: t.createdAt,
        updated_at: t.updatedAt,
      })
      .onConflict((oc) => oc.column('idempotency_key').doNothing())
      .execute();
    const row = idempotencyKey
      ? await exec.selectFrom('crm_tasks').selectAll().where('idempotency_key', '=', idempotencyKey).executeTakeFirstOrThrow()
      : await exec.selectFrom('crm_tasks').selectAll().where('id', '=', t.id).executeTakeFirstOrThrow();
    return toTask(row);
  },

  async get(exec: DbExecutor, id: string): Promise<BuiltinTask | null> {
    const row = await exec.selectFrom('crm_tasks').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toTask(row) : null;
  },

  async list(exec: DbExecutor, filter: { contactId?: string; ownerId?: string; status?: 'open' | 'done'; limit: number }): Promise<BuiltinTask[]> {
    let query = exec.selectFrom('crm_tasks').selectAll().orderBy('created_at', 'desc').orderBy('id').limit(filter.limit);
    if (filter.contactId) query = query.where('contact_id', '=', filter.contactId);
    if (filter.ownerId) query = query.where('owner_id', '=', filter.ownerId);
    if (filter.status) query = query.where('status', '=', filter.status);
    return (await query.execute()).map(toTask);
  },

  async setStatus(exec: DbExecutor, id: string, status: 'open' | 'done', now: number): Promise<void> {
    await exec.updateTable('crm_tasks').set({ status, updated_at: now }).where('id', '=', id).execute();
  },
};

export const builtinActivitiesRepository = {
  /** Logs once per idempotency key (the wamid or our message id); returns the activity's id. */
  async insertOnce(
    exec: DbExecutor,
    activity: { id: string; contactId: string; idempotencyKey: string; direction: string; body: string; occurredAt: number; now: number },
  ): Promise<string> {
    const message = await exec
      .selectFrom('messages')
      .select('id')
      .where((eb) => eb.or([eb('wamid', '=', activity.idempotencyKey), eb('id', '=', activity.idempotencyKey)]))
      .executeTakeFirst();
    await exec
      .insertInto('crm_activities')
      .values({
        id: activity.id,
        contact_id: activity.contactId,
        idempotency_key: activity.idempotencyKey,
        message_id: message?.id ?? null,
        direction: activity.direction,
        body: activity.body,
        occurred_at: activity.occurredAt,
        created_at: activity.now,
      })
      .onConflict((oc) => oc.column('idempotency_key').doNothing())
      .execute();
    const row = await exec.selectFrom('crm_activities').select('id').where('idempotency_key', '=', activity.idempotencyKey).executeTakeFirstOrThrow();
    return row.id;
  },

  async ofContact(exec: DbExecutor, contactId: string): Promise<{ id: string; body: string; direction: string; messageId: string | null; occurredAt: number }[]> {
    const rows = await exec.selectFrom('crm_activities').selectAll().where('contact_id', '=', contactId).orderBy('occurred_at').orderBy('id').execute();
    return rows.map((r) => ({ id: r.id, body: r.body, direction: r.direction, messageId: r.message_id, occurredAt: Number(r.occurred_at) }));
  },
};
