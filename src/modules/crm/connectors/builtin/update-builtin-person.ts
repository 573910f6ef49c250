import type { DbExecutor } from '../../../../db/database.js';
import { AppError, err, ok, type Result } from '../../../../platform/errors.js';
import { contactRepository, normalisePhone, phoneMatchKey, type Contact } from '../../../contacts/index.js';
import type { BuiltinCrmDeps } from './builtin-deps.js';
import { builtinPeopleRepository, type BuiltinExtra, type BuiltinPerson } from './builtin-people.repository.js';
import { joinName, splitName } from './person-name.js';

export type BuiltinPersonPatch = {
  /** The whole name; or firstName/lastName, each replacing its part. */
  name?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  phone?: string;
  email?: string | null;
  locale?: string | null;
  tags?: string[];
  addTags?: string[];
  removeTags?: string[];
  ownerId?: string | null;
  lifecycleStage?: string | null;
  /** Merged into the contact's fields; null removes a field. */
  fields?: Record<string, string | null>;
  switchboardKey?: string;
};

/** Changes a person of the built-in CRM and records the change in its feed. Nothing changes when nothing differs. */
export async function updateBuiltinPerson(
  exec: DbExecutor,
  contactId: string,
  patch: BuiltinPersonPatch,
  deps: BuiltinCrmDeps,
): Promise<Result<BuiltinPerson>> {
  const person = await builtinPeopleRepository.get(exec, contactId);
  if (!person) return err(new AppError('CRM_PERSON_NOT_FOUND', `No person ${contactId}.`));
  const now = deps.clock.now();
  const { contact } = person;

  const contactPatch: Partial<Pick<Contact, 'name' | 'phone' | 'phoneMatchKey' | 'locale' | 'fields'>> = {};
  if (patch.name !== undefined || patch.firstName !== undefined || patch.lastName !== undefined) {
    const current = splitName(contact.name);
    const name =
      patch.name !== undefined
        ? patch.name
        : joinName(patch.firstName !== undefined ? patch.firstName : current.firstName, patch.lastName !== undefined ? patch.lastName : current.lastName);
    if (name !== contact.name) contactPatch.name = name;
  }
  if (patch.phone !== undefined) {
    const parsed = normalisePhone(patch.phone, deps.defaultRegion);
    if (!parsed.ok) return err(new AppError('CONTACT_PHONE_INVALID', parsed.message, { field: 'phone' }));
    if (parsed.e164 !== contact.phone) {
      const taken = (await contactRepository.findByMatchKey(exec, phoneMatchKey(parsed.e164))).find((c) => c.phone === parsed.e164 && c.id !== contact.id);
      if (taken) return err(new AppError('CONTACT_PHONE_TAKEN', `A contact with ${parsed.e164} already exists.`, { contactId: taken.id }));
      contactPatch.phone = parsed.e164;
      contactPatch.phoneMatchKey = phoneMatchKey(parsed.e164);
    }
  }
  if (patch.locale !== undefined && patch.locale !== contact.locale) contactPatch.locale = patch.locale;

  const extra: BuiltinExtra = {};
  let lifecycleStage = patch.lifecycleStage;
  if (patch.fields) {
    const fields: Record<string, unknown> = { ...contact.fields };
    for (const [name, value] of Object.entries(patch.fields)) {
      // The stage is a column of its own, readable as a field so that mappings and rules can use it.
      if (name === 'lifecycle_stage') lifecycleStage = value;
      else if (value === null) delete fields[name];
      else fields[name] = value;
    }
    if (JSON.stringify(fields) !== JSON.stringify(contact.fields)) contactPatch.fields = fields;
  }
  if (lifecycleStage !== undefined && lifecycleStage !== person.lifecycleStage) extra.lifecycleStage = lifecycleStage;
  if (patch.email !== undefined && (patch.email?.trim().toLowerCase() ?? null) !== person.email) extra.email = patch.email;
  if (patch.ownerId !== undefined && patch.ownerId !== person.ownerId) extra.ownerId = patch.ownerId;
  if (patch.switchboardKey !== undefined && patch.switchboardKey !== person.switchboardKey) extra.switchboardKey = patch.switchboardKey;
  if (patch.tags !== undefined || patch.addTags !== undefined || patch.removeTags !== undefined) {
    const removed = new Set((patch.removeTags ?? []).map((t) => t.trim()));
    const tags = [...new Set([...(patch.tags ?? person.tags), ...(patch.addTags ?? [])].map((t) => t.trim()).filter((t) => t && !removed.has(t)))];
    if (JSON.stringify(tags) !== JSON.stringify(person.tags)) extra.tags = tags;
  }

  if (Object.keys(contactPatch).length === 0 && Object.keys(extra).length === 0) return ok(person);
  if (Object.keys(contactPatch).length > 0) await contactRepository.update(exec, contact, contactPatch, now);
  else await exec.updateTable('contacts').set({ updated_at: now }).where('id', '=', contact.id).execute();
  await builtinPeopleRepository.writeExtra(exec, contact.id, extra, now);
  await builtinPeopleRepository.recordChange(exec, contact.id, 'person.updated', now);
  return ok((await builtinPeopleRepository.get(exec, contact.id))!);
}
