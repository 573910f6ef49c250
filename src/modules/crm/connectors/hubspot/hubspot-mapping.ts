/**
 * CrmPerson ↔ HubSpot contact properties, and the properties of the engagements we write.
 * Pure: no I/O.
 */
import type { CrmActivityInput, CrmPerson, CrmPersonInput, CrmTaskInput } from '../../crm-connector.js';
import { CrmError } from '../../crm-error.js';

/** The contact property holding our key (unique value). */
export const KEY_PROPERTY = 'switchboard_id';
/** The contact property holding tags, `;`-separated (HubSpot's multi-value spelling). */
export const TAGS_PROPERTY = 'switchboard_tags';
/** The communication property holding the message's idempotency key (unique value). */
export const MESSAGE_KEY_PROPERTY = 'switchboard_message_id';
/** The task property holding the task's idempotency key (unique value). */
export const TASK_KEY_PROPERTY = 'switchboard_task_id';

/** HubSpot-defined association types (v4 `…/labels`): communication → contact, task → contact. */
export const COMMUNICATION_TO_CONTACT = 81;
export const TASK_TO_CONTACT = 204;

export type HubspotObject = { id: string; properties?: Record<string, string | null | undefined>; createdAt?: string; updatedAt?: string };

const CORE = ['firstname', 'lastname', 'email', 'phone', 'mobilephone', 'hubspot_owner_id', KEY_PROPERTY, TAGS_PROPERTY] as const;
const SYSTEM = new Set(['hs_object_id', 'createdate', 'lastmodifieddate']);
/** Properties a caller may not write through `fields` (ours, or HubSpot's read-only ones). */
const RESERVED = new Set<string>([KEY_PROPERTY, ...SYSTEM]);

export function contactProperties(extra: Iterable<string>): string[] {
  return [...new Set<string>([...CORE, 'createdate', 'lastmodifieddate', ...extra])];
}

export function recordUrl(portalId: string | undefined, id: string): string | null {
  return portalId ? `https://app.hubspot.com/contacts/${encodeURIComponent(portalId)}/record/0-1/${encodeURIComponent(id)}` : null;
}

function text(value: string | null | undefined): string | null {
  return value === undefined || value === null || value === '' ? null : value;
}

export function splitTags(value: string | null | undefined): string[] {
  if (!value) return [];
  return [...new Set(value.split(';').map((t) => t.trim()).filter((t) => t !== ''))];
}

/** Epoch ms from HubSpot's date spellings (ISO 8601 or a long). */
export function hubspotMs(value: string | null | undefined): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

export function toPerson(object: HubspotObject, portalId: string | undefined): CrmPerson {
  const p = object.properties ?? {};
  const phones = [...new Set([text(p['phone']), text(p['mobilephone'])].filter((v): v is string => v !== null))];
  const fields: Record<string, string | null> = {};
  for (const [name, value] of Object.entries(p)) {
    if ((CORE as readonly string[]).includes(name) || SYSTEM.has(name)) continue;
    fields[name] = text(value);
  }
  return {
    crmId: object.id,
    switchboardKey: text(p[KEY_PROPERTY]),
    firstName: text(p['firstname']),
    lastName: text(p['lastname']),
    phones,
    email: text(p['email']),
    ownerId: text(p['hubspot_owner_id']),
    tags: splitTags(p[TAGS_PROPERTY]),
    fields,
    url: recordUrl(portalId, object.id),
    updatedAt: hubspotMs(object.updatedAt) ?? hubspotMs(p['lastmodifieddate']),
  };
}

/** HubSpot clears a property written as "". */
const clearable = (value: string | null) => (value === null ? '' : value);

/** The properties to write for `input`; absent inputs are left out (left as they are in HubSpot). */
export function personProperties(input: CrmPersonInput, phoneProperty: string): Record<string, string> {
  assertKey(input.switchboardKey);
  const props: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.fields ?? {})) {
    if (RESERVED.has(name)) throw new CrmError('CRM_REJECTED', `The field ${name} is managed by Switchboard or HubSpot and cannot be written.`);
    if (!/^[a-z0-9_]{1,100}$/i.test(name)) throw new CrmError('CRM_REJECTED', 'A field name is not a HubSpot property name.');
    props[name] = clearable(value);
  }
  if (input.firstName !== undefined) props['firstname'] = clearable(input.firstName);
  if (input.lastName !== undefined) props['lastname'] = clearable(input.lastName);
  if (input.email !== undefined) props['email'] = clearable(input.email === null ? null : input.email.trim());
  if (input.phone !== undefined) props[phoneProperty] = clearable(input.phone);
  if (input.ownerId !== undefined) props['hubspot_owner_id'] = clearable(input.ownerId);
  if (input.tags !== undefined) {
    const tags = [...new Set(input.tags.map((t) => t.trim()).filter((t) => t !== ''))];
    if (tags.some((t) => t.includes(';'))) throw new CrmError('CRM_REJECTED', 'A tag cannot contain ";" (HubSpot separates values with it).');
    props[TAGS_PROPERTY] = tags.join(';');
  }
  props[KEY_PROPERTY] = input.switchboardKey;
  return props;
}

export function assertKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.trim() === '' || key.length > 255) throw new CrmError('CRM_REJECTED', 'A Switchboard key must be a non-empty string of at most 255 characters.');
}

/** HubSpot record ids are numeric; anything else cannot name a record (and must not reach a URL path unchecked). */
export function isRecordId(id: unknown): id is string {
  return typeof id === 'string' && /^\d{1,20}$/.test(id);
}

/** The body is rich text in HubSpot: the message's text is escaped so that it shows as typed. */
export function escapeBody(body: string): string {
  return body.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r?\n/g, '<br>');
}

export function communicationInput(input: CrmActivityInput) {
  validateActivity(input);
  return {
    properties: {
      hs_communication_channel_type: 'WHATS_APP',
      hs_communication_logged_from: 'CRM',
      hs_communication_body: escapeBody(input.body),
      hs_timestamp: new Date(input.occurredAt).toISOString(),
      [MESSAGE_KEY_PROPERTY]: input.idempotencyKey,
    },
    associations: [{ to: { id: input.crmId }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: COMMUNICATION_TO_CONTACT }] }],
  };
}

function validateActivity(input: CrmActivityInput): void {
  if (!isRecordId(input.crmId)) throw new CrmError('CRM_NOT_FOUND', 'HubSpot has no such record.');
  assertKey(input.idempotencyKey);
  if (typeof input.body !== 'string') throw new CrmError('CRM_REJECTED', 'An activity needs a body.');
  if (input.direction !== 'inbound' && input.direction !== 'outbound') throw new CrmError('CRM_REJECTED', 'An activity direction is inbound or outbound.');
  if (!Number.isFinite(input.occurredAt)) throw new CrmError('CRM_REJECTED', 'An activity needs occurredAt (epoch ms).');
}

export function taskInput(input: CrmTaskInput, now: number) {
  if (!isRecordId(input.crmId)) throw new CrmError('CRM_NOT_FOUND', 'HubSpot has no such record.');
  assertKey(input.idempotencyKey);
  if (typeof input.subject !== 'string' || input.subject.trim() === '') throw new CrmError('CRM_REJECTED', 'A task needs a subject.');
  if (input.dueAt !== null && !Number.isFinite(input.dueAt)) throw new CrmError('CRM_REJECTED', 'A task due date is epoch ms or null.');
  const properties: Record<string, string> = {
    hs_task_subject: input.subject,
    hs_task_status: 'NOT_STARTED',
    hs_task_type: 'TODO',
    // hs_timestamp is the task's due date and HubSpot requires it: no due date means "now".
    hs_timestamp: new Date(input.dueAt ?? now).toISOString(),
    [TASK_KEY_PROPERTY]: input.idempotencyKey,
  };
  if (input.body !== null) properties['hs_task_body'] = escapeBody(input.body);
  if (input.ownerId !== null) properties['hubspot_owner_id'] = input.ownerId;
  return {
    properties,
    associations: [{ to: { id: input.crmId }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: TASK_TO_CONTACT }] }],
  };
}
