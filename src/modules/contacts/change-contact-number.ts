import type { DbExecutor } from '../../db/database.js';
import { contactRepository } from './contact.repository.js';
import type { ContactsDeps } from './contacts.deps.js';
import type { Contact, ObservedIdentity } from './core/contact.js';
import { observedPhone, resolveContact } from './resolve-contact.js';

/** Moves everything that points at one contact (timeline, reactions, …) to another. */
export type MoveContactReferences = (exec: DbExecutor, fromContactId: string, toContactId: string) => Promise<void>;

export type NumberChange = {
  from: ObservedIdentity;
  newWaId: string | null;
  /** WhatsApp gives the user a new BSUID with the new number. */
  newBsuid: string | null;
};

/**
 * `user_changed_number`: the same person now writes from another number. The contact keeps its
 * id, name and history and takes the new number. If the new number already has a contact of its
 * own (its messages can arrive before the system message), that contact is folded into this one.
 */
export async function changeContactNumber(
  exec: DbExecutor,
  change: NumberChange,
  moveReferences: MoveContactReferences,
  deps: ContactsDeps,
): Promise<Contact> {
  const contact = await resolveContact(exec, change.from, deps);
  const phone = observedPhone(change.newWaId);
  const duplicates = [
    ...(phone ? await contactRepository.findByMatchKey(exec, phone.matchKey) : []),
    ...(change.newBsuid ? [await contactRepository.findByBsuid(exec, change.newBsuid)] : []),
  ].filter((c): c is Contact => c !== undefined && c.id !== contact.id);

  for (const duplicate of new Map(duplicates.map((c) => [c.id, c])).values()) {
    await moveReferences(exec, duplicate.id, contact.id);
    await contactRepository.delete(exec, duplicate.id);
  }
  return contactRepository.update(
    exec,
    contact,
    {
      ...(phone ? { phone: phone.phone, phoneMatchKey: phone.matchKey, waId: change.newWaId } : {}),
      ...(change.newBsuid ? { bsuid: change.newBsuid } : {}),
    },
    deps.clock.now(),
  );
}

/** `user_id_update`: the user's BSUID changed; the contact follows it. */
export async function changeContactBsuid(exec: DbExecutor, previous: string, current: string, deps: ContactsDeps): Promise<Contact | undefined> {
  const contact = await contactRepository.findByBsuid(exec, previous);
  if (!contact) return undefined;
  return contactRepository.update(exec, contact, { bsuid: current }, deps.clock.now());
}
