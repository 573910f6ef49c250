import { createHash } from 'node:crypto';
import type { DbExecutor } from '../../../db/database.js';
import type { Clock } from '../../../platform/clock.js';
import type { IdGenerator } from '../../../platform/ids.js';
import { contactRepository, normalisePhone, phoneMatchKey, type Contact } from '../../contacts/index.js';
import type { EventPublisher } from '../../events/index.js';
import type { CrmChange, CrmKind } from '../crm-connector.js';
import { fromCrmFields, type FieldMap } from '../core/field-mapping.js';
import { builtinPeopleRepository } from '../connectors/builtin/builtin-people.repository.js';
import { joinName } from '../connectors/builtin/person-name.js';
import { crmLinksRepository } from './crm-links.repository.js';
import { recordSnapshot } from './snapshot.js';

export type ApplyChangeDeps = {
  connector: CrmKind;
  fieldMap: FieldMap;
  clock: Clock;
  ids: IdGenerator;
  defaultRegion: string | undefined;
  /** null: apply without telling subscribers (backfill must not greet a whole CRM). */
  publish: EventPublisher | null;
};

export type AppliedChange = {
  contactId: string | null;
  how: 'linked' | 'key' | 'phone' | 'created' | 'no_phone' | 'conflict';
  published: boolean;
  /** The record does not hold our key yet: write it back (`crm.update_person`). */
  writeKey: boolean;
};

/**
 * A CRM record as it is now, brought into Switchboard: its contact found (link, our key, the
 * number's match key — national numbers read with DEFAULT_REGION) or created, mapped fields and
 * the name copied, and `crm.person_changed` published when anything that matters changed.
 */
export async function applyCrmChange(exec: DbExecutor, change: CrmChange, deps: ApplyChangeDeps): Promise<AppliedChange> {
  const { person } = change;
  const now = deps.clock.now();
  let how: AppliedChange['how'] = 'linked';
  let link = await crmLinksRepository.byCrmId(exec, deps.connector, person.crmId);
  let contact: Contact | undefined = link ? await contactRepository.findById(exec, link.contactId) : undefined;

  if (!contact && person.switchboardKey) {
    const keyed = await contactRepository.findById(exec, person.switchboardKey);
    if (keyed && !(await crmLinksRepository.byContact(exec, deps.connector, keyed.id))) {
      contact = keyed;
      how = 'key';
    }
  }
  const phones = person.phones.map((p) => normalisePhone(p, deps.defaultRegion)).flatMap((p) => (p.ok ? [p.e164] : []));
  if (!contact) {
    for (const phone of phones) {
      const [match] = await contactRepository.findByMatchKey(exec, phoneMatchKey(phone));
      if (!match) continue;
      // The contact is another record's already: the CRM holds a duplicate, which we do not merge.
      if (await crmLinksRepository.byContact(exec, deps.connector, match.id)) return { contactId: match.id, how: 'conflict', published: false, writeKey: false };
      contact = match;
      how = 'phone';
      break;
    }
  }
  if (!contact) {
    const phone = phones[0];
    if (!phone) return { contactId: null, how: 'no_phone', published: false, writeKey: false };
    contact = await contactRepository.insertOrGetByPhone(exec, {
      id: deps.ids.next(),
      name: joinName(person.firstName, person.lastName),
      phone,
      phoneMatchKey: phoneMatchKey(phone),
      waId: null,
      bsuid: null,
      profileName: null,
      locale: null,
      fields: {},
      createdAt: now,
      updatedAt: now,
    });
    how = 'created';
  }
  if (!link) {
    link = await crmLinksRepository.link(exec, { connector: deps.connector, contactId: contact.id, crmId: person.crmId, url: person.url }, now);
    if (!link || link.crmId !== person.crmId) return { contactId: contact.id, how: 'conflict', published: false, writeKey: false };
  }

  // The CRM is where people edit names and sales fields: its values win.
  const mapped = fromCrmFields(deps.fieldMap, person.fields, deps.defaultRegion);
  const fields: Record<string, unknown> = { ...contact.fields };
  for (const [name, value] of Object.entries(mapped)) {
    if (value === null) delete fields[name];
    else fields[name] = value;
  }
  const name = joinName(person.firstName, person.lastName);
  const patch: Parameters<typeof contactRepository.update>[2] = {};
  if (name && name !== contact.name) patch.name = name;
  if (JSON.stringify(fields) !== JSON.stringify(contact.fields)) patch.fields = fields;
  contact = await contactRepository.update(exec, contact, patch, now);
  await builtinPeopleRepository.writeExtra(exec, contact.id, { tags: person.tags, ownerId: person.ownerId, email: person.email }, now);

  const snapshot = recordSnapshot(person, deps.fieldMap, deps.defaultRegion);
  const changed = snapshot !== link.snapshot;
  if (changed) await crmLinksRepository.setSnapshot(exec, deps.connector, contact.id, snapshot, now);
  let published = false;
  if (changed && deps.publish) {
    const digest = createHash('sha256').update(snapshot).digest('hex').slice(0, 16);
    await deps.publish(exec, [
      {
        type: 'crm.person_changed',
        id: `crm:${deps.connector}:${person.crmId}:${person.updatedAt ?? change.occurredAt}:${digest}`,
        contactId: contact.id,
        change: change.kind === 'person.created' ? 'created' : 'updated',
        connector: deps.connector,
        crmId: person.crmId,
        tags: person.tags,
        fields: stringFields(contact.fields),
        ownerId: person.ownerId,
        occurredAt: change.occurredAt,
      },
    ]);
    published = true;
  }
  return { contactId: contact.id, how, published, writeKey: person.switchboardKey !== contact.id };
}

export function stringFields(fields: Record<string, unknown>): Record<string, string | null> {
  return Object.fromEntries(
    Object.entries(fields).map(([k, v]) => [k, v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v)]),
  );
}
