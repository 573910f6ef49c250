import type { ContactTable, DbExecutor } from '../../../../db/database.js';
import type { CrmPersonTable } from '../../../../db/crm-tables.js';
import { toContact, type Contact } from '../../../contacts/index.js';

/** A person of the built-in CRM: the contact row and the CRM data 0004 adds beside it. */
export type BuiltinPerson = {
  contact: Contact;
  switchboardKey: string | null;
  email: string | null;
  tags: string[];
  ownerId: string | null;
  lifecycleStage: string | null;
  /** The later of the contact's and the CRM data's last change. */
  updatedAt: number;
};

export type BuiltinExtra = Partial<Pick<BuiltinPerson, 'switchboardKey' | 'email' | 'tags' | 'ownerId' | 'lifecycleStage'>>;

type Row = ContactTable & { [K in keyof Omit<CrmPersonTable, 'contact_id'> as `p_${K}`]: CrmPersonTable[K] | null };

function toPerson(row: Row): BuiltinPerson {
  const contact = toContact(row);
  return {
    contact,
    switchboardKey: row.p_switchboard_key,
    email: row.p_email,
    tags: row.p_tags ? (JSON.parse(row.p_tags) as string[]) : [],
    ownerId: row.p_owner_id,
    lifecycleStage: row.p_lifecycle_stage,
    updatedAt: Math.max(contact.updatedAt, Number(row.p_updated_at ?? 0)),
  };
}

function people(exec: DbExecutor) {
  return exec
    .selectFrom('contacts')
    .leftJoin('crm_people', 'crm_people.contact_id', 'contacts.id')
    .selectAll('contacts')
    .select([
      'crm_people.switchboard_key as p_switchboard_key',
      'crm_people.email as p_email',
      'crm_people.tags as p_tags',
      'crm_people.owner_id as p_owner_id',
      'crm_people.lifecycle_stage as p_lifecycle_stage',
      'crm_people.created_at as p_created_at',
      'crm_people.updated_at as p_updated_at',
    ]);
}

export const builtinPeopleRepository = {
  async get(exec: DbExecutor, contactId: string): Promise<BuiltinPerson | null> {
    const row = await people(exec).where('contacts.id', '=', contactId).executeTakeFirst();
    return row ? toPerson(row as Row) : null;
  },

  async byKey(exec: DbExecutor, key: string): Promise<BuiltinPerson | null> {
    const row = await people(exec).where('crm_people.switchboard_key', '=', key).executeTakeFirst();
    return row ? toPerson(row as Row) : null;
  },

  async byEmail(exec: DbExecutor, email: string): Promise<BuiltinPerson[]> {
    const rows = await people(exec).where('crm_people.email', '=', email.trim().toLowerCase()).orderBy('contacts.created_at').execute();
    return rows.map((r) => toPerson(r as Row));
  },

  async byMatchKeys(exec: DbExecutor, keys: string[]): Promise<BuiltinPerson[]> {
    if (keys.length === 0) return [];
    const rows = await people(exec).where('contacts.phone_match_key', 'in', keys).orderBy('contacts.created_at').orderBy('contacts.id').execute();
    return rows.map((r) => toPerson(r as Row));
  },

  /** Contacts in id order after `afterId`; one more than `limit` tells whether a next page exists. */
  async page(exec: DbExecutor, afterId: string | null, limit: number): Promise<BuiltinPerson[]> {
    let query = people(exec).orderBy('contacts.id').limit(limit);
    if (afterId !== null) query = query.where('contacts.id', '>', afterId);
    return (await query.execute()).map((r) => toPerson(r as Row));
  },

  async writeExtra(exec: DbExecutor, contactId: string, extra: BuiltinExtra, now: number): Promise<void> {
    const columns: Partial<CrmPersonTable> = {};
    if (extra.switchboardKey !== undefined) columns.switchboard_key = extra.switchboardKey;
    if (extra.email !== undefined) columns.email = extra.email === null ? null : extra.email.trim().toLowerCase();
    if (extra.tags !== undefined) columns.tags = JSON.stringify(extra.tags);
    if (extra.ownerId !== undefined) columns.owner_id = extra.ownerId;
    if (extra.lifecycleStage !== undefined) columns.lifecycle_stage = extra.lifecycleStage;
    await exec
      .insertInto('crm_people')
      .values({
        contact_id: contactId,
        switchboard_key: columns.switchboard_key ?? null,
        email: columns.email ?? null,
        tags: columns.tags ?? '[]',
        owner_id: columns.owner_id ?? null,
        lifecycle_stage: columns.lifecycle_stage ?? null,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.column('contact_id').doUpdateSet({ ...columns, updated_at: now }))
      .execute();
  },

  async recordChange(exec: DbExecutor, contactId: string, kind: 'person.created' | 'person.updated', now: number): Promise<void> {
    await exec.insertInto('crm_changes').values({ contact_id: contactId, kind, occurred_at: now }).execute();
  },

  async lastChangeSeq(exec: DbExecutor): Promise<number> {
    const row = await exec.selectFrom('crm_changes').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirst();
    return Number(row?.seq ?? 0);
  },

  async changesAfter(exec: DbExecutor, seq: number, limit: number): Promise<{ seq: number; contact_id: string; kind: string; occurred_at: number }[]> {
    const rows = await exec.selectFrom('crm_changes').selectAll().where('seq', '>', seq).orderBy('seq').limit(limit).execute();
    return rows.map((r) => ({ ...r, seq: Number(r.seq), occurred_at: Number(r.occurred_at) }));
  },
};
