import { CrmError, type CrmPerson, type CrmPersonInput } from '../../index.js';
import { isApiName } from './zoho-coql.js';
import type { ZohoRecord } from './zoho.schema.js';

/** The phone-type fields of Contacts and Leads, in the order a person's numbers are listed. */
export const ZOHO_PHONE_FIELDS = ['Mobile', 'Phone', 'Home_Phone', 'Other_Phone', 'Asst_Phone'] as const;

export type ZohoPersonShape = {
  module: string;
  keyField: string;
  /** Where `CrmPersonInput.phone` is written. */
  phoneField: string;
  /** `https://crm.zoho.eu/crm/tab`; null when the record URL is not known. */
  webTabUrl: string | null;
};

const asString = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value : null);

/** A Zoho record as a CrmPerson. `fields` holds every scalar field by its API name. */
export function toCrmPerson(record: ZohoRecord, shape: ZohoPersonShape): CrmPerson {
  const rec = record as Record<string, unknown>;
  const phones: string[] = [];
  for (const name of ZOHO_PHONE_FIELDS) {
    const value = asString(rec[name]);
    if (value && !phones.includes(value)) phones.push(value);
  }
  const owner = rec.Owner;
  const ownerId = owner && typeof owner === 'object' && 'id' in owner ? String((owner as { id: unknown }).id) : null;
  const tags = Array.isArray(rec.Tag)
    ? rec.Tag.flatMap((tag: unknown) => (tag && typeof tag === 'object' && typeof (tag as { name?: unknown }).name === 'string' ? [(tag as { name: string }).name] : []))
    : [];
  const fields: Record<string, string | null> = {};
  for (const [name, value] of Object.entries(rec)) {
    if (name.startsWith('$')) continue;
    if (value === null) fields[name] = null;
    else if (typeof value === 'string') fields[name] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') fields[name] = String(value);
  }
  const modified = asString(rec.Modified_Time);
  const updatedAt = modified ? Date.parse(modified) : NaN;
  return {
    crmId: record.id,
    switchboardKey: asString(rec[shape.keyField]),
    firstName: asString(rec.First_Name),
    lastName: asString(rec.Last_Name),
    phones,
    email: asString(rec.Email),
    ownerId,
    tags,
    fields,
    url: shape.webTabUrl ? `${shape.webTabUrl}/${shape.module}/${record.id}` : null,
    updatedAt: Number.isNaN(updatedAt) ? null : updatedAt,
  };
}

/**
 * The record body for an insert, update or upsert: only the properties the input carries (Zoho
 * leaves absent fields alone), our key always. Tags are written through the tag actions instead.
 */
export function toZohoRecord(input: CrmPersonInput, shape: ZohoPersonShape): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(input.fields ?? {})) {
    if (!isApiName(name)) throw new CrmError('CRM_MISCONFIGURED', `A mapped Zoho field must be an API name (letters, digits, _): ${JSON.stringify(name)}.`);
    record[name] = value;
  }
  if (input.firstName !== undefined) record.First_Name = input.firstName;
  if (input.lastName !== undefined) record.Last_Name = input.lastName;
  if (input.email !== undefined) record.Email = input.email;
  if (input.phone !== undefined) record[shape.phoneField] = input.phone;
  if (input.ownerId !== undefined) record.Owner = input.ownerId === null ? null : { id: input.ownerId };
  record[shape.keyField] = input.switchboardKey;
  return record;
}
