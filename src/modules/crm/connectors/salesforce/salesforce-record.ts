import type { CrmPerson, CrmPersonInput } from '../../crm-connector.js';
import { CrmError } from '../../crm-error.js';
import { isApiName, parseSalesforceDateTime } from './salesforce-query.js';

/** Our key on the Contact: an External ID, Unique text field (README.md). */
export const KEY_FIELD = 'Switchboard_Id__c';
/** Tags: a multi-select picklist, values joined by `;` as the API writes them. */
export const TAGS_FIELD = 'Switchboard_Tags__c';
/** Task external ids: one per logged message, one per task we create. */
export const MESSAGE_ID_FIELD = 'Switchboard_Message_Id__c';
export const TASK_ID_FIELD = 'Switchboard_Task_Id__c';

export const PHONE_FIELDS = ['Phone', 'MobilePhone', 'HomePhone', 'OtherPhone'] as const;

/** Contact fields every read selects; `CrmPerson.fields` carries the rest (custom fields and `readFields`). */
export const CONTACT_FIELDS = ['Id', 'FirstName', 'LastName', 'Email', ...PHONE_FIELDS, 'OwnerId', 'CreatedDate', 'LastModifiedDate', 'SystemModstamp', KEY_FIELD, TAGS_FIELD];

/** Fields a caller's `fields` may not set: they belong to the mapping above. */
const RESERVED_FIELDS = new Set(['Id', KEY_FIELD, TAGS_FIELD]);

export type SalesforceRecord = Record<string, unknown> & { Id: string };

export type RecordMapping = {
  instanceUrl: string;
  /** Extra Contact fields read into `CrmPerson.fields` (standard ones such as `Title` or `LeadSource`). */
  readFields: string[];
  phoneField: 'MobilePhone' | 'Phone';
};

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

function fieldText(value: unknown): string | null | undefined {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined; // compound fields (addresses) and relationships are not field values
}

export function tagsOf(value: unknown): string[] {
  return typeof value === 'string' ? value.split(';').map((t) => t.trim()).filter((t) => t !== '') : [];
}

export function toPerson(record: SalesforceRecord, mapping: RecordMapping): CrmPerson {
  const phones: string[] = [];
  for (const field of PHONE_FIELDS) {
    const phone = text(record[field]);
    if (phone && !phones.includes(phone)) phones.push(phone);
  }
  const fields: Record<string, string | null> = {};
  for (const name of mapping.readFields) fields[name] = null;
  for (const [name, value] of Object.entries(record)) {
    if (name === 'attributes' || CONTACT_FIELDS.includes(name)) continue;
    if (!name.endsWith('__c') && !mapping.readFields.includes(name)) continue;
    const v = fieldText(value);
    if (v !== undefined) fields[name] = v;
  }
  return {
    crmId: record.Id,
    switchboardKey: text(record[KEY_FIELD]),
    firstName: text(record['FirstName']),
    lastName: text(record['LastName']),
    phones,
    email: text(record['Email']),
    ownerId: text(record['OwnerId']),
    tags: tagsOf(record[TAGS_FIELD]),
    fields,
    url: `${mapping.instanceUrl}/lightning/r/Contact/${record.Id}/view`,
    updatedAt: parseSalesforceDateTime(record['LastModifiedDate']),
  };
}

function tagsValue(tags: string[]): string | null {
  const out: string[] = [];
  for (const raw of tags) {
    const tag = raw.trim();
    if (tag === '') continue;
    // The API separates multi-select values with ';', so a tag cannot contain one.
    if (tag.includes(';')) throw new CrmError('CRM_REJECTED', `A Salesforce multi-select picklist value cannot contain ';' (tag "${tag}").`);
    if (!out.includes(tag)) out.push(tag);
  }
  return out.length > 0 ? out.join(';') : null;
}

/**
 * The Contact body for a write. Absent input properties are left out (Salesforce keeps the stored
 * value); LastName and OwnerId cannot be emptied on a Contact, so null leaves them as they are.
 */
export function contactBody(input: CrmPersonInput, mapping: RecordMapping): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(input.fields ?? {})) {
    if (!isApiName(name)) throw new CrmError('CRM_MISCONFIGURED', `"${name}" is not a Salesforce field API name; check the field mapping.`);
    if (RESERVED_FIELDS.has(name)) continue;
    body[name] = value;
  }
  if (input.firstName !== undefined) body['FirstName'] = input.firstName;
  if (input.lastName !== undefined && input.lastName !== null && input.lastName.trim() !== '') body['LastName'] = input.lastName;
  if (input.phone !== undefined) body[mapping.phoneField] = input.phone;
  if (input.email !== undefined) body['Email'] = input.email;
  if (input.ownerId !== undefined && input.ownerId !== null) body['OwnerId'] = input.ownerId;
  if (input.tags !== undefined) body[TAGS_FIELD] = tagsValue(input.tags);
  return body;
}

/**
 * The LastName for a Contact Salesforce would otherwise refuse to create (REQUIRED_FIELD_MISSING):
 * a WhatsApp profile often has one name only, or none.
 */
export function placeholderLastName(body: Record<string, unknown>, input: CrmPersonInput): { LastName: string; FirstName?: null } {
  const first = text(body['FirstName']);
  if (first) return { LastName: first, FirstName: null };
  return { LastName: text(input.phone) ?? text(input.email) ?? 'WhatsApp contact' };
}

/**
 * An external id value as one URL path segment. `.` and `..` would be resolved away by URL parsing
 * (turning a lookup into a different resource), and Salesforce text external ids hold 255 characters.
 */
export function externalIdSegment(value: string): string | null {
  if (value === '' || value === '.' || value === '..' || value.length > 255) return null;
  return encodeURIComponent(value);
}
