import type { DbExecutor } from '../../db/database.js';
import { ONE_ROW } from '../../db/one-row.js';
import { builtinPeopleRepository } from '../crm/index.js';
import { INBOUND } from '../timeline/index.js';
import type { AutomationEvent } from './core/automation-event.js';
import { withCrmChange, type ContactFacts } from './core/evaluate-rule.js';

/**
 * What conditions and placeholders read about the contact: the contact and its CRM record as
 * Switchboard holds them now (name, phone, locale, fields, tags, owner: the CRM module keeps this
 * view current for every connector, rules' own writes included), and the last CRM state the
 * engine saw in a `crm.person_changed`, which is the "before" of the next CRM change.
 */

type Snapshot = { tags: string[]; fields: Record<string, unknown>; ownerId: string | null; occurredAt: number };

async function snapshotOf(exec: DbExecutor, contactId: string): Promise<Snapshot | null> {
  const row = await exec.selectFrom('automation_crm_snapshots').selectAll().where('contact_id', '=', contactId).executeTakeFirst();
  if (!row) return null;
  return { tags: JSON.parse(row.tags) as string[], fields: JSON.parse(row.fields) as Record<string, unknown>, ownerId: row.owner_id, occurredAt: Number(row.occurred_at) };
}

/** Whether no inbound message of the contact came before this one. */
async function isFirstMessage(exec: DbExecutor, event: AutomationEvent): Promise<boolean> {
  if (event.type !== 'message.received') return false;
  const earlier = await exec
    .selectFrom('messages')
    .select('id')
    .where('contact_id', '=', event.contactId)
    .where('direction', '=', INBOUND)
    .where('wamid', '!=', String(event['wamid']))
    .where('wa_timestamp', '<=', event.occurredAt)
    .limit(ONE_ROW)
    .executeTakeFirst();
  return earlier === undefined;
}

/** The facts for an event, or null when the contact no longer exists (erased, merged). */
export async function loadContactFacts(exec: DbExecutor, event: AutomationEvent): Promise<ContactFacts | null> {
  const person = await builtinPeopleRepository.get(exec, event.contactId);
  if (!person) return null;
  const { contact } = person;
  const snapshot = await snapshotOf(exec, event.contactId);
  const base: ContactFacts = {
    id: contact.id,
    name: contact.name ?? contact.profileName,
    phone: contact.phone,
    locale: contact.locale,
    // Fields an external CRM reported and the contact does not hold still count.
    fields: { ...(snapshot?.fields ?? {}), ...contact.fields },
    tags: person.tags,
    ownerId: person.ownerId,
    previous: snapshot ? { fields: snapshot.fields, tags: snapshot.tags } : null,
    firstMessage: await isFirstMessage(exec, event),
  };
  return withCrmChange(base, event);
}

/** Remembers a CRM change as the contact's CRM state, unless a later one is already known. */
export async function rememberCrmChange(exec: DbExecutor, event: AutomationEvent, now: number): Promise<void> {
  if (event.type !== 'crm.person_changed') return;
  const values = {
    connector: String(event['connector'] ?? ''),
    crm_id: String(event['crmId'] ?? ''),
    tags: JSON.stringify(Array.isArray(event['tags']) ? event['tags'] : []),
    fields: JSON.stringify(event['fields'] ?? {}),
    owner_id: typeof event['ownerId'] === 'string' ? event['ownerId'] : null,
    occurred_at: event.occurredAt,
    updated_at: now,
  };
  await exec
    .insertInto('automation_crm_snapshots')
    .values({ contact_id: event.contactId, ...values })
    .onConflict((oc) => oc.column('contact_id').doUpdateSet(values).where('automation_crm_snapshots.occurred_at', '<=', event.occurredAt))
    .execute();
}
