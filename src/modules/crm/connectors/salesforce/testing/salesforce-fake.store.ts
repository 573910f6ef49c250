import type { Clock } from '../../../../../platform/clock.js';
import { fieldsOf, matches, parseSoql, parseSosl, phoneTermMatches, SoqlError, sortRows, type FieldKind, type StoredValue } from './salesforce-fake.soql.js';

/** An error the fake answers in Salesforce's shape: `[{"message","errorCode","fields"}]` with this status. */
export class SalesforceFakeError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    readonly fields: string[] = [],
    /** A body other than the error array (300's list of record URLs). */
    readonly body?: unknown,
  ) {
    super(message);
  }
}

export type ObjectName = 'Contact' | 'Task';
export const OBJECTS: ObjectName[] = ['Contact', 'Task'];

type FieldSpec = {
  kind: FieldKind;
  /** Writable on create / on update. */
  create: boolean;
  update: boolean;
  maxLength?: number;
  /** Restricted picklist values. */
  picklist?: string[];
  reference?: 'Contact' | 'User';
  email?: boolean;
  externalId?: boolean;
  label?: string;
};

const readOnlyDate: FieldSpec = { kind: 'datetime', create: false, update: false };
const readOnlyId: FieldSpec = { kind: 'id', create: false, update: false };
const text = (maxLength: number, label?: string): FieldSpec => ({ kind: 'text', create: true, update: true, maxLength, ...(label ? { label } : {}) });

const SYSTEM: Record<string, FieldSpec> = {
  Id: readOnlyId,
  IsDeleted: { kind: 'boolean', create: false, update: false },
  CreatedDate: readOnlyDate,
  CreatedById: readOnlyId,
  LastModifiedDate: readOnlyDate,
  LastModifiedById: readOnlyId,
  SystemModstamp: readOnlyDate,
  OwnerId: { kind: 'id', create: true, update: true, reference: 'User', label: 'Owner ID' },
};

/** The standard fields the fake knows, with the custom fields README.md asks for. Any other `__c` field exists as 255-character text. */
const SCHEMA: Record<ObjectName, Record<string, FieldSpec>> = {
  Contact: {
    ...SYSTEM,
    FirstName: text(40, 'First Name'),
    LastName: text(80, 'Last Name'),
    Name: { kind: 'text', create: false, update: false },
    Email: { ...text(80, 'Email'), email: true },
    Phone: text(40, 'Business Phone'),
    MobilePhone: text(40, 'Mobile Phone'),
    HomePhone: text(40, 'Home Phone'),
    OtherPhone: text(40, 'Other Phone'),
    Title: text(128, 'Title'),
    Department: text(80, 'Department'),
    LeadSource: text(255, 'Lead Source'),
    // The standard mailing address: the default field map reads MailingCity.
    MailingStreet: text(255, 'Mailing Street'),
    MailingCity: text(40, 'Mailing City'),
    MailingState: text(80, 'Mailing State/Province'),
    MailingPostalCode: text(20, 'Mailing Zip/Postal Code'),
    MailingCountry: text(80, 'Mailing Country'),
    Description: text(32_000, 'Contact Description'),
    AccountId: { kind: 'id', create: true, update: true, label: 'Account ID' },
    Switchboard_Id__c: { ...text(255, 'Switchboard Id'), externalId: true },
    Switchboard_Tags__c: text(4_099, 'Switchboard Tags'),
  },
  Task: {
    ...SYSTEM,
    WhoId: { kind: 'id', create: true, update: true, reference: 'Contact', label: 'Name ID' },
    WhatId: { kind: 'id', create: true, update: true, label: 'Related To ID' },
    Subject: text(255, 'Subject'),
    Description: text(32_000, 'Comments'),
    ActivityDate: { kind: 'date', create: true, update: true },
    Status: { kind: 'text', create: true, update: true, picklist: ['Not Started', 'In Progress', 'Completed', 'Waiting on someone else', 'Deferred'], label: 'Status' },
    Priority: { kind: 'text', create: true, update: true, picklist: ['High', 'Normal', 'Low'], label: 'Priority' },
    // Salesforce lets a Task's subtype be set when it is created, never changed afterwards.
    TaskSubtype: { kind: 'text', create: true, update: false, picklist: ['Task', 'Email', 'ListEmail', 'Cadence', 'Call', 'LinkedIn'], label: 'Task Subtype' },
    IsClosed: { kind: 'boolean', create: false, update: false },
    IsReminderSet: { kind: 'boolean', create: true, update: true },
    ReminderDateTime: { kind: 'datetime', create: true, update: true },
    Switchboard_Message_Id__c: { ...text(255, 'Switchboard Message Id'), externalId: true },
    Switchboard_Task_Id__c: { ...text(255, 'Switchboard Task Id'), externalId: true },
  },
};

const KEY_PREFIX: Record<ObjectName, string> = { Contact: '003', Task: '00T' };
const CLOSED_STATUSES = new Set(['Completed', 'Deferred']);

export type StoredRecord = { object: ObjectName; fields: Record<string, StoredValue>; changedAt: number };

export type SalesforceFakeStoreOptions = {
  clock: Clock;
  apiVersion: () => string;
  /** Timestamps are stored to this many ms (Salesforce: whole seconds). */
  precisionMs: number;
  /** The integration user: default owner of what the API creates. */
  apiUserId: string;
  /** false simulates an external id field not marked Unique: duplicates become possible (and upserts answer 300). */
  uniqueExternalIds: boolean;
};

const ID_CHARS = /^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$/;

export class SalesforceFakeStore {
  readonly records = new Map<string, StoredRecord>();
  readonly users = new Set<string>();
  private readonly removed = new Set<string>();
  private sequence = 0;
  searchLagMs = 0;

  constructor(private readonly options: SalesforceFakeStoreOptions) {
    this.users.add(options.apiUserId);
  }

  newId(prefix: string): string {
    this.sequence += 1;
    return `${prefix}Fk0${String(this.sequence).padStart(9, '0')}AAA`;
  }

  /** Makes a field missing, as in an org where README.md's setup was skipped. */
  removeField(object: ObjectName, field: string): void {
    this.removed.add(`${object}.${field}`);
  }

  spec(object: ObjectName, field: string): FieldSpec | undefined {
    if (this.removed.has(`${object}.${field}`)) return undefined;
    const known = SCHEMA[object][field];
    if (known) return known;
    return /^[A-Za-z][A-Za-z0-9_]*__c$/.test(field) ? text(255) : undefined;
  }

  kindOf(object: ObjectName, field: string): FieldKind {
    const spec = this.spec(object, field);
    if (!spec) throw new SalesforceFakeError(400, 'INVALID_FIELD', `No such column '${field}' on entity '${object}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name.`);
    return spec.kind;
  }

  object(name: string): ObjectName {
    if ((OBJECTS as string[]).includes(name)) return name as ObjectName;
    throw new SalesforceFakeError(404, 'NOT_FOUND', `The requested resource does not exist`);
  }

  isExternalId(object: ObjectName, field: string): boolean {
    return this.spec(object, field)?.externalId === true;
  }

  private now(): number {
    const now = this.options.clock.now();
    return now - (now % this.options.precisionMs);
  }

  /** The value a read shows for a field: computed ones included. */
  value(record: StoredRecord, field: string): StoredValue {
    if (field === 'Name' && record.object === 'Contact') return [record.fields['FirstName'], record.fields['LastName']].filter((v) => typeof v === 'string' && v !== '').join(' ');
    if (field === 'IsClosed' && record.object === 'Task') return CLOSED_STATUSES.has(String(record.fields['Status']));
    if (field === 'IsDeleted') return false;
    const value = record.fields[field];
    return value === undefined ? null : value;
  }

  private validate(object: ObjectName, input: Record<string, unknown>, mode: 'create' | 'update'): Record<string, StoredValue> {
    const out: Record<string, StoredValue> = {};
    const unwritable: string[] = [];
    for (const [field, raw] of Object.entries(input)) {
      const spec = this.spec(object, field);
      if (!spec) throw new SalesforceFakeError(400, 'INVALID_FIELD', `No such column '${field}' on sobject of type ${object}`);
      if (!(mode === 'create' ? spec.create : spec.update)) {
        unwritable.push(field);
        continue;
      }
      out[field] = this.coerce(field, spec, raw);
    }
    if (unwritable.length > 0) {
      throw new SalesforceFakeError(
        400,
        'INVALID_FIELD_FOR_INSERT_UPDATE',
        `Unable to create/update fields: ${unwritable.join(', ')}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
        unwritable,
      );
    }
    return out;
  }

  private coerce(field: string, spec: FieldSpec, raw: unknown): StoredValue {
    const label = spec.label ?? field;
    if (raw === null || raw === '') return null;
    switch (spec.kind) {
      case 'boolean':
        if (typeof raw !== 'boolean') throw new SalesforceFakeError(400, 'JSON_PARSER_ERROR', `Cannot deserialize instance of boolean from VALUE_STRING value ${String(raw)} or request may be missing a required field`);
        return raw;
      case 'datetime': {
        const ms = typeof raw === 'string' ? Date.parse(raw.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')) : Number.NaN;
        if (Number.isNaN(ms)) throw new SalesforceFakeError(400, 'JSON_PARSER_ERROR', `Cannot deserialize instance of datetime from VALUE_STRING value ${String(raw)} or request may be missing a required field`);
        return ms;
      }
      case 'date':
        if (typeof raw !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(raw)) throw new SalesforceFakeError(400, 'JSON_PARSER_ERROR', `Cannot deserialize instance of date from VALUE_STRING value ${String(raw)} or request may be missing a required field`);
        return raw;
      case 'id': {
        if (typeof raw !== 'string' || !ID_CHARS.test(raw)) throw new SalesforceFakeError(400, 'MALFORMED_ID', `${label}: id value of incorrect type: ${String(raw)}`, [field]);
        if (spec.reference === 'User' && !this.users.has(raw)) throw new SalesforceFakeError(400, 'INVALID_CROSS_REFERENCE_KEY', `${label}: invalid cross reference id`, [field]);
        if (spec.reference === 'Contact' && this.records.get(raw)?.object !== 'Contact') throw new SalesforceFakeError(400, 'INVALID_CROSS_REFERENCE_KEY', `${label}: invalid cross reference id`, [field]);
        return raw;
      }
      case 'text': {
        if (typeof raw !== 'string' && typeof raw !== 'number') throw new SalesforceFakeError(400, 'JSON_PARSER_ERROR', `Cannot deserialize instance of string from ${typeof raw} value or request may be missing a required field`);
        const value = String(raw);
        if (spec.maxLength && value.length > spec.maxLength) throw new SalesforceFakeError(400, 'STRING_TOO_LONG', `${label}: data value too large: ${value.slice(0, 40)} (max length=${spec.maxLength})`, [field]);
        if (spec.picklist && !spec.picklist.includes(value)) throw new SalesforceFakeError(400, 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', `${label}: bad value for restricted picklist field: ${value}`, [field]);
        if (spec.email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) throw new SalesforceFakeError(400, 'INVALID_EMAIL_ADDRESS', `Email: invalid email address: ${value}`, [field]);
        return value;
      }
    }
  }

  private checkRequired(record: StoredRecord): void {
    if (record.object === 'Contact' && (typeof record.fields['LastName'] !== 'string' || record.fields['LastName'] === '')) {
      throw new SalesforceFakeError(400, 'REQUIRED_FIELD_MISSING', 'Required fields are missing: [LastName]', ['LastName']);
    }
  }

  private checkUnique(record: StoredRecord, id: string | null): void {
    if (!this.options.uniqueExternalIds) return;
    for (const [field, value] of Object.entries(record.fields)) {
      if (value === null || value === undefined || !this.isExternalId(record.object, field)) continue;
      for (const [otherId, other] of this.records) {
        if (otherId !== id && other.object === record.object && other.fields[field] === value) {
          throw new SalesforceFakeError(400, 'DUPLICATE_VALUE', `duplicate value found: ${field} duplicates value on record with id: ${otherId}`, [field]);
        }
      }
    }
  }

  create(object: ObjectName, input: Record<string, unknown>): StoredRecord {
    const fields = this.validate(object, input, 'create');
    const at = this.now();
    const id = this.newId(KEY_PREFIX[object]);
    const record: StoredRecord = {
      object,
      fields: {
        OwnerId: this.options.apiUserId,
        ...(object === 'Task' ? { Status: 'Not Started', Priority: 'Normal' } : {}),
        ...fields,
        Id: id,
        CreatedDate: at,
        CreatedById: this.options.apiUserId,
        LastModifiedDate: at,
        LastModifiedById: this.options.apiUserId,
        SystemModstamp: at,
      },
      changedAt: this.options.clock.now(),
    };
    this.checkRequired(record);
    this.checkUnique(record, null);
    this.records.set(id, record);
    return record;
  }

  update(record: StoredRecord, input: Record<string, unknown>): void {
    const fields = this.validate(record.object, input, 'update');
    const next: StoredRecord = { ...record, fields: { ...record.fields, ...fields } };
    this.checkRequired(next);
    this.checkUnique(next, String(record.fields['Id']));
    const at = this.now();
    record.fields = { ...next.fields, LastModifiedDate: at, SystemModstamp: at };
    record.changedAt = this.options.clock.now();
  }

  get(object: ObjectName, id: string): StoredRecord | undefined {
    const record = this.records.get(id);
    return record?.object === object ? record : undefined;
  }

  byExternalId(object: ObjectName, field: string, value: string): StoredRecord[] {
    if (!this.isExternalId(object, field)) {
      throw new SalesforceFakeError(404, 'NOT_FOUND', `Provided external ID field does not exist or is not accessible: ${field}`);
    }
    return [...this.records.values()].filter((r) => r.object === object && r.fields[field] === value);
  }

  url(record: StoredRecord): string {
    return `/services/data/${this.options.apiVersion()}/sobjects/${record.object}/${String(record.fields['Id'])}`;
  }

  /** A record as the REST API shows it: `attributes`, then the requested fields (all known ones when none are named). */
  toJson(record: StoredRecord, fields?: string[]): Record<string, unknown> {
    const names = fields ?? [...new Set([...Object.keys(SCHEMA[record.object]).filter((f) => this.spec(record.object, f)), ...Object.keys(record.fields)])];
    const out: Record<string, unknown> = { attributes: { type: record.object, url: this.url(record) } };
    for (const name of names) {
      const kind = this.kindOf(record.object, name);
      const value = this.value(record, name);
      out[name] = kind === 'datetime' && typeof value === 'number' ? salesforceDateTime(value) : (value ?? null);
    }
    return out;
  }

  query(soql: string): { object: ObjectName; fields: string[]; rows: StoredRecord[] } {
    const q = parseSoql(soql);
    const object = OBJECTS.find((o) => o.toLowerCase() === q.object.toLowerCase());
    if (!object) throw new SoqlError('INVALID_TYPE', `sObject type '${q.object}' is not supported.`);
    for (const field of fieldsOf(q)) this.kindOf(object, field);
    const kindOf = (field: string) => this.kindOf(object, field);
    const rows = [...this.records.values()].filter((r) => r.object === object && matches(q.where, (f) => this.value(r, f), kindOf));
    const sorted = sortRows(rows, q.orderBy, (r, f) => this.value(r, f), kindOf);
    const sliced = sorted.slice(q.offset, q.limit === null ? undefined : q.offset + q.limit);
    return { object, fields: q.fields, rows: sliced };
  }

  /** SOSL over phone fields, blind to records changed within the search lag. */
  search(sosl: string): { fields: string[]; rows: StoredRecord[] } {
    const q = parseSosl(sosl);
    const object = q.returning ? OBJECTS.find((o) => o.toLowerCase() === q.returning?.object.toLowerCase()) : 'Contact';
    if (!object) throw new SoqlError('INVALID_TYPE', `sObject type '${q.returning?.object ?? ''}' is not supported.`);
    const fields = q.returning?.fields ?? ['Id'];
    for (const field of fields) this.kindOf(object, field);
    const visibleBefore = this.options.clock.now() - this.searchLagMs;
    const phoneFields = object === 'Contact' ? ['Phone', 'MobilePhone', 'HomePhone', 'OtherPhone'] : [];
    const rows = [...this.records.values()].filter(
      (r) =>
        r.object === object &&
        r.changedAt <= visibleBefore &&
        phoneFields.some((f) => {
          const stored = r.fields[f];
          return typeof stored === 'string' && q.terms.some((t) => phoneTermMatches(t, stored));
        }),
    );
    return { fields, rows: q.returning?.limit ? rows.slice(0, q.returning.limit) : rows };
  }
}

/** `2026-11-01T12:00:00.000+0000`, Salesforce's dateTime text. */
export function salesforceDateTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}
