/**
 * The records behind the Zoho fake: Contacts, Tasks and Notes in memory, with Zoho's rules for
 * the parts the connector relies on (mandatory Last_Name and Subject, unique fields, email
 * format, whole-second Created_Time/Modified_Time, tags by name, search over the stored text).
 */
import type { Clock } from '../../../../../platform/clock.js';
import { conditionFields, CoqlError, type CoqlCondition, type CoqlQuery, type CoqlValue } from './zoho-coql.parser.js';

export type ZohoFakeUser = { id: string; name: string; email: string };

/** A per-record write error, as Zoho puts it in `data[i]`. */
export class ZohoRecordError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown>,
  ) {
    super(message);
  }
}

type Stored = {
  id: string;
  fields: Record<string, unknown>;
  /** Whole seconds, as Zoho reports them. */
  createdAt: number;
  modifiedAt: number;
  /** Exact ms of the last change (search lag is measured from here). */
  changedAt: number;
  tags: { id: string; name: string }[];
};

export type StoredNote = { id: string; parentId: string; title: string | null; content: string; createdAt: number; modifiedAt: number };

export const PHONE_FIELDS = ['Phone', 'Mobile', 'Home_Phone', 'Other_Phone', 'Asst_Phone'];
const EMAIL_FIELDS = ['Email', 'Secondary_Email'];
const SYSTEM_FIELDS = ['id', 'Owner', 'Tag', 'Created_Time', 'Modified_Time', 'Created_By', 'Modified_By'];
const CONTACT_FIELDS = ['First_Name', 'Last_Name', 'Full_Name', 'Salutation', 'Title', 'Department', 'Description', 'Lead_Source', 'Account_Name', 'Mailing_City', 'Mailing_Country', ...PHONE_FIELDS, ...EMAIL_FIELDS];
const TASK_FIELDS = ['Subject', 'Status', 'Priority', 'Due_Date', 'Description', 'Who_Id', 'What_Id', '$se_module'];
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const MAX_TEXT = 255;

const second = (ms: number) => Math.floor(ms / 1000) * 1000;
export const zohoTime = (ms: number) => new Date(second(ms)).toISOString().replace('.000Z', '+00:00');

export type ZohoFakeStoreOptions = {
  clock: Clock;
  users: ZohoFakeUser[];
  /** Custom fields of Contacts; `Switchboard_Id` (unique) unless told otherwise. */
  contactCustomFields: { name: string; unique: boolean }[];
  /** Custom fields of Tasks; `Switchboard_Key` (unique) unless told otherwise. */
  taskCustomFields: { name: string; unique: boolean }[];
};

export class ZohoFakeStore {
  readonly contacts = new Map<string, Stored>();
  readonly tasks = new Map<string, Stored>();
  readonly notes = new Map<string, StoredNote>();
  searchLagMs = 0;
  private nextId = 3_652_397_000_000_624_001n;
  private readonly tagIds = new Map<string, string>();
  /** Field API names created on the fly by `createPersonDirectly({fields})` (as an admin would in Setup). */
  private readonly extraContactFields = new Set<string>();

  constructor(private readonly options: ZohoFakeStoreOptions) {}

  get clock(): Clock {
    return this.options.clock;
  }

  newId(): string {
    const id = this.nextId;
    this.nextId += 1n;
    return id.toString();
  }

  get defaultOwner(): ZohoFakeUser {
    return this.options.users[0] as ZohoFakeUser;
  }

  // ---- metadata ----------------------------------------------------------------------------

  fieldsOf(module: 'Contacts' | 'Tasks'): Set<string> {
    if (module === 'Tasks') return new Set([...SYSTEM_FIELDS, ...TASK_FIELDS, ...this.options.taskCustomFields.map((f) => f.name)]);
    return new Set([...SYSTEM_FIELDS, ...CONTACT_FIELDS, ...this.options.contactCustomFields.map((f) => f.name), ...this.extraContactFields]);
  }

  private uniqueFields(module: 'Contacts' | 'Tasks'): string[] {
    const custom = module === 'Tasks' ? this.options.taskCustomFields : this.options.contactCustomFields;
    return custom.filter((f) => f.unique).map((f) => f.name);
  }

  addContactField(name: string): void {
    if (!this.fieldsOf('Contacts').has(name)) this.extraContactFields.add(name);
  }

  // ---- records -----------------------------------------------------------------------------

  table(module: 'Contacts' | 'Tasks'): Map<string, Stored> {
    return module === 'Tasks' ? this.tasks : this.contacts;
  }

  /** A record as the API shows it: its fields, id, owner, tags and times. */
  view(module: 'Contacts' | 'Tasks', stored: Stored): Record<string, unknown> {
    const rec: Record<string, unknown> = { id: stored.id, ...stored.fields };
    const ownerId = (stored.fields.Owner as { id?: string } | undefined)?.id;
    const owner = this.options.users.find((u) => u.id === ownerId);
    if (ownerId) rec.Owner = { id: ownerId, name: owner?.name ?? `User ${ownerId}`, email: owner?.email ?? null };
    if (module === 'Contacts') {
      rec.Tag = stored.tags.map((t) => ({ name: t.name, id: t.id }));
      rec.Full_Name = [stored.fields.First_Name, stored.fields.Last_Name].filter((v) => typeof v === 'string' && v).join(' ');
    }
    rec.Created_Time = zohoTime(stored.createdAt);
    rec.Modified_Time = zohoTime(stored.modifiedAt);
    return rec;
  }

  /**
   * Validates and applies one record of a write. `existing` null = insert. Throws ZohoRecordError
   * with Zoho's code and details (`json_path` relative to `$.data[index]`).
   */
  write(module: 'Contacts' | 'Tasks', existing: Stored | null, input: Record<string, unknown>, index: number): Stored {
    const path = (name: string) => `$.data[${index}].${name}`;
    const fields: Record<string, unknown> = { ...(existing?.fields ?? {}) };
    for (const [name, value] of Object.entries(input)) {
      if (name === 'id' || name === 'Tag' || name === 'Created_Time' || name === 'Modified_Time' || name === 'Full_Name') continue;
      if (name === 'Owner' || name === 'Who_Id' || name === 'What_Id') {
        if (value === null && name !== 'Owner') {
          fields[name] = null;
          continue;
        }
        const id = value && typeof value === 'object' ? (value as { id?: unknown }).id : undefined;
        if (typeof id !== 'string' || !/^\d+$/.test(id)) throw new ZohoRecordError('INVALID_DATA', 'invalid data', { api_name: name, json_path: path(name), expected_data_type: 'lookup' });
        if (name === 'Who_Id' && !this.contacts.has(id)) throw new ZohoRecordError('INVALID_DATA', 'the related id given seems to be invalid', { api_name: name, json_path: path(name), id });
        fields[name] = { id };
        continue;
      }
      if (name === '$se_module') {
        fields[name] = value;
        continue;
      }
      if (value !== null && typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
        throw new ZohoRecordError('INVALID_DATA', 'invalid data', { api_name: name, json_path: path(name), expected_data_type: 'text' });
      }
      if (typeof value === 'string' && value.length > (name === 'Description' ? 32_000 : MAX_TEXT)) {
        throw new ZohoRecordError('INVALID_DATA', 'invalid data', { api_name: name, json_path: path(name), maximum_length: MAX_TEXT });
      }
      if (EMAIL_FIELDS.includes(name) && typeof value === 'string' && value !== '' && !EMAIL.test(value)) {
        throw new ZohoRecordError('INVALID_DATA', 'invalid data', { api_name: name, json_path: path(name), expected_data_type: 'email' });
      }
      if (name === 'Due_Date' && typeof value === 'string' && !/^\d{4}-\d{2}-\d{2}$/.test(value)) {
        throw new ZohoRecordError('INVALID_DATA', 'invalid data', { api_name: name, json_path: path(name), expected_data_type: 'date' });
      }
      if (module === 'Contacts' && !this.fieldsOf('Contacts').has(name)) {
        throw new ZohoRecordError('INVALID_DATA', 'invalid data', { api_name: name, json_path: path(name) });
      }
      fields[name] = value;
    }
    const mandatory = module === 'Tasks' ? 'Subject' : 'Last_Name';
    if (typeof fields[mandatory] !== 'string' || fields[mandatory] === '') {
      throw new ZohoRecordError('MANDATORY_NOT_FOUND', 'required field not found', { api_name: mandatory, json_path: path(mandatory) });
    }
    for (const unique of this.uniqueFields(module)) {
      const value = fields[unique];
      if (value === null || value === undefined || value === '') continue;
      for (const other of this.table(module).values()) {
        if (other.id !== existing?.id && other.fields[unique] === value) {
          throw new ZohoRecordError('DUPLICATE_DATA', 'duplicate data', { api_name: unique, json_path: path(unique), duplicate_record: { id: other.id, module: { api_name: module } } });
        }
      }
    }
    const now = this.clock.now();
    if (!fields.Owner) fields.Owner = { id: this.defaultOwner.id };
    if (existing) {
      existing.fields = fields;
      existing.modifiedAt = second(now);
      existing.changedAt = now;
      return existing;
    }
    const stored: Stored = { id: this.newId(), fields, createdAt: second(now), modifiedAt: second(now), changedAt: now, tags: [] };
    this.table(module).set(stored.id, stored);
    return stored;
  }

  setTags(stored: Stored, names: string[]): void {
    stored.tags = [];
    this.addTags(stored, names);
  }

  addTags(stored: Stored, names: string[]): void {
    for (const name of names) {
      if (stored.tags.some((t) => t.name.toLowerCase() === name.toLowerCase())) continue;
      let id = this.tagIds.get(name.toLowerCase());
      if (!id) {
        id = this.newId();
        this.tagIds.set(name.toLowerCase(), id);
      }
      stored.tags.push({ id, name });
    }
    this.touch(stored);
  }

  removeTags(stored: Stored, names: string[]): void {
    const drop = new Set(names.map((n) => n.toLowerCase()));
    stored.tags = stored.tags.filter((t) => !drop.has(t.name.toLowerCase()));
    this.touch(stored);
  }

  touch(stored: Stored): void {
    const now = this.clock.now();
    stored.modifiedAt = second(now);
    stored.changedAt = now;
  }

  /** Search sees a record only once its last change is older than the lag. */
  searchable(stored: Stored): boolean {
    return this.clock.now() - stored.changedAt >= this.searchLagMs;
  }

  /** `search?phone=`: a phone-type field whose stored text is the term (Zoho matches the text as typed). */
  matchesPhone(stored: Stored, term: string): boolean {
    const want = term.trim();
    return PHONE_FIELDS.some((name) => typeof stored.fields[name] === 'string' && (stored.fields[name] as string).trim() === want);
  }

  /** `search?email=`: an email field equal to the term, ignoring case. */
  matchesEmail(stored: Stored, term: string): boolean {
    const want = term.trim().toLowerCase();
    return EMAIL_FIELDS.some((name) => typeof stored.fields[name] === 'string' && (stored.fields[name] as string).toLowerCase() === want);
  }

  // ---- COQL --------------------------------------------------------------------------------

  coql(query: CoqlQuery): Record<string, unknown>[] {
    if (query.module !== 'Contacts' && query.module !== 'Tasks') throw new CoqlError('INVALID_QUERY', 'invalid module given', { module: query.module });
    const module = query.module;
    const known = this.fieldsOf(module);
    for (const column of [...query.columns, ...conditionFields(query.where), ...query.orderBy.map((o) => o.field)]) {
      if (!known.has(column)) throw new CoqlError('INVALID_QUERY', 'invalid column given', { column_name: column });
    }
    const rows = [...this.table(module).values()].map((stored) => this.view(module, stored)).filter((rec) => evaluate(query.where, rec));
    const order = query.orderBy.length > 0 ? query.orderBy : [{ field: 'id', direction: 'asc' as const }];
    rows.sort((a, b) => {
      for (const { field, direction } of order) {
        const c = compareValues(a[field], b[field], field);
        if (c !== 0) return direction === 'asc' ? c : -c;
      }
      return 0;
    });
    return rows.slice(query.offset, query.offset + query.limit).map((rec) => {
      const out: Record<string, unknown> = {};
      for (const column of query.columns) out[column] = column === 'Owner' || column === 'Who_Id' ? ((rec[column] as { id?: string } | null)?.id ? { id: (rec[column] as { id: string }).id } : null) : (rec[column] ?? null);
      if (!('id' in out)) out.id = rec.id;
      return out;
    });
  }
}

const DATE_TIME_FIELDS = new Set(['Created_Time', 'Modified_Time']);

function scalar(value: unknown): unknown {
  if (value && typeof value === 'object' && 'id' in value) return (value as { id: unknown }).id;
  return value;
}

/** Compares two field values as Zoho does for the field's type (ids as integers, times as instants). */
function compareValues(a: unknown, b: unknown, field: string): number {
  const x = scalar(a);
  const y = scalar(b);
  if (x === null || x === undefined) return y === null || y === undefined ? 0 : -1;
  if (y === null || y === undefined) return 1;
  if (DATE_TIME_FIELDS.has(field)) return Date.parse(String(x)) - Date.parse(String(y));
  if (field === 'id' || (typeof x === 'number' && typeof y === 'number')) {
    try {
      const bx = BigInt(String(x));
      const by = BigInt(String(y));
      return bx < by ? -1 : bx > by ? 1 : 0;
    } catch {
      // not integers: compare as text
    }
  }
  return String(x).localeCompare(String(y));
}

function equalValues(a: unknown, b: CoqlValue, field: string): boolean {
  const x = scalar(a);
  if (x === null || x === undefined) return b === null;
  if (b === null) return false;
  if (DATE_TIME_FIELDS.has(field)) return Date.parse(String(x)) === Date.parse(String(b));
  if (field === 'id') return String(x) === String(b);
  // Text comparisons in COQL ignore case.
  return String(x).toLowerCase() === String(b).toLowerCase();
}

function evaluate(condition: CoqlCondition, rec: Record<string, unknown>): boolean {
  switch (condition.kind) {
    case 'and':
      return evaluate(condition.left, rec) && evaluate(condition.right, rec);
    case 'or':
      return evaluate(condition.left, rec) || evaluate(condition.right, rec);
    case 'null': {
      const value = scalar(rec[condition.field]);
      const isNull = value === null || value === undefined || value === '';
      return condition.negated ? !isNull : isNull;
    }
    case 'in': {
      const hit = condition.values.some((v) => equalValues(rec[condition.field], v, condition.field));
      return condition.negated ? !hit : hit;
    }
    case 'like': {
      const value = scalar(rec[condition.field]);
      if (typeof value !== 'string') return condition.negated;
      const pattern = condition.pattern.toLowerCase();
      const text = value.toLowerCase();
      const core = pattern.replace(/^%|%$/g, '');
      const hit = pattern.startsWith('%') && pattern.endsWith('%') ? text.includes(core) : pattern.endsWith('%') ? text.startsWith(core) : pattern.startsWith('%') ? text.endsWith(core) : text === core;
      return condition.negated ? !hit : hit;
    }
    case 'between':
      return compareValues(rec[condition.field], condition.low, condition.field) >= 0 && compareValues(rec[condition.field], condition.high, condition.field) <= 0;
    case 'compare': {
      if (condition.op === '=') return equalValues(rec[condition.field], condition.value, condition.field);
      if (condition.op === '!=') return !equalValues(rec[condition.field], condition.value, condition.field);
      const value = scalar(rec[condition.field]);
      if (value === null || value === undefined || condition.value === null) return false;
      const c = compareValues(value, condition.value, condition.field);
      return condition.op === '>' ? c > 0 : condition.op === '>=' ? c >= 0 : condition.op === '<' ? c < 0 : c <= 0;
    }
  }
}
