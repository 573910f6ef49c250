/**
 * The company behind the Pipedrive fake: persons, person fields (with label options), notes and
 * activities in memory, with the rules the connector relies on (a person needs a name; custom
 * fields and labels must exist; whole-second add_time/update_time; search over stored text).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Clock } from '../../../../../platform/clock.js';

export type Contact = { value: string; primary: boolean; label: string };
export type StoredPerson = {
  id: number;
  name: string;
  first_name: string | null;
  last_name: string | null;
  owner_id: number;
  emails: Contact[];
  phones: Contact[];
  label_ids: number[];
  custom: Record<string, unknown>;
  addTime: number;
  updateTime: number;
  /** Exact ms of the last change (search lag is measured from here). */
  changedAt: number;
};
export type FieldOption = { id: number; label: string; color?: string };
export type StoredField = { id: number; key: string; name: string; field_type: string; options?: FieldOption[]; edit_flag: boolean; add_visible_flag: boolean };
export type StoredNote = { id: number; content: string; person_id: number; user_id: number; addTime: number; updateTime: number };
export type StoredActivity = { id: number; subject: string; type: string; person_id: number; user_id: number; due_date: string | null; due_time: string | null; note: string | null; done: boolean; addTime: number };
export type WebhookEvent = { meta: Record<string, unknown>; data: Record<string, unknown> | null; previous: Record<string, unknown> | null };

/** A validation failure, answered 400 (or `status`) in Pipedrive's envelope. */
export class PipedriveFakeError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
export const ACTIVITY_TYPES = ['call', 'meeting', 'task', 'deadline', 'email', 'lunch'];
const second = (ms: number) => Math.floor(ms / 1000) * 1000;
export const rfc3339 = (ms: number) => new Date(second(ms)).toISOString().replace('.000Z', 'Z');
export const v1Time = (ms: number) => new Date(second(ms)).toISOString().slice(0, 19).replace('T', ' ');

export class PipedriveFakeStore {
  readonly persons = new Map<number, StoredPerson>();
  readonly notes = new Map<number, StoredNote>();
  readonly activities = new Map<number, StoredActivity>();
  readonly fields: StoredField[] = [];
  readonly webhookEvents: WebhookEvent[] = [];
  searchLagMs = 0;
  private nextPersonId = 101;
  private nextNoteId = 5001;
  private nextActivityId = 9001;
  private nextFieldId = 9050;
  private nextLabelId = 30;

  constructor(
    readonly clock: Clock,
    readonly userIds: number[],
    withKeyField: boolean,
  ) {
    const standard: [string, string, string][] = [
      ['name', 'Name', 'varchar'],
      ['first_name', 'First name', 'varchar'],
      ['last_name', 'Last name', 'varchar'],
      ['phone', 'Phone', 'phone'],
      ['email', 'Email', 'varchar'],
      ['owner_id', 'Owner', 'user'],
      ['org_id', 'Organization', 'org'],
      ['add_time', 'Person created', 'date'],
      ['update_time', 'Update time', 'date'],
    ];
    for (const [key, name, type] of standard) this.fields.push({ id: this.nextFieldId++, key, name, field_type: type, edit_flag: false, add_visible_flag: true });
    this.fields.push({
      id: this.nextFieldId++,
      key: 'label_ids',
      name: 'Labels',
      field_type: 'set',
      edit_flag: false,
      add_visible_flag: true,
      options: [
        { id: 5, label: 'Customer', color: 'green' },
        { id: 6, label: 'Hot lead', color: 'red' },
        { id: 7, label: 'Warm lead', color: 'yellow' },
        { id: 8, label: 'Cold lead', color: 'blue' },
      ],
    });
    if (withKeyField) this.addCustomField('switchboard_id');
    // The fields of the default field mapping (README.md's setup).
    this.addCustomField('budget');
    this.addCustomField('wa_opt_out');
  }

  get defaultUser(): number {
    return this.userIds[0] as number;
  }

  /** A Text custom field, keyed by a 40-hex hash as Pipedrive's are. */
  addCustomField(name: string): StoredField {
    const existing = this.fields.find((f) => f.name === name && /^[0-9a-f]{40}$/.test(f.key));
    if (existing) return existing;
    const field: StoredField = { id: this.nextFieldId++, key: createHash('sha1').update(`field:${name}:${randomUUID()}`).digest('hex'), name, field_type: 'varchar', edit_flag: true, add_visible_flag: false };
    this.fields.push(field);
    return field;
  }

  customField(key: string): StoredField | undefined {
    return this.fields.find((f) => f.key === key && /^[0-9a-f]{40}$/.test(f.key));
  }

  get labelField(): StoredField {
    return this.fields.find((f) => f.key === 'label_ids') as StoredField;
  }

  /** A label id by name, created when `create` (as a user adding a label in the app). */
  labelId(name: string, create: boolean): number | undefined {
    const options = this.labelField.options as FieldOption[];
    const found = options.find((o) => o.label.toLowerCase() === name.toLowerCase());
    if (found || !create) return found?.id;
    const option = { id: this.nextLabelId++, label: name, color: 'gray' };
    options.push(option);
    return option.id;
  }

  // ---- persons -----------------------------------------------------------------------------

  /** The v2 shape (API and webhooks v2; webhooks wrap custom values as `{type, value}`). */
  view(p: StoredPerson, forWebhook = false): Record<string, unknown> {
    const custom: Record<string, unknown> = {};
    for (const field of this.fields.filter((f) => /^[0-9a-f]{40}$/.test(f.key))) {
      const value = p.custom[field.key] ?? null;
      custom[field.key] = forWebhook && value !== null ? { type: field.field_type, value } : value;
    }
    return {
      id: p.id,
      name: p.name,
      first_name: p.first_name,
      last_name: p.last_name,
      owner_id: p.owner_id,
      org_id: null,
      add_time: rfc3339(p.addTime),
      update_time: rfc3339(p.updateTime),
      emails: p.emails,
      phones: p.phones,
      is_deleted: false,
      visible_to: 3,
      label_ids: p.label_ids,
      picture_id: null,
      custom_fields: custom,
    };
  }

  /**
   * Applies a v2 create/patch body. `existing` null = create. Throws PipedriveFakeError with
   * Pipedrive-like messages.
   */
  write(existing: StoredPerson | null, body: Record<string, unknown>, source: 'api' | 'app'): StoredPerson {
    const before = existing ? this.view(existing, true) : null;
    const next: StoredPerson = existing
      ? { ...existing, emails: [...existing.emails], phones: [...existing.phones], label_ids: [...existing.label_ids], custom: { ...existing.custom } }
      : { id: 0, name: '', first_name: null, last_name: null, owner_id: this.defaultUser, emails: [], phones: [], label_ids: [], custom: {}, addTime: 0, updateTime: 0, changedAt: 0 };
    if ('name' in body) {
      if (typeof body.name !== 'string' || body.name.trim() === '') throw new PipedriveFakeError(400, 'Validation failed: name: Parameter name must be a non-empty string', 'ERR_SCHEMA_VALIDATION_FAILED');
      next.name = body.name.trim();
      const [first, ...rest] = next.name.split(/\s+/);
      next.first_name = first ?? null;
      next.last_name = rest.length > 0 ? rest.join(' ') : null;
    } else if (!existing) {
      throw new PipedriveFakeError(400, 'Validation failed: name: Parameter name is required', 'ERR_SCHEMA_VALIDATION_FAILED');
    }
    if ('owner_id' in body) {
      if (!Number.isInteger(body.owner_id) || (body.owner_id as number) <= 0) throw new PipedriveFakeError(400, 'Validation failed: owner_id: Parameter owner_id must be a positive integer', 'ERR_SCHEMA_VALIDATION_FAILED');
      next.owner_id = body.owner_id as number;
    }
    for (const list of ['emails', 'phones'] as const) {
      if (!(list in body)) continue;
      const value = body[list];
      if (!Array.isArray(value) || !value.every((c) => c && typeof c === 'object' && typeof (c as Contact).value === 'string')) {
        throw new PipedriveFakeError(400, `Validation failed: ${list}: Parameter ${list} must be an array of {value, primary, label}`, 'ERR_SCHEMA_VALIDATION_FAILED');
      }
      const contacts = (value as Contact[]).map((c, i) => ({ value: c.value, primary: c.primary ?? i === 0, label: c.label ?? (list === 'emails' ? 'work' : 'mobile') }));
      if (list === 'emails' && contacts.some((c) => !EMAIL.test(c.value))) throw new PipedriveFakeError(400, 'Validation failed: emails: Invalid email address', 'ERR_SCHEMA_VALIDATION_FAILED');
      next[list] = contacts;
    }
    if ('label_ids' in body) {
      const ids = body.label_ids;
      const known = new Set((this.labelField.options ?? []).map((o) => o.id));
      if (!Array.isArray(ids) || !ids.every((id) => Number.isInteger(id) && known.has(id as number))) throw new PipedriveFakeError(400, 'Validation failed: label_ids: Label not found', 'ERR_SCHEMA_VALIDATION_FAILED');
      next.label_ids = [...new Set(ids as number[])];
    }
    if ('custom_fields' in body) {
      const custom = body.custom_fields;
      if (!custom || typeof custom !== 'object' || Array.isArray(custom)) throw new PipedriveFakeError(400, 'Validation failed: custom_fields: must be an object', 'ERR_SCHEMA_VALIDATION_FAILED');
      for (const [key, value] of Object.entries(custom as Record<string, unknown>)) {
        if (!this.customField(key)) throw new PipedriveFakeError(400, `Validation failed: custom_fields: Unknown custom field ${key}`, 'ERR_SCHEMA_VALIDATION_FAILED');
        if (value !== null && typeof value !== 'string' && typeof value !== 'number') throw new PipedriveFakeError(400, `Validation failed: custom_fields.${key}: must be a string`, 'ERR_SCHEMA_VALIDATION_FAILED');
        if (typeof value === 'string' && value.length > 255) throw new PipedriveFakeError(400, `Validation failed: custom_fields.${key}: longer than 255 characters`, 'ERR_SCHEMA_VALIDATION_FAILED');
        next.custom[key] = value;
      }
    }
    const now = this.clock.now();
    next.updateTime = second(now);
    next.changedAt = now;
    if (!existing) {
      next.id = this.nextPersonId++;
      next.addTime = second(now);
    }
    this.persons.set(next.id, next);
    const previous: Record<string, unknown> | null = before ? {} : null;
    if (before && previous) {
      const after = this.view(next, true);
      for (const [k, v] of Object.entries(before)) if (JSON.stringify(after[k]) !== JSON.stringify(v)) previous[k] = v;
    }
    this.emit(existing ? 'change' : 'create', next, previous, source);
    return next;
  }

  private emit(action: 'create' | 'change', person: StoredPerson, previous: Record<string, unknown> | null, source: 'api' | 'app'): void {
    this.webhookEvents.push({
      meta: {
        action,
        entity: 'person',
        entity_id: String(person.id),
        id: randomUUID(),
        company_id: '7654321',
        correlation_id: randomUUID(),
        host: 'fakecompany.pipedrive.com',
        is_bulk_edit: false,
        timestamp: new Date(this.clock.now()).toISOString(),
        type: 'general',
        user_id: String(this.defaultUser),
        version: '2.0',
        webhook_id: '123',
        webhook_owner_id: String(this.defaultUser),
        change_source: source,
        permitted_user_ids: [String(this.defaultUser)],
        attempt: 1,
      },
      data: this.view(person, true),
      previous,
    });
  }

  searchable(p: StoredPerson): boolean {
    return this.clock.now() - p.changedAt >= this.searchLagMs;
  }

  /** Search over stored text: `exact_match` is a whole-value, case-insensitive match; otherwise a substring. */
  matches(p: StoredPerson, term: string, fields: string[], exact: boolean): boolean {
    const t = term.toLowerCase();
    const hit = (value: unknown) => typeof value === 'string' && (exact ? value.toLowerCase() === t : value.toLowerCase().includes(t));
    if (fields.includes('name') && hit(p.name)) return true;
    if (fields.includes('phone') && p.phones.some((c) => hit(c.value))) return true;
    if (fields.includes('email') && p.emails.some((c) => hit(c.value))) return true;
    if (fields.includes('custom_fields') && Object.values(p.custom).some((v) => hit(typeof v === 'number' ? String(v) : v))) return true;
    if (fields.includes('notes') && [...this.notes.values()].some((n) => n.person_id === p.id && hit(n.content))) return true;
    return false;
  }

  // ---- notes and activities ----------------------------------------------------------------

  addNote(personId: number, content: string): StoredNote {
    const now = second(this.clock.now());
    const note: StoredNote = { id: this.nextNoteId++, content, person_id: personId, user_id: this.defaultUser, addTime: now, updateTime: now };
    this.notes.set(note.id, note);
    return note;
  }

  addActivity(activity: Omit<StoredActivity, 'id' | 'addTime'>): StoredActivity {
    const stored: StoredActivity = { ...activity, id: this.nextActivityId++, addTime: second(this.clock.now()) };
    this.activities.set(stored.id, stored);
    return stored;
  }
}
