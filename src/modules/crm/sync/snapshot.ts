import type { CrmPerson } from '../crm-connector.js';
import { fromCrmFields, type FieldMap } from '../core/field-mapping.js';

/** What of a CRM record matters to Switchboard, as a comparable string: an echo of our own write compares equal. */
export function recordSnapshot(person: CrmPerson, map: FieldMap, region: string | undefined): string {
  const fields = fromCrmFields(map, person.fields, region);
  const sorted = Object.fromEntries(Object.entries(fields).sort(([a], [b]) => a.localeCompare(b)));
  return JSON.stringify({ tags: [...person.tags].sort(), ownerId: person.ownerId, fields: sorted });
}
