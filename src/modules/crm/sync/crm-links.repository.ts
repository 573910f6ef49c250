import type { DbExecutor } from '../../../db/database.js';
import type { CrmLinkTable } from '../../../db/crm-tables.js';

export type CrmLink = { connector: string; contactId: string; crmId: string; url: string | null; snapshot: string | null };

const toLink = (row: CrmLinkTable): CrmLink => ({ connector: row.connector, contactId: row.contact_id, crmId: row.crm_id, url: row.url, snapshot: row.snapshot });

/** Which CRM record a contact is, per connector (unique both ways). */
export const crmLinksRepository = {
  async byContact(exec: DbExecutor, connector: string, contactId: string): Promise<CrmLink | null> {
    const row = await exec.selectFrom('crm_links').selectAll().where('connector', '=', connector).where('contact_id', '=', contactId).executeTakeFirst();
    return row ? toLink(row) : null;
  },

  async byCrmId(exec: DbExecutor, connector: string, crmId: string): Promise<CrmLink | null> {
    const row = await exec.selectFrom('crm_links').selectAll().where('connector', '=', connector).where('crm_id', '=', crmId).executeTakeFirst();
    return row ? toLink(row) : null;
  },

  /**
   * Links unless the contact or the record is linked already (a concurrent sync of the same
   * contact won); returns the contact's link as stored, or null when the record belongs to another contact.
   */
  async link(exec: DbExecutor, link: Omit<CrmLink, 'snapshot'> & { snapshot?: string | null }, now: number): Promise<CrmLink | null> {
    await exec
      .insertInto('crm_links')
      .values({ connector: link.connector, contact_id: link.contactId, crm_id: link.crmId, url: link.url, snapshot: link.snapshot ?? null, created_at: now, updated_at: now })
      .onConflict((oc) => oc.doNothing())
      .execute();
    const stored = await this.byContact(exec, link.connector, link.contactId);
    return stored;
  },

  async setSnapshot(exec: DbExecutor, connector: string, contactId: string, snapshot: string, now: number): Promise<void> {
    await exec.updateTable('crm_links').set({ snapshot, updated_at: now }).where('connector', '=', connector).where('contact_id', '=', contactId).execute();
  },

  async unlink(exec: DbExecutor, connector: string, contactId: string): Promise<void> {
    await exec.deleteFrom('crm_links').where('connector', '=', connector).where('contact_id', '=', contactId).execute();
  },
};

export const crmCursorsRepository = {
  async get(exec: DbExecutor, connector: string): Promise<string | null> {
    const row = await exec.selectFrom('crm_cursors').select('cursor').where('connector', '=', connector).executeTakeFirst();
    return row?.cursor ?? null;
  },
  async set(exec: DbExecutor, connector: string, cursor: string, now: number): Promise<void> {
    await exec
      .insertInto('crm_cursors')
      .values({ connector, cursor, updated_at: now })
      .onConflict((oc) => oc.column('connector').doUpdateSet({ cursor, updated_at: now }))
      .execute();
  },
};
