import { contactRepository, type Contact } from '../../contacts/index.js';
import type { CrmPerson, CrmPersonInput } from '../crm-connector.js';
import { phoneSearchVariants } from '../core/phone-search-variants.js';
import { splitName } from '../connectors/builtin/person-name.js';
import { crmLinksRepository, type CrmLink } from './crm-links.repository.js';
import type { CrmSyncDeps } from './crm-sync.deps.js';

export type LinkOutcome = { link: CrmLink; how: 'linked' | 'key' | 'phone' | 'created' };

/**
 * The CRM record of a contact, found or made without ever making a second one:
 * 1. our link row;
 * 2. the record holding our key (the contact id) — a lookup, not a search, so a record we created
 *    a moment ago is found even while the CRM's search index lags;
 * 3. the first record found by phone (every spelling of the number) that holds no key yet (or
 *    the key of a contact erased since): we write our key onto it, so step 2 finds it from now on;
 * 4. otherwise an upsert on our key, which the CRM turns into one record however often it runs.
 */
export async function ensureCrmLink(contact: Contact, deps: CrmSyncDeps): Promise<LinkOutcome> {
  const existing = await crmLinksRepository.byContact(deps.db, deps.connector.kind, contact.id);
  if (existing) return { link: existing, how: 'linked' };
  const found = await findCrmRecord(contact, deps);
  if (found) return saveCrmLink(contact, found.person, found.how, deps);
  const created = await deps.connector.upsertPerson(newPersonInput(contact));
  return saveCrmLink(contact, created, 'created', deps);
}

/** Steps 2 and 3: the record holding our key, else a record found by phone (which gets our key). */
export async function findCrmRecord(contact: Contact, deps: CrmSyncDeps): Promise<{ person: CrmPerson; how: 'key' | 'phone' } | null> {
  const { connector, db } = deps;
  const byKey = await connector.findByKey(contact.id);
  if (byKey) return { person: byKey, how: 'key' };

  if (contact.phone) {
    const candidates = await connector.findByPhone(phoneSearchVariants(contact.phone, deps.defaultRegion));
    for (const candidate of candidates) {
      // A record keyed for another contact is that contact's, unless that contact is gone (erased).
      if (candidate.switchboardKey !== null && candidate.switchboardKey !== contact.id && (await contactRepository.findById(db, candidate.switchboardKey))) continue;
      if (await crmLinksRepository.byCrmId(db, connector.kind, candidate.crmId)) continue;
      return { person: await connector.updatePerson(candidate.crmId, { switchboardKey: contact.id }), how: 'phone' };
    }
  }
  return null;
}

/** Step 4's input: the person upserted on our key. */
export function newPersonInput(contact: Contact): CrmPersonInput & { switchboardKey: string } {
  const name = splitName(contact.name ?? contact.profileName);
  return {
    switchboardKey: contact.id,
    firstName: name.firstName,
    // CRMs refuse a person without a last name (Salesforce, Zoho): the number stands in for it.
    lastName: name.lastName ?? contact.phone ?? 'WhatsApp contact',
    ...(contact.phone ? { phone: contact.phone } : {}),
  };
}

export async function saveCrmLink(contact: Contact, person: Pick<CrmPerson, 'crmId' | 'url'>, how: LinkOutcome['how'], deps: CrmSyncDeps): Promise<LinkOutcome> {
  const link = await crmLinksRepository.link(deps.db, { connector: deps.connector.kind, contactId: contact.id, crmId: person.crmId, url: person.url }, deps.clock.now());
  if (!link) throw new Error(`CRM record ${person.crmId} is linked to another contact.`);
  return { link, how };
}
