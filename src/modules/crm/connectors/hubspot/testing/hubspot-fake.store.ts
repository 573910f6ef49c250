/**
 * The in-memory portal behind the HubSpot fake: CRM v3 objects (contacts, communications, tasks,
 * notes) with their properties, unique-value properties, associations to contacts, and the
 * search semantics of `POST /crm/v3/objects/{type}/search` (filter groups ORed, filters ANDed,
 * sorts, offset paging, the 10,000-result cap, the search index lag).
 *
 * Errors are thrown as `HubspotFakeError` carrying HubSpot's envelope
 * (`{status:"error", message, correlationId, category, errors?}`); the server writes them out.
 */
import type { Clock } from '../../../../../platform/clock.js';

export type ObjectType = 'contacts' | 'communications' | 'tasks' | 'notes';
export const OBJECT_TYPES: readonly ObjectType[] = ['contacts', 'communications', 'tasks', 'notes'];

export type StoredObject = {
  id: string;
  type: ObjectType;
  properties: Map<string, string>;
  createdAt: number;
  updatedAt: number;
  /** Contact ids this engagement is associated with, with the association type id used. */
  contacts: Map<string, number>;
};

/** HubSpot's error body; `status` here is the HTTP status to answer with. */
export class HubspotFakeError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly category: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const validationError = (message: string, errors?: { message: string; code: string }[]) =>
  new HubspotFakeError(400, 'VALIDATION_ERROR', message, errors ? { errors } : {});

/** Unique-value properties per object type (the ones README.md asks a portal admin to create, and HubSpot's own `email`). */
const UNIQUE: Record<ObjectType, readonly string[]> = {
  contacts: ['email', 'switchboard_id'],
  communications: ['switchboard_message_id'],
  tasks: ['switchboard_task_id'],
  notes: [],
};

/** Which association type id links an engagement to a contact (HubSpot-defined). */
export const CONTACT_ASSOCIATION_TYPE: Record<Exclude<ObjectType, 'contacts'>, number> = {
  communications: 81,
  tasks: 204,
  notes: 202,
};

const CREATED_PROP: Record<ObjectType, string> = { contacts: 'createdate', communications: 'hs_createdate', tasks: 'hs_createdate', notes: 'hs_createdate' };
const MODIFIED_PROP: Record<ObjectType, string> = { contacts: 'lastmodifieddate', communications: 'hs_lastmodifieddate', tasks: 'hs_lastmodifieddate', notes: 'hs_lastmodifieddate' };
const READ_ONLY = new Set(['hs_object_id', 'createdate', 'lastmodifieddate', 'hs_createdate', 'hs_lastmodifieddate']);
const DATE_PROPS = new Set(['createdate', 'lastmodifieddate', 'hs_createdate', 'hs_lastmodifieddate', 'hs_timestamp']);

/** Returned when a request names no properties (HubSpot's documented defaults for contacts). */
const DEFAULT_PROPS: Record<ObjectType, readonly string[]> = {
  contacts: ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'],
  communications: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
  tasks: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
  notes: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
};

export const SEARCH_LIMITS = { filterGroups: 5, filtersPerGroup: 6, filtersTotal: 18, maxLimit: 200, maxResults: 10_000 } as const;

export type Filter = { propertyName?: unknown; operator?: unknown; value?: unknown; values?: unknown; highValue?: unknown };
export type SearchBody = { filterGroups?: unknown; sorts?: unknown; properties?: unknown; limit?: unknown; after?: unknown; query?: unknown };

export type ObjectJson = { id: string; properties: Record<string, string | null>; createdAt: string; updatedAt: string; archived: false };

export class HubspotFakeStore {
  private readonly objects = new Map<string, StoredObject>();
  /** `type \0 property \0 value` → id, for the unique properties (a lookup, not a scan: the bench holds 11,000 records). */
  private readonly uniqueIndex = new Map<string, string>();
  private nextId = 1001;
  searchLagMs = 0;
  /** Properties "deleted" from the portal: writing them answers PROPERTY_DOESNT_EXIST. */
  readonly missingProperties = new Set<string>();

  constructor(private readonly clock: Clock) {}

  get(type: ObjectType, id: string): StoredObject | undefined {
    const found = this.objects.get(id);
    return found && found.type === type ? found : undefined;
  }

  /** Looks up by id, or by a unique property when `idProperty` is given (HubSpot's `?idProperty=`). */
  find(type: ObjectType, id: string, idProperty: string | undefined): StoredObject | undefined {
    if (!idProperty || idProperty === 'hs_object_id') return this.get(type, id);
    this.assertUnique(type, idProperty);
    return this.byUnique(type, idProperty, id);
  }

  remove(id: string): void {
    const object = this.objects.get(id);
    if (object) this.unindex(object);
    this.objects.delete(id);
  }

  private uniqueKey(type: ObjectType, property: string, value: string): string {
    return `${type}\u0000${property}\u0000${property === 'email' ? value.toLowerCase() : value}`;
  }

  private index(object: StoredObject): void {
    for (const name of UNIQUE[object.type]) {
      const value = object.properties.get(name);
      if (value !== undefined) this.uniqueIndex.set(this.uniqueKey(object.type, name, value), object.id);
    }
  }

  private unindex(object: StoredObject): void {
    for (const name of UNIQUE[object.type]) {
      const value = object.properties.get(name);
      if (value !== undefined) this.uniqueIndex.delete(this.uniqueKey(object.type, name, value));
    }
  }

  all(type: ObjectType): StoredObject[] {
    return [...this.objects.values()].filter((o) => o.type === type);
  }

  create(type: ObjectType, properties: Record<string, unknown>, associations: unknown): StoredObject {
    const props = this.cleanProperties(type, properties);
    const links = this.parseAssociations(type, associations);
    this.validateEngagement(type, props, null);
    this.assertNoUniqueClash(type, props, null);
    const now = this.clock.now();
    const id = String(this.nextId++);
    const object: StoredObject = { id, type, properties: new Map(), createdAt: now, updatedAt: now, contacts: links };
    for (const [name, value] of Object.entries(props)) if (value !== '') object.properties.set(name, value);
    this.objects.set(id, object);
    this.index(object);
    return object;
  }

  update(object: StoredObject, properties: Record<string, unknown>): StoredObject {
    const props = this.cleanProperties(object.type, properties);
    this.validateEngagement(object.type, props, object);
    this.assertNoUniqueClash(object.type, props, object.id);
    this.unindex(object);
    for (const [name, value] of Object.entries(props)) {
      // HubSpot clears a property written as "".
      if (value === '') object.properties.delete(name);
      else object.properties.set(name, value);
    }
    this.index(object);
    object.updatedAt = Math.max(this.clock.now(), object.updatedAt + 1);
    return object;
  }

  /** Validates a whole batch before touching anything: HubSpot batch writes fail as a whole. */
  validateCreate(type: ObjectType, properties: Record<string, unknown>, associations: unknown): void {
    const props = this.cleanProperties(type, properties);
    this.parseAssociations(type, associations);
    this.validateEngagement(type, props, null);
    this.assertNoUniqueClash(type, props, null);
  }

  validateUpdate(object: StoredObject, properties: Record<string, unknown>): void {
    const props = this.cleanProperties(object.type, properties);
    this.validateEngagement(object.type, props, object);
    this.assertNoUniqueClash(object.type, props, object.id);
  }

  toJson(object: StoredObject, requested: readonly string[] | undefined): ObjectJson {
    const names = new Set(requested && requested.length > 0 ? requested : DEFAULT_PROPS[object.type]);
    names.add('hs_object_id');
    names.add(CREATED_PROP[object.type]);
    names.add(MODIFIED_PROP[object.type]);
    const properties: Record<string, string | null> = {};
    for (const name of names) properties[name] = this.propertyValue(object, name);
    return { id: object.id, properties, createdAt: iso(object.createdAt), updatedAt: iso(object.updatedAt), archived: false };
  }

  propertyValue(object: StoredObject, name: string): string | null {
    if (name === 'hs_object_id') return object.id;
    if (name === CREATED_PROP[object.type]) return iso(object.createdAt);
    if (name === MODIFIED_PROP[object.type]) return iso(object.updatedAt);
    return object.properties.get(name) ?? null;
  }

  /** `POST /crm/v3/objects/{type}/search`. `pageCap` is the fake's optional smaller page size. */
  search(type: ObjectType, body: SearchBody, pageCap: number | undefined) {
    const groups = parseFilterGroups(body.filterGroups);
    const sorts = parseSorts(body.sorts);
    const limit = body.limit === undefined ? 10 : Number(body.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > SEARCH_LIMITS.maxLimit) throw validationError(`limit must be between 1 and ${SEARCH_LIMITS.maxLimit}`);
    const offset = body.after === undefined || body.after === null || body.after === '' ? 0 : Number(body.after);
    if (!Number.isInteger(offset) || offset < 0) throw validationError('after must be a non-negative integer offset');
    const requested = parsePropertyList(body.properties);
    if (offset >= SEARCH_LIMITS.maxResults) {
      throw validationError(`The search API returns at most ${SEARCH_LIMITS.maxResults} results for a query; narrow the filters.`);
    }
    const now = this.clock.now();
    const query = typeof body.query === 'string' ? body.query.trim().toLowerCase() : '';
    const matches = this.all(type).filter(
      (o) =>
        now - o.updatedAt >= this.searchLagMs &&
        (groups.length === 0 || groups.some((filters) => filters.every((f) => this.matches(o, f)))) &&
        (query === '' || [...o.properties.values()].some((v) => v.toLowerCase().includes(query))),
    );
    matches.sort((a, b) => {
      for (const sort of sorts) {
        const diff = compareValues(this.propertyValue(a, sort.propertyName), this.propertyValue(b, sort.propertyName), sort.propertyName);
        if (diff !== 0) return sort.direction === 'DESCENDING' ? -diff : diff;
      }
      return Number(a.id) - Number(b.id);
    });
    const pageSize = Math.min(limit, pageCap ?? limit, SEARCH_LIMITS.maxResults - offset);
    const page = matches.slice(offset, offset + pageSize);
    const nextOffset = offset + page.length;
    const more = nextOffset < matches.length && nextOffset < SEARCH_LIMITS.maxResults;
    return {
      total: matches.length,
      results: page.map((o) => this.toJson(o, requested)),
      ...(more ? { paging: { next: { after: String(nextOffset) } } } : {}),
    };
  }

  private matches(object: StoredObject, filter: ParsedFilter): boolean {
    const actual = this.propertyValue(object, filter.propertyName);
    const name = filter.propertyName;
    switch (filter.operator) {
      case 'HAS_PROPERTY':
        return actual !== null;
      case 'NOT_HAS_PROPERTY':
        return actual === null;
      case 'EQ':
        return actual !== null && equalValues(actual, filter.value, name, object);
      case 'NEQ':
        return actual === null || !equalValues(actual, filter.value, name, object);
      case 'IN':
        return actual !== null && filter.values.some((v) => equalValues(actual, v, name, object));
      case 'NOT_IN':
        return actual === null || !filter.values.some((v) => equalValues(actual, v, name, object));
      case 'GT':
        return actual !== null && compareValues(actual, filter.value, name) > 0;
      case 'GTE':
        return actual !== null && compareValues(actual, filter.value, name) >= 0;
      case 'LT':
        return actual !== null && compareValues(actual, filter.value, name) < 0;
      case 'LTE':
        return actual !== null && compareValues(actual, filter.value, name) <= 0;
      case 'BETWEEN':
        return actual !== null && compareValues(actual, filter.value, name) >= 0 && compareValues(actual, filter.highValue, name) <= 0;
      case 'CONTAINS_TOKEN':
        return actual !== null && actual.toLowerCase().split(/[\s;,]+/).includes(filter.value.toLowerCase().replace(/\*/g, ''));
    }
  }

  private byUnique(type: ObjectType, property: string, value: string): StoredObject | undefined {
    const id = this.uniqueIndex.get(this.uniqueKey(type, property, value));
    return id === undefined ? undefined : this.objects.get(id);
  }

  assertUnique(type: ObjectType, property: string): void {
    if (this.missingProperties.has(property)) throw propertyMissing(property);
    if (!UNIQUE[type].includes(property)) {
      throw validationError(`${property} is not a unique property of ${type}; idProperty must name a property with hasUniqueValue=true.`);
    }
  }

  private assertNoUniqueClash(type: ObjectType, props: Record<string, string>, selfId: string | null): void {
    for (const name of UNIQUE[type]) {
      const value = props[name];
      if (value === undefined || value === '') continue;
      const other = this.byUnique(type, name, value);
      if (other && other.id !== selfId) {
        const message = type === 'contacts' && name === 'email'
          ? `Contact already exists. Existing ID: ${other.id}`
          : `A ${type} record already has that value for the unique property ${name}. Existing ID: ${other.id}`;
        throw new HubspotFakeError(409, 'CONFLICT', message);
      }
    }
  }

  private cleanProperties(type: ObjectType, properties: Record<string, unknown>): Record<string, string> {
    if (properties === null || typeof properties !== 'object' || Array.isArray(properties)) throw validationError('properties must be an object');
    const out: Record<string, string> = {};
    const errors: { message: string; code: string }[] = [];
    for (const [name, raw] of Object.entries(properties)) {
      if (this.missingProperties.has(name)) {
        errors.push({ message: `Property "${name}" does not exist`, code: 'PROPERTY_DOESNT_EXIST' });
        continue;
      }
      if (READ_ONLY.has(name)) {
        errors.push({ message: `${name} is a read only property; its value cannot be set.`, code: 'READ_ONLY_VALUE' });
        continue;
      }
      if (raw === null || raw === undefined) {
        out[name] = '';
        continue;
      }
      if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
        errors.push({ message: `${name} must be a string, a number or a boolean`, code: 'INVALID_VALUE' });
        continue;
      }
      let value = String(raw);
      if (DATE_PROPS.has(name) && value !== '') {
        const ms = toMs(value);
        if (ms === null) {
          errors.push({ message: `${value} was not a valid long or ISO 8601 date for ${name}`, code: 'INVALID_DATE' });
          continue;
        }
        value = iso(ms);
      }
      if (type === 'contacts' && name === 'email' && value !== '' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) {
        errors.push({ message: `Email address ${value} is invalid`, code: 'INVALID_EMAIL' });
        continue;
      }
      out[name] = type === 'contacts' && name === 'email' ? value.toLowerCase() : value;
    }
    if (errors.length > 0) {
      throw validationError(`Property values were not valid: ${JSON.stringify(errors.map((e) => ({ isValid: false, message: e.message, error: e.code })))}`, errors);
    }
    return out;
  }

  private validateEngagement(type: ObjectType, props: Record<string, string>, existing: StoredObject | null): void {
    const value = (name: string) => props[name] ?? existing?.properties.get(name);
    if (type === 'communications') {
      const channel = value('hs_communication_channel_type');
      if (!channel || !['WHATS_APP', 'LINKEDIN_MESSAGE', 'SMS'].includes(channel)) {
        throw validationError('hs_communication_channel_type must be one of WHATS_APP, LINKEDIN_MESSAGE, SMS', [{ message: 'invalid channel type', code: 'INVALID_OPTION' }]);
      }
      if (value('hs_communication_logged_from') !== 'CRM') {
        throw validationError('hs_communication_logged_from must be CRM', [{ message: 'invalid logged from', code: 'INVALID_OPTION' }]);
      }
    }
    if (type !== 'contacts' && !value('hs_timestamp')) {
      throw validationError('hs_timestamp is required', [{ message: 'hs_timestamp is required', code: 'REQUIRED_PROPERTY' }]);
    }
  }

  private parseAssociations(type: ObjectType, associations: unknown): Map<string, number> {
    const links = new Map<string, number>();
    if (associations === undefined || associations === null) return links;
    if (!Array.isArray(associations)) throw validationError('associations must be an array');
    for (const association of associations as { to?: { id?: unknown }; types?: { associationCategory?: unknown; associationTypeId?: unknown }[] }[]) {
      const toId = association?.to?.id;
      const types = association?.types;
      if ((typeof toId !== 'string' && typeof toId !== 'number') || !Array.isArray(types) || types.length === 0) {
        throw validationError('each association needs to.id and at least one type');
      }
      if (type === 'contacts') throw validationError('this fake supports associations from engagements to contacts only');
      const expected = CONTACT_ASSOCIATION_TYPE[type];
      for (const t of types) {
        if (t?.associationCategory !== 'HUBSPOT_DEFINED' || t?.associationTypeId !== expected) {
          throw validationError(`association type ${String(t?.associationCategory)}/${String(t?.associationTypeId)} is not valid from ${type} to contacts (HUBSPOT_DEFINED/${expected})`, [
            { message: 'invalid association type', code: 'INVALID_ASSOCIATION_TYPE' },
          ]);
        }
      }
      if (!this.get('contacts', String(toId))) {
        throw new HubspotFakeError(404, 'OBJECT_NOT_FOUND', `No contact with id ${String(toId)} to associate with.`);
      }
      links.set(String(toId), expected);
    }
    return links;
  }
}

export function propertyMissing(name: string): HubspotFakeError {
  return validationError(`Property "${name}" does not exist`, [{ message: `Property "${name}" does not exist`, code: 'PROPERTY_DOESNT_EXIST' }]);
}

type Operator = 'EQ' | 'NEQ' | 'LT' | 'LTE' | 'GT' | 'GTE' | 'BETWEEN' | 'IN' | 'NOT_IN' | 'HAS_PROPERTY' | 'NOT_HAS_PROPERTY' | 'CONTAINS_TOKEN';
const OPERATORS = new Set<Operator>(['EQ', 'NEQ', 'LT', 'LTE', 'GT', 'GTE', 'BETWEEN', 'IN', 'NOT_IN', 'HAS_PROPERTY', 'NOT_HAS_PROPERTY', 'CONTAINS_TOKEN']);
type ParsedFilter = { propertyName: string; operator: Operator; value: string; highValue: string; values: string[] };

function parseFilterGroups(raw: unknown): ParsedFilter[][] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw validationError('filterGroups must be an array');
  if (raw.length > SEARCH_LIMITS.filterGroups) {
    throw validationError(`There can be at most ${SEARCH_LIMITS.filterGroups} filterGroups in a search request; got ${raw.length}.`);
  }
  let total = 0;
  const groups = raw.map((group: { filters?: unknown }) => {
    const filters = group?.filters;
    if (!Array.isArray(filters) || filters.length === 0) throw validationError('each filter group needs a non-empty filters array');
    if (filters.length > SEARCH_LIMITS.filtersPerGroup) {
      throw validationError(`A filter group can hold at most ${SEARCH_LIMITS.filtersPerGroup} filters; got ${filters.length}.`);
    }
    total += filters.length;
    return filters.map((f: Filter) => parseFilter(f));
  });
  if (total > SEARCH_LIMITS.filtersTotal) throw validationError(`A search can hold at most ${SEARCH_LIMITS.filtersTotal} filters in total; got ${total}.`);
  return groups;
}

function parseFilter(f: Filter): ParsedFilter {
  if (typeof f?.propertyName !== 'string' || f.propertyName === '') throw validationError('a filter needs a propertyName');
  const operator = (f.operator ?? 'EQ') as Operator;
  if (!OPERATORS.has(operator)) throw validationError(`Unknown filter operator ${String(f.operator)}`);
  const scalar = (v: unknown) => (v === undefined || v === null ? undefined : String(v));
  const value = scalar(f.value);
  const values = Array.isArray(f.values) ? f.values.map((v) => String(v)) : [];
  if ((operator === 'IN' || operator === 'NOT_IN') && values.length === 0) throw validationError(`${operator} needs a non-empty values array`);
  if (!['IN', 'NOT_IN', 'HAS_PROPERTY', 'NOT_HAS_PROPERTY'].includes(operator) && value === undefined) {
    throw validationError(`${operator} needs a value`);
  }
  if (operator === 'BETWEEN' && scalar(f.highValue) === undefined) throw validationError('BETWEEN needs a highValue');
  return { propertyName: f.propertyName, operator, value: value ?? '', highValue: scalar(f.highValue) ?? '', values };
}

function parseSorts(raw: unknown): { propertyName: string; direction: 'ASCENDING' | 'DESCENDING' }[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw validationError('sorts must be an array');
  return raw.map((s: unknown) => {
    if (typeof s === 'string') return s.startsWith('-') ? { propertyName: s.slice(1), direction: 'DESCENDING' as const } : { propertyName: s, direction: 'ASCENDING' as const };
    const sort = s as { propertyName?: unknown; direction?: unknown };
    if (typeof sort?.propertyName !== 'string') throw validationError('a sort needs a propertyName');
    if (sort.direction !== undefined && sort.direction !== 'ASCENDING' && sort.direction !== 'DESCENDING') throw validationError('sort direction must be ASCENDING or DESCENDING');
    return { propertyName: sort.propertyName, direction: (sort.direction ?? 'ASCENDING') as 'ASCENDING' | 'DESCENDING' };
  });
}

export function parsePropertyList(raw: unknown): string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === 'string') return raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (Array.isArray(raw) && raw.every((p) => typeof p === 'string')) return raw;
  throw validationError('properties must be an array of property names');
}

/** Epoch ms from HubSpot's two date spellings: a long, or ISO 8601. */
export function toMs(value: string): number | null {
  if (/^\d+$/.test(value)) return Number(value);
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? null : parsed;
}

const iso = (ms: number) => new Date(ms).toISOString();

function equalValues(actual: string, expected: string, name: string, _object: StoredObject): boolean {
  if (DATE_PROPS.has(name)) return toMs(actual) === toMs(expected);
  // HubSpot's EQ on strings ignores case.
  return actual.toLowerCase() === expected.toLowerCase();
}

function compareValues(a: string | null, b: string | null, name: string): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  if (DATE_PROPS.has(name)) return (toMs(a) ?? 0) - (toMs(b) ?? 0);
  const na = Number(a);
  const nb = Number(b);
  if (a.trim() !== '' && b.trim() !== '' && Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a.localeCompare(b);
}
