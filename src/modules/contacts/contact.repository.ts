import type { ContactTable, DbExecutor } from '../../db/database.js';
import { preparedQuery } from '../../db/prepared-query.js';
import type { Contact, ContactPatch } from './core/contact.js';

/** A contact as the domain sees it, from its row (other modules reading contacts joined with their own tables use it too). */
export function toContact(row: ContactTable): Contact {
  return {
    id: row.id,
    name: row.name,
    phone: row.phone,
    phoneMatchKey: row.phone_match_key,
    waId: row.wa_id,
    bsuid: row.bsuid,
    profileName: row.profile_name,
    locale: row.locale,
    fields: row.fields ? (JSON.parse(row.fields) as Record<string, unknown>) : {},
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function toRow(contact: Contact): ContactTable {
  return {
    id: contact.id,
    name: contact.name,
    phone: contact.phone,
    phone_match_key: contact.phoneMatchKey,
    wa_id: contact.waId,
    bsuid: contact.bsuid,
    profile_name: contact.profileName,
    locale: contact.locale,
    fields: Object.keys(contact.fields).length > 0 ? JSON.stringify(contact.fields) : null,
    created_at: contact.createdAt,
    updated_at: contact.updatedAt,
  };
}

function toColumns(patch: ContactPatch): Partial<ContactTable> {
  const columns: Partial<ContactTable> = {};
  if ('name' in patch) columns.name = patch.name ?? null;
  if ('phone' in patch) columns.phone = patch.phone ?? null;
  if ('phoneMatchKey' in patch) columns.phone_match_key = patch.phoneMatchKey ?? null;
  if ('waId' in patch) columns.wa_id = patch.waId ?? null;
  if ('bsuid' in patch) columns.bsuid = patch.bsuid ?? null;
  if ('profileName' in patch) columns.profile_name = patch.profileName ?? null;
  if ('locale' in patch) columns.locale = patch.locale ?? null;
  if ('fields' in patch) columns.fields = patch.fields && Object.keys(patch.fields).length > 0 ? JSON.stringify(patch.fields) : null;
  return columns;
}

// How every inbound message and API send finds its contact: prepared once (src/db/prepared-query.ts).
const contactByBsuid = preparedQuery((db, v: { bsuid: string }) => db.selectFrom('contacts').selectAll().where('bsuid', '=', v.bsuid));
const contactsByMatchKey = preparedQuery((db, v: { matchKey: string }) =>
  db.selectFrom('contacts').selectAll().where('phone_match_key', '=', v.matchKey).orderBy('created_at').orderBy('id'),
);

export const contactRepository = {
  async findById(exec: DbExecutor, id: string): Promise<Contact | undefined> {
    const row = await exec.selectFrom('contacts').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toContact(row);
  },

  async findByBsuid(exec: DbExecutor, bsuid: string): Promise<Contact | undefined> {
    const row = await contactByBsuid.first(exec, { bsuid });
    return row && toContact(row);
  },

  /** Every contact whose number is a WhatsApp variant of the key, oldest first (the original record wins). */
  async findByMatchKey(exec: DbExecutor, matchKey: string): Promise<Contact[]> {
    const { rows } = await contactsByMatchKey.execute(exec, { matchKey });
    return rows.map(toContact);
  },

  async insert(exec: DbExecutor, contact: Contact): Promise<Contact> {
    await exec
      .insertInto('contacts')
      .values(toRow(contact))
      .execute();
    return contact;
  },

  /**
   * Inserts a contact unless one with the same phone exists, and returns whichever is stored.
   * Concurrent requests for one new number (PostgreSQL) then share a contact instead of failing
   * on the unique phone: the loser waits for the winner's commit and reads its row.
   */
  async insertOrGetByPhone(exec: DbExecutor, contact: Contact & { phone: string }): Promise<Contact> {
    await exec
      .insertInto('contacts')
      .values(toRow(contact))
      .onConflict((oc) => oc.column('phone').doNothing())
      .execute();
    const row = await exec.selectFrom('contacts').selectAll().where('phone', '=', contact.phone).executeTakeFirstOrThrow();
    return toContact(row);
  },

  async update(exec: DbExecutor, contact: Contact, patch: ContactPatch, now: number): Promise<Contact> {
    if (Object.keys(patch).length === 0) return contact;
    await exec
      .updateTable('contacts')
      .set({ ...toColumns(patch), updated_at: now })
      .where('id', '=', contact.id)
      .execute();
    return { ...contact, ...patch, updatedAt: now };
  },

  async delete(exec: DbExecutor, id: string): Promise<void> {
    await exec.deleteFrom('contacts').where('id', '=', id).execute();
  },
};
