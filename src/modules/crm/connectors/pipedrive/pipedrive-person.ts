import type { CrmPerson } from '../../index.js';
import type { PersonFieldCatalogData } from './person-fields.catalog.js';
import type { PipedrivePerson } from './pipedrive.schema.js';

/**
 * A custom field value as text. The API gives text and numbers as they are, monetary and other
 * composite fields as objects; webhooks v2 wrap every value as `{type, value}`.
 */
export function customFieldText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'object' && 'value' in value) return customFieldText((value as { value: unknown }).value);
  return JSON.stringify(value);
}

/** Pipedrive times: RFC 3339 in v2 and webhooks, `YYYY-MM-DD HH:MM:SS` (UTC) in v1. */
export function pipedriveTime(text: string | null | undefined): number | null {
  if (!text) return null;
  const ms = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(text) ? Date.parse(`${text.replace(' ', 'T')}Z`) : Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}

/** Primary first, then the rest, without repeats. */
function values(list: PipedrivePerson['phones']): string[] {
  const sorted = [...(list ?? [])].sort((a, b) => Number(b.primary ?? false) - Number(a.primary ?? false));
  return [...new Set(sorted.map((c) => c.value).filter((v) => v.length > 0))];
}

/**
 * A person as a CrmPerson. `fields` holds every custom field by its hash key and, for mapping by
 * name, by its name as well; plus `name`, `label` (the label names) and `org_id`.
 */
export function toCrmPerson(person: PipedrivePerson, catalog: PersonFieldCatalogData, personUrlBase: string | null): CrmPerson {
  const custom = person.custom_fields ?? {};
  const tags = (person.label_ids ?? []).flatMap((id) => {
    const name = catalog.labelNameById.get(id);
    return name ? [name] : [];
  });
  const orgId = (person as Record<string, unknown>).org_id;
  const fields: Record<string, string | null> = {
    name: person.name ?? null,
    // The labels as one value, for a field mapping that reads `label` (a lead status, say).
    label: tags.length > 0 ? tags.join(', ') : null,
    org_id: typeof orgId === 'number' ? String(orgId) : null,
  };
  for (const [key, value] of Object.entries(custom)) {
    const text = customFieldText(value);
    fields[key] = text;
    const name = catalog.byKey.get(key)?.name;
    if (name && !(name in fields)) fields[name] = text;
  }
  return {
    crmId: String(person.id),
    switchboardKey: customFieldText(custom[catalog.keyFieldKey]) || null,
    firstName: person.first_name ?? null,
    lastName: person.last_name ?? null,
    phones: values(person.phones),
    email: values(person.emails)[0] ?? null,
    ownerId: person.owner_id === null || person.owner_id === undefined ? null : String(person.owner_id),
    tags,
    fields,
    url: personUrlBase ? `${personUrlBase}/person/${person.id}` : null,
    updatedAt: pipedriveTime(person.update_time),
  };
}
