import type { DbExecutor } from '../../db/database.js';
import { AppError, err, ok, type Result } from '../../platform/errors.js';
import { contactRepository } from './contact.repository.js';
import type { ContactsDeps } from './contacts.deps.js';
import type { Contact } from './core/contact.js';
import { lookupPhone } from './lookup-phone.js';

function newContact(deps: ContactsDeps, fields: Partial<Contact>): Contact {
  const now = deps.clock.now();
  return { id: deps.ids.next(), name: null, phone: null, phoneMatchKey: null, waId: null, bsuid: null, profileName: null, locale: null, fields: {}, createdAt: now, updatedAt: now, ...fields };
}

/** The contact for a phone in any format (WhatsApp's country variants included), created if new. */
export async function findOrCreateContactByPhone(exec: DbExecutor, phone: string, deps: ContactsDeps): Promise<Result<Contact>> {
  const parsed = lookupPhone(phone, deps.defaultRegion);
  if (!parsed.ok) return err(new AppError('CONTACT_PHONE_INVALID', parsed.message, { field: 'to' }));
  const [existing] = await contactRepository.findByMatchKey(exec, parsed.matchKey);
  if (existing) return ok(existing);
  return ok(await contactRepository.insertOrGetByPhone(exec, { ...newContact(deps, { phoneMatchKey: parsed.matchKey }), phone: parsed.e164 }));
}

/** The contact for a BSUID, created if new (a username-only WhatsApp user). */
export async function findOrCreateContactByBsuid(exec: DbExecutor, bsuid: string, deps: ContactsDeps): Promise<Contact> {
  return (await contactRepository.findByBsuid(exec, bsuid)) ?? contactRepository.insert(exec, newContact(deps, { bsuid }));
}
