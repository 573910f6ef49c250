import type { DbExecutor } from '../../db/database.js';
import { AppError, err, ok, type Result } from '../../platform/errors.js';
import { contactRepository } from './contact.repository.js';
import type { Contact } from './core/contact.js';
import { lookupPhone } from './lookup-phone.js';

export type ContactQuery = { phone?: string; bsuid?: string };

/** Finds contacts by a phone in any format (country variants included) or by BSUID. */
export async function findContacts(exec: DbExecutor, query: ContactQuery, defaultRegion: string | undefined): Promise<Result<Contact[]>> {
  if (query.bsuid !== undefined) {
    const contact = await contactRepository.findByBsuid(exec, query.bsuid);
    return ok(contact ? [contact] : []);
  }
  if (query.phone !== undefined) {
    const phone = lookupPhone(query.phone, defaultRegion);
    if (!phone.ok) return err(new AppError('CONTACT_PHONE_INVALID', phone.message, { field: 'phone' }));
    return ok(await contactRepository.findByMatchKey(exec, phone.matchKey));
  }
  return err(new AppError('CONTACT_QUERY_MISSING', 'Give ?phone= or ?bsuid= to look contacts up.'));
}
