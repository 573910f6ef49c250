import type { DbExecutor } from '../../db/database.js';
import { inChunks, iso, parseJson } from './person-data.js';

/**
 * What the inbox, the CRM and automation hold about a contact, beside the timeline: the
 * conversations with their notes and hand-overs, the built-in CRM's record, tasks and logged
 * activities, links to external CRM records, CRM sync work still waiting, and the automation
 * runs about them (whose evaluations quote their messages and CRM fields).
 */

export type RelatedRecords = {
  conversations: Record<string, unknown>[];
  inboxTags: string[];
  crm: {
    person: Record<string, unknown> | null;
    tasks: Record<string, unknown>[];
    activities: Record<string, unknown>[];
    links: Record<string, unknown>[];
    pendingSync: Record<string, unknown>[];
  };
  automationRuns: Record<string, unknown>[];
};

export async function relatedRecords(exec: DbExecutor, contactId: string): Promise<RelatedRecords> {
  const conversations = await exec.selectFrom('conversations').selectAll().where('contact_id', '=', contactId).orderBy('created_at').orderBy('id').execute();
  const conversationIds = conversations.map((c) => c.id);
  const notes = await inChunks(conversationIds, (chunk) =>
    exec.selectFrom('conversation_notes').selectAll().where('conversation_id', 'in', chunk).orderBy('created_at').orderBy('id').execute(),
  );
  const assignments = await inChunks(conversationIds, (chunk) =>
    exec.selectFrom('conversation_assignments').selectAll().where('conversation_id', 'in', chunk).orderBy('at').orderBy('id').execute(),
  );
  const tags = await exec.selectFrom('inbox_contact_tags').select('tag').where('contact_id', '=', contactId).orderBy('tag').execute();
  const person = await exec.selectFrom('crm_people').selectAll().where('contact_id', '=', contactId).executeTakeFirst();
  const tasks = await exec.selectFrom('crm_tasks').selectAll().where('contact_id', '=', contactId).orderBy('created_at').orderBy('id').execute();
  const activities = await exec.selectFrom('crm_activities').selectAll().where('contact_id', '=', contactId).orderBy('occurred_at').orderBy('id').execute();
  const links = await exec.selectFrom('crm_links').selectAll().where('contact_id', '=', contactId).orderBy('connector').execute();
  const outbox = await exec.selectFrom('crm_outbox').selectAll().where('contact_id', '=', contactId).orderBy('seq').execute();
  const runs = await exec.selectFrom('automation_runs').selectAll().where('contact_id', '=', contactId).orderBy('started_at').orderBy('id').execute();
  const results = await inChunks(
    runs.map((r) => r.id),
    (chunk) => exec.selectFrom('automation_action_results').selectAll().where('run_id', 'in', chunk).orderBy('action_index').execute(),
  );

  return {
    conversations: conversations.map((c) => ({
      id: c.id,
      businessPhoneNumberId: c.business_phone_number_id,
      state: c.state,
      assigneeId: c.assignee_id,
      lastMessage: { text: c.last_message_text, direction: c.last_message_direction, type: c.last_message_type, at: iso(c.last_message_at) },
      lastInboundAt: iso(c.last_inbound_at),
      resolvedAt: iso(c.resolved_at),
      createdAt: iso(c.created_at),
      notes: notes.filter((n) => n.conversation_id === c.id).map((n) => ({ id: n.id, author: n.author_name, body: n.body, createdAt: iso(n.created_at) })),
      assignments: assignments
        .filter((a) => a.conversation_id === c.id)
        .map((a) => ({ from: a.from_user_id, to: a.to_user_id, by: a.actor, reason: a.reason, at: iso(a.at) })),
    })),
    inboxTags: tags.map((t) => t.tag),
    crm: {
      person: person
        ? {
            email: person.email,
            tags: parseJson(person.tags) ?? [],
            ownerId: person.owner_id,
            lifecycleStage: person.lifecycle_stage,
            createdAt: iso(person.created_at),
            updatedAt: iso(person.updated_at),
          }
        : null,
      tasks: tasks.map((t) => ({ id: t.id, subject: t.subject, body: t.body, dueAt: iso(t.due_at), ownerId: t.owner_id, status: t.status, createdAt: iso(t.created_at) })),
      activities: activities.map((a) => ({ id: a.id, messageId: a.message_id, direction: a.direction, body: a.body, occurredAt: iso(a.occurred_at) })),
      links: links.map((l) => ({ connector: l.connector, crmId: l.crm_id, url: l.url, lastSeenValues: parseJson(l.snapshot), createdAt: iso(l.created_at) })),
      pendingSync: outbox.map((o) => ({ connector: o.connector, kind: o.kind, state: o.state, event: parseJson(o.payload), createdAt: iso(o.created_at) })),
    },
    automationRuns: runs.map((r) => ({
      id: r.id,
      rule: { id: r.rule_id, name: r.rule_name },
      eventType: r.event_type,
      status: r.status,
      evaluation: parseJson(r.evaluation),
      error: r.error_code === null ? null : { code: r.error_code, message: r.error_message },
      startedAt: iso(r.started_at),
      finishedAt: iso(r.finished_at),
      actions: results
        .filter((a) => a.run_id === r.id)
        .map((a) => ({ index: a.action_index, type: a.action_type, status: a.status, code: a.code, message: a.message, detail: parseJson(a.detail) })),
    })),
  };
}

/**
 * The subscriber jobs that carry the contact's domain events (whose `contactId` is the contact;
 * automation's also as ordering key), done ones included: their payload quotes the message, and
 * a waiting CRM sync would otherwise send it out after the erasure.
 */
export async function eventJobIdsOf(exec: DbExecutor, contactId: string): Promise<string[]> {
  const jobs = await exec
    .selectFrom('jobs')
    .select('id')
    .where('name', 'like', 'event.%')
    .where((eb) => eb.or([eb('ordering_key', '=', contactId), eb('payload', 'like', `%"contactId":${JSON.stringify(contactId)}%`)]))
    .execute();
  return jobs.map((j) => j.id);
}

/**
 * Deletes those records (before the contact row). The external CRM's own record is not touched:
 * its link goes, the record stays. Returns how many rows went, per table.
 */
export async function eraseRelatedRecords(exec: DbExecutor, contactId: string): Promise<Record<string, number>> {
  const deleted: Record<string, number> = {};
  const count = (table: string, result: { numDeletedRows: bigint }) => {
    deleted[table] = (deleted[table] ?? 0) + Number(result.numDeletedRows);
  };

  const conversationIds = (await exec.selectFrom('conversations').select('id').where('contact_id', '=', contactId).execute()).map((c) => c.id);
  await inChunks(conversationIds, async (chunk) => {
    count('conversation_notes', await exec.deleteFrom('conversation_notes').where('conversation_id', 'in', chunk).executeTakeFirst());
    count('conversation_assignments', await exec.deleteFrom('conversation_assignments').where('conversation_id', 'in', chunk).executeTakeFirst());
    return [];
  });
  count('conversations', await exec.deleteFrom('conversations').where('contact_id', '=', contactId).executeTakeFirst());
  count('inbox_contact_tags', await exec.deleteFrom('inbox_contact_tags').where('contact_id', '=', contactId).executeTakeFirst());

  const runIds = (await exec.selectFrom('automation_runs').select('id').where('contact_id', '=', contactId).execute()).map((r) => r.id);
  await inChunks(runIds, async (chunk) => {
    count('automation_action_results', await exec.deleteFrom('automation_action_results').where('run_id', 'in', chunk).executeTakeFirst());
    return [];
  });
  for (const table of ['automation_runs', 'automation_handled_events', 'automation_contact_leases', 'automation_crm_snapshots'] as const) {
    count(table, await exec.deleteFrom(table).where('contact_id', '=', contactId).executeTakeFirst());
  }

  for (const table of ['crm_outbox', 'crm_changes', 'crm_activities', 'crm_tasks', 'crm_links', 'crm_people'] as const) {
    count(table, await exec.deleteFrom(table).where('contact_id', '=', contactId).executeTakeFirst());
  }

  return deleted;
}
