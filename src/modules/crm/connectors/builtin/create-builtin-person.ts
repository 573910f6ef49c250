import type { DbExecutor } from '../../../../db/database.js';
import { AppError, err, ok, type Result } from '../../../../platform/errors.js';
import { createContact } from '../../../contacts/index.js';
import type { BuiltinCrmDeps } from './builtin-deps.js';
import { builtinPeopleRepository, type BuiltinPerson } from './builtin-people.repository.js';
import { updateBuiltinPerson } from './update-builtin-person.js';

export type NewBuiltinPerson = {
  name: string | null;
  phone: string;
  email?: string | null;
  locale?: string | null;
  tags?: string[];
  ownerId?: string | null;
  lifecycleStage?: string | null;
  fields?: Record<string, string | null>;
  switchboardKey?: string | null;
};

/**
 * A person created in the built-in CRM: a contact (phone normalised to E.164) and its CRM data,
 * recorded in the change feed. A number that is already a contact is refused
 * (CONTACT_PHONE_TAKEN) unless `adoptExisting`, where that contact becomes the person: a sync
 * client upserting by key must not fail because the person wrote on WhatsApp first.
 */
export async function createBuiltinPerson(
  exec: DbExecutor,
  input: NewBuiltinPerson,
  deps: BuiltinCrmDeps,
  options: { adoptExisting?: boolean } = {},
): Promise<Result<{ person: BuiltinPerson; created: boolean }>> {
  const fields = Object.fromEntries(Object.entries(input.fields ?? {}).filter(([, v]) => v !== null));
  const made = await createContact(exec, { name: input.name, phone: input.phone, locale: input.locale ?? null, fields }, deps);
  if (!made.ok) {
    const existingId = made.error.code === 'CONTACT_PHONE_TAKEN' ? (made.error.details?.['contactId'] as string | undefined) : undefined;
    if (!options.adoptExisting || !existingId) return made;
    const adopted = await updateBuiltinPerson(
      exec,
      existingId,
      {
        ...(input.name ? { name: input.name } : {}),
        ...(input.email !== undefined ? { email: input.email } : {}),
        ...(input.tags !== undefined ? { tags: input.tags } : {}),
        ...(input.ownerId !== undefined ? { ownerId: input.ownerId } : {}),
        ...(input.lifecycleStage !== undefined ? { lifecycleStage: input.lifecycleStage } : {}),
        ...(input.fields !== undefined ? { fields: input.fields } : {}),
        ...(input.switchboardKey ? { switchboardKey: input.switchboardKey } : {}),
      },
      deps,
    );
    return adopted.ok ? ok({ person: adopted.value, created: false }) : adopted;
  }
  const now = deps.clock.now();
  const contactId = made.value.id;
  await builtinPeopleRepository.writeExtra(
    exec,
    contactId,
    {
      switchboardKey: input.switchboardKey ?? null,
      email: input.email ?? null,
      tags: dedupe(input.tags ?? []),
      ownerId: input.ownerId ?? null,
      lifecycleStage: input.lifecycleStage ?? null,
    },
    now,
  );
  await builtinPeopleRepository.recordChange(exec, contactId, 'person.created', now);
  const person = await builtinPeopleRepository.get(exec, contactId);
  if (!person) return err(new AppError('CRM_PERSON_NOT_FOUND', `No person ${contactId}.`));
  return ok({ person, created: true });
}

export function dedupe(tags: string[]): string[] {
  return [...new Set(tags.map((t) => t.trim()).filter(Boolean))];
}
