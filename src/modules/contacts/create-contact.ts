import type { DbExecutor } from '../../db/database.js';
import { AppError, err, ok, type Result } from '../../platform/errors.js';
import { contactRepository } from './contact.repository.js';
import type { ContactsDeps } from './contacts.deps.js';
import type { Contact } from './core/contact.js';
import { normalisePhone, phoneMatchKey } from './core/phone.js';

export type CreateContactInput = { name: string | null; phone: string; locale?: string | null; fields?: Record<string, unknown> };

/**
 * Creates a contact from a number in any format (normalised to E.164). A number that is already
 * a contact — exactly — is refused with CONTACT_PHONE_TAKEN rather than duplicated.
 */
export async function createContact(exec: DbExecutor, input: CreateContactInput, deps: ContactsDeps): Promise<Result<Contact>> {
  const parsed = normalisePhone(input.phone, deps.defaultRegion);
  if (!parsed.ok) return err(new AppError('CONTACT_PHONE_INVALID', parsed.message, { field: 'phone' }));
  const matchKey = phoneMatchKey(parsed.e164);
  const sameNumber = (await contactRepository.findByMatchKey(exec, matchKey)).find((c) => c.phone === parsed.e164);
  if (sameNumber) {
    return err(new AppError('CONTACT_PHONE_TAKEN', `A contact with ${parsed.e164} already exists.`, { contactId: sameNumber.id }));
  }
  const now = deps.clock.now();
  const contact = await contactRepository.insert(exec, {
    id: deps.ids.next(),
    name: input.name,
    phone: parsed.e164,
    phoneMatchKey: matchKey,
    waId: null,
    bsuid: null,
    profileName: null,
    locale: input.locale ?? null,
    fields: input.fields ?? {},
    createdAt: now,
    updatedAt: now,
  });
  return ok(contact);
}
