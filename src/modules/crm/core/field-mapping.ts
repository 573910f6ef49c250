/**
 * Which CRM field feeds which Switchboard field (a contact's custom field), in which direction,
 * and how the value is transformed on the way. Pure: the configuration is read elsewhere.
 *
 * Rules:
 * - `from_crm`/`both` entries copy the CRM's value into the contact (only mapped fields are copied:
 *   a CRM record has hundreds of properties).
 * - `to_crm`/`both` entries rename a Switchboard field to its CRM field on the way out. A field
 *   without an entry keeps its name: an automation rule that writes `budget` writes the CRM's `budget`.
 * - Transforms apply in the direction of travel; `e164` reads national numbers with the region.
 */
import { z } from 'zod';
import type { CrmKind } from '../crm-connector.js';
// A pure core file of the contacts module: phone normalisation for the `e164` transform.
// eslint-disable-next-line no-restricted-imports
import { normalisePhone } from '../../contacts/core/phone.js';

export const FIELD_TRANSFORMS = ['none', 'e164', 'lowercase', 'uppercase', 'trim'] as const;

const FieldName = z.string().trim().min(1).max(200);

export const fieldMappingSchema = z.object({
  crm: FieldName,
  switchboard: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'must be a contact field name (letters, digits, _)'),
  direction: z.enum(['to_crm', 'from_crm', 'both']).default('both'),
  transform: z.enum(FIELD_TRANSFORMS).default('none'),
});

export type FieldMapping = z.infer<typeof fieldMappingSchema>;
export type FieldMap = readonly FieldMapping[];

const CONNECTOR_KINDS = ['builtin', 'hubspot', 'salesforce', 'zoho', 'pipedrive'] as const;

/** `CRM_FIELD_MAP`: a list (for the configured connector) or a list per connector kind. */
const fieldMapListSchema = z.array(fieldMappingSchema);
const fieldMapPerKindSchema = z.partialRecord(z.enum(CONNECTOR_KINDS), fieldMapListSchema);
export const fieldMapConfigSchema = z.union([fieldMapListSchema, fieldMapPerKindSchema]);

/** Parses either shape, reporting the issue of the shape the input has (not the union's vague one). */
export function parseFieldMapConfig(raw: unknown): ReturnType<typeof fieldMapConfigSchema.safeParse> {
  return Array.isArray(raw) ? fieldMapListSchema.safeParse(raw) : fieldMapPerKindSchema.safeParse(raw);
}

const m = (crm: string, switchboard: string, direction: FieldMapping['direction'], transform: FieldMapping['transform'] = 'none'): FieldMapping => ({
  crm,
  switchboard,
  direction,
  transform,
});

/** What each CRM calls the fields most hubs need: the opt-out flag we write, and what sales sets. */
export const DEFAULT_FIELD_MAPS: Record<CrmKind, FieldMap> = {
  builtin: [],
  hubspot: [
    m('wa_opt_out', 'opt_out', 'to_crm'),
    m('lifecyclestage', 'lifecycle_stage', 'from_crm'),
    m('hs_lead_status', 'lead_status', 'from_crm'),
    m('company', 'company', 'from_crm'),
    m('city', 'city', 'from_crm'),
    m('budget', 'budget', 'both'),
  ],
  salesforce: [
    m('WhatsApp_Opt_Out__c', 'opt_out', 'to_crm'),
    m('LeadSource', 'lead_source', 'from_crm'),
    m('MailingCity', 'city', 'from_crm'),
    m('Budget__c', 'budget', 'both'),
  ],
  zoho: [
    m('WhatsApp_Opt_Out', 'opt_out', 'to_crm'),
    m('Lead_Source', 'lead_source', 'from_crm'),
    m('Mailing_City', 'city', 'from_crm'),
    m('Budget', 'budget', 'both'),
  ],
  pipedrive: [
    m('wa_opt_out', 'opt_out', 'to_crm'),
    m('org_name', 'company', 'from_crm'),
    m('label', 'lead_status', 'from_crm'),
    m('budget', 'budget', 'both'),
  ],
};

/**
 * The map for a connector: the defaults, with configured entries replacing defaults that map the
 * same Switchboard field or the same CRM field.
 */
export function resolveFieldMap(kind: CrmKind, configured: z.infer<typeof fieldMapConfigSchema> | undefined): FieldMap {
  const own = configured === undefined ? [] : Array.isArray(configured) ? configured : (configured[kind] ?? []);
  const kept = DEFAULT_FIELD_MAPS[kind].filter((d) => !own.some((o) => o.switchboard === d.switchboard || o.crm === d.crm));
  return [...kept, ...own];
}

export function applyTransform(value: string | null, transform: FieldMapping['transform'], region: string | undefined): string | null {
  if (value === null) return null;
  switch (transform) {
    case 'none':
      return value;
    case 'trim':
      return value.trim();
    case 'lowercase':
      return value.toLowerCase();
    case 'uppercase':
      return value.toUpperCase();
    case 'e164': {
      const parsed = normalisePhone(value, region);
      return parsed.ok ? parsed.e164 : value;
    }
  }
}

const outward = (d: FieldMapping['direction']) => d === 'to_crm' || d === 'both';
const inward = (d: FieldMapping['direction']) => d === 'from_crm' || d === 'both';

/** Switchboard field values → the CRM's field names (unmapped fields keep their names). */
export function toCrmFields(map: FieldMap, fields: Record<string, string | null>, region?: string): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const [name, value] of Object.entries(fields)) {
    const entries = map.filter((e) => e.switchboard === name);
    if (entries.length === 0) {
      out[name] = value;
      continue;
    }
    for (const entry of entries) if (outward(entry.direction)) out[entry.crm] = applyTransform(value, entry.transform, region);
  }
  return out;
}

/** A CRM record's fields → Switchboard field values, mapped fields only. */
export function fromCrmFields(map: FieldMap, crmFields: Record<string, string | null>, region?: string): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const entry of map) {
    if (!inward(entry.direction) || !(entry.crm in crmFields)) continue;
    out[entry.switchboard] = applyTransform(crmFields[entry.crm] ?? null, entry.transform, region);
  }
  return out;
}

/** The CRM field our opt-out flag is written to, if the map has one. */
export function optOutField(map: FieldMap): string | null {
  return map.find((e) => e.switchboard === 'opt_out' && outward(e.direction))?.crm ?? null;
}
