import { createHash } from 'node:crypto';
import type { Clock } from '../../../../platform/clock.js';
import type { RateLimiter } from '../../../outbound/index.js';
import {
  CrmError,
  CrmHttpClient,
  type CrmActivityInput,
  type CrmChange,
  type CrmConnector,
  type CrmPage,
  type CrmPerson,
  type CrmPersonInput,
  type CrmRequest,
  type CrmResponse,
  type CrmTaskInput,
} from '../../index.js';
import { ConcurrencyGate } from './concurrency.gate.js';
import { assertApiName, coqlDateTime, coqlString, isZohoId, zohoDateTime } from './zoho-coql.js';
import { translateZohoError, zohoResultError } from './zoho-error.js';
import { toCrmPerson, toZohoRecord, ZOHO_PHONE_FIELDS, type ZohoPersonShape } from './zoho-person.js';
import { ZohoTokenSource } from './zoho-token.source.js';
import { ZohoRecordsResponse, ZohoWriteResponse, type ZohoRecord, type ZohoWriteResult } from './zoho.schema.js';

export type ZohoConnectorOptions = {
  /** The org's accounts server: `https://accounts.zoho.com` (`.eu`, `.in`, `.com.au`, `.jp`, `.ca`, `.sa`, `.com.cn`). */
  accountsUrl: string;
  /** `https://www.zohoapis.com`; the token answer's `api_domain` takes precedence when present. */
  apiUrl: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  limiter: RateLimiter;
  clock: Clock;
  /** The module people live in. Default `Contacts` (`Leads` works too). */
  module?: string;
  /** The unique custom field holding our key. Default `Switchboard_Id`. */
  keyField?: string;
  /** The custom field on Tasks holding a task's idempotency key. Default `Switchboard_Key`. */
  taskKeyField?: string;
  /** Where `CrmPersonInput.phone` is written. Default `Mobile`. */
  phoneField?: string;
  /** Further field API names read by `listPeople`/`pollChanges` (mapped fields). */
  readFields?: string[];
  /** Base of record links, e.g. `https://crm.zoho.eu/crm/tab`; derived from `accountsUrl` when absent. */
  webTabUrl?: string | null;
  /** Requests admitted before any wait, and per second after. Default 20 and 10. */
  rateLimit?: { capacity: number; refillPerSecond: number };
  /** Calls in flight at once (Zoho's per-edition concurrency limit). Default 5 (Free edition). */
  maxConcurrency?: number;
  /** Records per `listPeople` page (≤ 200). */
  pageSize?: number;
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
};

export type ZohoConnector = CrmConnector & { close(): Promise<void> };

const API_VERSION = '/crm/v3';
const DAY_MS = 24 * 60 * 60_000;
/** COQL `not in` takes at most 50 values. */
const MAX_SEEN_IDS = 50;
/** The list API's `ids` parameter takes at most 100 ids; COQL pages of changes match it. */
const POLL_PAGE = 100;

/**
 * `t`: the last Modified_Time reported (ms, whole seconds). `ids`: records already reported at `t`
 * (excluded with `not in`, which also catches a record whose change at `t` lands after our read).
 * `after`: set instead of `ids` once more than 50 records share `t` (COQL's `not in` limit): the
 * rest of that second is read by id order.
 */
type PollCursor = { v: 1; t: number; ids: string[]; after?: string };

/** `https://accounts.zoho.eu` → `https://crm.zoho.eu/crm/tab`; null for any other host (a fake, a proxy). */
export function zohoWebTabUrl(accountsUrl: string): string | null {
  let host: string;
  try {
    host = new URL(accountsUrl).hostname;
  } catch {
    return null;
  }
  const match = /^accounts\.(zoho(?:cloud)?\.[a-z.]+)$/.exec(host);
  return match ? `https://crm.${match[1]}/crm/tab` : null;
}

function tokenFingerprint(parts: string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 16);
}

/** Our key as it appears in a note title; long keys are hashed so the title stays within Zoho's length. */
function noteMarker(idempotencyKey: string): string {
  const key = idempotencyKey.length <= 60 ? idempotencyKey : `h:${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 40)}`;
  return `[sb:${key}]`;
}

function isoDate(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

function encodeCursor(cursor: PollCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(text: string): PollCursor {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<PollCursor>;
    if (value.v === 1 && typeof value.t === 'number' && Number.isFinite(value.t) && Array.isArray(value.ids)) {
      const ids = value.ids.filter((id): id is string => typeof id === 'string' && isZohoId(id));
      return { v: 1, t: value.t, ids, ...(typeof value.after === 'string' && isZohoId(value.after) ? { after: value.after } : {}) };
    }
  } catch {
    // fall through
  }
  throw new CrmError('CRM_REJECTED', 'This change cursor was not issued by the Zoho connector.');
}

/**
 * Zoho CRM (API v3) as a CrmConnector. People are records of `Contacts` keyed by the unique custom
 * field `Switchboard_Id`: writes are upserts on it (no duplicates, whatever the search index says)
 * and lookups by key go through COQL, which has no index lag. Phone and email lookups use the
 * search API, whose index lags. Messages are Notes, tasks are Tasks, both made idempotent by our
 * key (in the note title; in `Switchboard_Key` on the task). Changes are polled with COQL on
 * `Modified_Time`. See README.md for the org setup.
 */
class ZohoCrmConnector implements ZohoConnector {
  readonly kind = 'zoho' as const;
  private readonly tokens: ZohoTokenSource;
  private readonly accounts: CrmHttpClient;
  private readonly clients = new Map<string, CrmHttpClient>();
  private readonly gate: ConcurrencyGate;
  private readonly shape: ZohoPersonShape;
  private readonly module: string;
  private readonly keyField: string;
  private readonly taskKeyField: string;
  private readonly readFields: string[];
  private readonly bucketKey: string;
  private readonly pageSize: number;

  constructor(private readonly options: ZohoConnectorOptions) {
    this.module = assertApiName('module', options.module ?? 'Contacts');
    this.keyField = assertApiName('key field', options.keyField ?? 'Switchboard_Id');
    this.taskKeyField = assertApiName('task key field', options.taskKeyField ?? 'Switchboard_Key');
    const phoneField = assertApiName('phone field', options.phoneField ?? 'Mobile');
    this.shape = {
      module: this.module,
      keyField: this.keyField,
      phoneField,
      webTabUrl: options.webTabUrl === undefined ? zohoWebTabUrl(options.accountsUrl) : options.webTabUrl,
    };
    // Leads have only Phone and Mobile; asking the list API for a field a module lacks is an error.
    const phones = this.module === 'Contacts' ? [...ZOHO_PHONE_FIELDS] : ['Mobile', 'Phone'];
    const extra = (options.readFields ?? []).map((name) => assertApiName('read field', name));
    this.readFields = [...new Set(['First_Name', 'Last_Name', 'Email', ...phones, phoneField, 'Owner', 'Tag', 'Created_Time', 'Modified_Time', this.keyField, ...extra])].slice(0, 50);
    this.pageSize = Math.min(200, Math.max(1, options.pageSize ?? 200));
    this.bucketKey = `crm:zoho:${tokenFingerprint([options.accountsUrl, options.clientId, options.refreshToken])}`;
    this.gate = new ConcurrencyGate(options.maxConcurrency ?? 5);
    this.accounts = new CrmHttpClient({
      baseUrl: options.accountsUrl,
      credentials: { header: async () => ({}) },
      // Zoho issues at most ten access tokens per refresh token in ten minutes.
      rateLimit: { key: `${this.bucketKey}:token`, capacity: 10, refillPerSecond: 10 / 600 },
      limiter: options.limiter,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.sleep ? { sleep: options.sleep } : {}),
    });
    this.tokens = new ZohoTokenSource(this.accounts, { clientId: options.clientId, clientSecret: options.clientSecret, refreshToken: options.refreshToken }, options.clock);
  }

  // ---- reads -------------------------------------------------------------------------------

  async findByKey(switchboardKey: string): Promise<CrmPerson | null> {
    const ids = await this.coqlIds(`select id from ${this.module} where ${this.keyField} = ${coqlString(switchboardKey)} limit 2`);
    const id = ids[0];
    return id ? this.getPerson(id) : null;
  }

  async findByPhone(variants: string[]): Promise<CrmPerson[]> {
    const terms = [...new Set(variants.map((v) => v.trim()).filter((v) => v.length >= 3))];
    const found = new Map<string, CrmPerson>();
    // `phone=` searches every phone-type field of the module on its stored text, so each spelling is one search.
    for (const phone of terms) {
      for (const record of await this.search({ phone })) if (!found.has(record.id)) found.set(record.id, toCrmPerson(record, this.shape));
    }
    return [...found.values()];
  }

  async findByEmail(email: string): Promise<CrmPerson[]> {
    const term = email.trim();
    if (!term) return [];
    return (await this.search({ email: term })).map((record) => toCrmPerson(record, this.shape));
  }

  async getPerson(crmId: string): Promise<CrmPerson | null> {
    if (!isZohoId(crmId)) return null;
    let res: CrmResponse;
    try {
      res = await this.send({ method: 'GET', path: `/${this.module}/${crmId}`, accept: [204] });
    } catch (error) {
      if (error instanceof CrmError && error.code === 'CRM_NOT_FOUND') return null;
      throw error;
    }
    if (res.status === 204) return null;
    const record = this.records(res)[0];
    return record ? toCrmPerson(record, this.shape) : null;
  }

  async listPeople(cursor: string | null): Promise<CrmPage<CrmPerson>> {
    const query: Record<string, string | number> = { fields: this.readFields.join(','), per_page: this.pageSize, sort_by: 'id', sort_order: 'asc' };
    let page = 1;
    if (cursor?.startsWith('t:')) query.page_token = cursor.slice(2);
    else if (cursor?.startsWith('p:') && /^\d+$/.test(cursor.slice(2))) page = Number(cursor.slice(2));
    else if (cursor !== null) throw new CrmError('CRM_REJECTED', 'This page cursor was not issued by the Zoho connector.');
    if (query.page_token === undefined) query.page = page;
    const res = await this.readList(query);
    if (res.status === 204) return { items: [], next: null };
    const parsed = this.parse(ZohoRecordsResponse, res.body);
    const info = parsed.info;
    // Past 2,000 records Zoho pages only by token; use the token whenever it is offered.
    const next = info?.next_page_token ? `t:${info.next_page_token}` : info?.more_records ? `p:${(info.page ?? page) + 1}` : null;
    return { items: parsed.data.map((record) => toCrmPerson(record, this.shape)), next };
  }

  /**
   * Changes polled with COQL on `Modified_Time` (search would miss records its index has not
   * caught up with). Zoho keeps whole seconds, so the cursor holds the last second seen and the
   * ids already reported at that second (`id not in (…)`), not a strict `>`.
   */
  async pollChanges(cursor: string | null): Promise<CrmPage<CrmChange> & { next: string }> {
    if (cursor === null) {
      const now = Math.floor(this.options.clock.now() / 1000) * 1000;
      return { items: [], next: encodeCursor({ v: 1, t: now, ids: [] }) };
    }
    const state = decodeCursor(cursor);
    const at = coqlDateTime(state.t);
    const where = state.after
      ? `(Modified_Time > ${at} or (Modified_Time = ${at} and id > ${state.after}))`
      : state.ids.length > 0
        ? `(Modified_Time >= ${at} and id not in (${state.ids.join(', ')}))`
        : `Modified_Time >= ${at}`;
    const rows = await this.coql(`select id, Created_Time, Modified_Time from ${this.module} where ${where} order by Modified_Time asc, id asc limit ${POLL_PAGE}`);
    if (rows.length === 0) return { items: [], next: cursor };

    const people = await this.readByIds(rows.map((row) => row.id));
    const items: CrmChange[] = [];
    let last = state.t;
    let idsAtLast = [...state.ids];
    let after = state.after;
    for (const row of rows) {
      const rec = row as Record<string, unknown>;
      const modified = Date.parse(String(rec.Modified_Time));
      const created = Date.parse(String(rec.Created_Time));
      if (Number.isNaN(modified)) continue;
      if (modified > last) {
        last = modified;
        idsAtLast = [];
        after = undefined;
      }
      if (after !== undefined) after = row.id; // rows come in id order within a second
      else idsAtLast.push(row.id);
      const person = people.get(row.id);
      if (!person) continue; // deleted since
      // Zoho stamps a new record with Created_Time = Modified_Time; one created after the cursor is new too.
      const kind = created > state.t || created === modified ? 'person.created' : 'person.updated';
      items.push({ kind, person, occurredAt: modified });
    }
    if (after === undefined && idsAtLast.length > MAX_SEEN_IDS) {
      after = idsAtLast.reduce((max, id) => (BigInt(id) > BigInt(max) ? id : max));
      idsAtLast = [];
    }
    return { items, next: encodeCursor({ v: 1, t: last, ids: after === undefined ? idsAtLast : [], ...(after !== undefined ? { after } : {}) }) };
  }

  // ---- writes ------------------------------------------------------------------------------

  async upsertPerson(input: CrmPersonInput): Promise<CrmPerson> {
    const record = toZohoRecord(input, this.shape);
    const body = (data: Record<string, unknown>) => ({ data: [data], duplicate_check_fields: [this.keyField], trigger: ['workflow'] });
    let result = await this.write('POST', `/${this.module}/upsert`, body(record));
    // Last_Name is mandatory only when the upsert inserts; never send a placeholder that would overwrite a real name.
    if (result.status === 'error' && result.code === 'MANDATORY_NOT_FOUND' && result.details?.api_name === 'Last_Name' && input.lastName === undefined) {
      result = await this.write('POST', `/${this.module}/upsert`, body({ ...record, Last_Name: input.phone ?? input.email ?? 'WhatsApp contact' }));
    }
    return this.afterWrite(this.ok(result), input.tags);
  }

  async updatePerson(crmId: string, input: CrmPersonInput): Promise<CrmPerson> {
    if (!isZohoId(crmId)) throw new CrmError('CRM_NOT_FOUND', `Zoho CRM has no ${this.module} record ${JSON.stringify(crmId)}.`);
    const result = await this.write('PUT', `/${this.module}/${crmId}`, { data: [toZohoRecord(input, this.shape)], trigger: ['workflow'] });
    return this.afterWrite(this.ok(result), input.tags);
  }

  /**
   * A Note on the record, titled with the direction, the time and our key. Before creating one,
   * the record's notes are read newest first back to a day before the message (a note for it can
   * only have been written after it happened), so a retried log finds the note it already wrote.
   */
  async logActivity(input: CrmActivityInput): Promise<{ activityId: string }> {
    if (!isZohoId(input.crmId)) throw new CrmError('CRM_NOT_FOUND', `Zoho CRM has no ${this.module} record ${JSON.stringify(input.crmId)}.`);
    const marker = noteMarker(input.idempotencyKey);
    const existing = await this.findNote(input.crmId, marker, input.occurredAt);
    if (existing) return { activityId: existing };
    const when = `${zohoDateTime(input.occurredAt).slice(0, 16).replace('T', ' ')} UTC`;
    const title = `WhatsApp ${input.direction === 'inbound' ? 'message received' : 'message sent'} ${when} ${marker}`;
    const result = this.ok(
      await this.write('POST', `/${this.module}/${input.crmId}/Notes`, { data: [{ Note_Title: title, Note_Content: input.body.length > 0 ? input.body : '(no text)' }] }),
    );
    return { activityId: this.idOf(result) };
  }

  /** A Task linked to the person, found again by `Switchboard_Key` (COQL, no lag) before creating one. */
  async createTask(input: CrmTaskInput): Promise<{ taskId: string }> {
    if (!isZohoId(input.crmId)) throw new CrmError('CRM_NOT_FOUND', `Zoho CRM has no ${this.module} record ${JSON.stringify(input.crmId)}.`);
    const lookup = () => this.coqlIds(`select id from Tasks where ${this.taskKeyField} = ${coqlString(input.idempotencyKey)} limit 1`);
    const existing = (await lookup())[0];
    if (existing) return { taskId: existing };
    const link = this.module === 'Contacts' ? { Who_Id: { id: input.crmId } } : { What_Id: { id: input.crmId }, $se_module: this.module };
    const record: Record<string, unknown> = {
      Subject: input.subject,
      Status: 'Not Started',
      [this.taskKeyField]: input.idempotencyKey,
      ...link,
    };
    if (input.body !== null) record.Description = input.body;
    if (input.dueAt !== null) record.Due_Date = isoDate(input.dueAt);
    if (input.ownerId !== null) record.Owner = { id: input.ownerId };
    const result = await this.write('POST', '/Tasks', { data: [record], trigger: ['workflow'] });
    // With Switchboard_Key marked unique, a concurrent twin loses the race here and returns the winner.
    if (result.status === 'error' && result.code === 'DUPLICATE_DATA') {
      const winner = (await lookup())[0];
      if (winner) return { taskId: winner };
    }
    return { taskId: this.idOf(this.ok(result)) };
  }

  async close(): Promise<void> {
    await Promise.all([this.accounts.close(), ...[...this.clients.values()].map((client) => client.close())]);
  }

  // ---- internals ---------------------------------------------------------------------------

  private async afterWrite(result: ZohoWriteResult, tags: string[] | undefined): Promise<CrmPerson> {
    const id = this.idOf(result);
    const person = await this.getPerson(id);
    if (!person) throw new CrmError('CRM_NOT_FOUND', `Zoho CRM lost ${this.module} record ${id} right after writing it.`);
    if (tags === undefined) return person;
    return { ...person, tags: await this.setTags(id, person.tags, tags) };
  }

  /** Makes the record's tags exactly `wanted` through the tag actions (Zoho compares tag names without case). */
  private async setTags(id: string, current: string[], wanted: string[]): Promise<string[]> {
    const want = [...new Map(wanted.map((t) => t.trim()).filter(Boolean).map((t) => [t.toLowerCase(), t] as const)).values()];
    const has = new Set(current.map((t) => t.toLowerCase()));
    const keep = new Set(want.map((t) => t.toLowerCase()));
    const add = want.filter((t) => !has.has(t.toLowerCase()));
    const remove = current.filter((t) => !keep.has(t.toLowerCase()));
    if (add.length > 0) this.ok(await this.write('POST', `/${this.module}/${id}/actions/add_tags`, { tags: add.map((name) => ({ name })) }));
    if (remove.length > 0) this.ok(await this.write('POST', `/${this.module}/${id}/actions/remove_tags`, { tags: remove.map((name) => ({ name })) }));
    return [...current.filter((t) => keep.has(t.toLowerCase())), ...add];
  }

  private async findNote(crmId: string, marker: string, occurredAt: number): Promise<string | null> {
    const horizon = occurredAt - DAY_MS;
    for (let page = 1; page <= 100; page++) {
      const res = await this.send({
        method: 'GET',
        path: `/${this.module}/${crmId}/Notes`,
        query: { fields: 'Note_Title,Created_Time', per_page: 200, page, sort_by: 'Created_Time', sort_order: 'desc' },
        accept: [204],
      });
      if (res.status === 204) return null;
      const parsed = this.parse(ZohoRecordsResponse, res.body);
      for (const note of parsed.data) {
        const title = (note as Record<string, unknown>).Note_Title;
        if (typeof title === 'string' && title.includes(marker)) return note.id;
      }
      const times = parsed.data.map((note) => Date.parse(String((note as Record<string, unknown>).Created_Time)));
      // Stop early only when the page really is newest-first, so an API that ignored the sort costs calls, not correctness.
      const newestFirst = times.every((t, i) => !Number.isNaN(t) && (i === 0 || t <= (times[i - 1] as number)));
      const oldest = times.at(-1);
      if (newestFirst && oldest !== undefined && oldest < horizon) return null;
      if (!parsed.info?.more_records) return null;
    }
    return null;
  }

  /** Full records for ids (the list API's `ids`, 100 at a time), by id. */
  private async readByIds(ids: string[]): Promise<Map<string, CrmPerson>> {
    const out = new Map<string, CrmPerson>();
    for (let i = 0; i < ids.length; i += 100) {
      const chunk = ids.slice(i, i + 100);
      const res = await this.readList({ ids: chunk.join(','), fields: this.readFields.join(',') });
      if (res.status === 204) continue;
      for (const record of this.parse(ZohoRecordsResponse, res.body).data) out.set(record.id, toCrmPerson(record, this.shape));
    }
    return out;
  }

  /** The list API; a field it refuses is one of `readFields` (mapped fields) that the org lacks. */
  private async readList(query: Record<string, string | number>): Promise<CrmResponse> {
    try {
      return await this.send({ method: 'GET', path: `/${this.module}`, query, accept: [204] });
    } catch (error) {
      if (error instanceof CrmError && error.code === 'CRM_REJECTED' && error.details.vendorCode === 'INVALID_DATA') {
        throw new CrmError('CRM_MISCONFIGURED', `Zoho CRM refused to read the fields ${this.readFields.join(', ')} of ${this.module}: create the missing ones or remove them from the field mapping (${error.message}).`, error.details);
      }
      throw error;
    }
  }

  private async search(params: { phone: string } | { email: string }): Promise<ZohoRecord[]> {
    const out: ZohoRecord[] = [];
    for (let page = 1; page <= 10; page++) {
      const res = await this.send({ method: 'GET', path: `/${this.module}/search`, query: { ...params, page, per_page: 200 }, accept: [204] });
      if (res.status === 204) break; // Zoho's "no match"
      const parsed = this.parse(ZohoRecordsResponse, res.body);
      out.push(...parsed.data);
      if (!parsed.info?.more_records) break;
    }
    return out;
  }

  private async coql(selectQuery: string): Promise<ZohoRecord[]> {
    const res = await this.send({ method: 'POST', path: '/coql', json: { select_query: selectQuery }, accept: [204] });
    if (res.status === 204) return [];
    return this.parse(ZohoRecordsResponse, res.body).data;
  }

  private async coqlIds(selectQuery: string): Promise<string[]> {
    return (await this.coql(selectQuery)).map((row) => row.id);
  }

  /** A write whose per-record outcome the caller reads (Zoho answers 400/207 with per-record errors). */
  private async write(method: 'POST' | 'PUT', path: string, json: unknown): Promise<ZohoWriteResult & { httpStatus: number }> {
    const res = await this.send({ method, path, json, accept: [400, 207] });
    const parsed = ZohoWriteResponse.safeParse(res.body);
    if (!parsed.success) {
      // A 400 without per-record results is a request-level error: let the translator name it.
      if (res.status === 400) throw translateZohoError(this.options.clock)(400, JSON.stringify(res.body), res.headers);
      throw new CrmError('CRM_UNAVAILABLE', `Zoho CRM answered ${method} ${path} with an unexpected body.`, { httpStatus: res.status, body: JSON.stringify(res.body).slice(0, 500) });
    }
    return { ...(parsed.data.data[0] as ZohoWriteResult), httpStatus: res.status };
  }

  private ok(result: ZohoWriteResult & { httpStatus: number }): ZohoWriteResult {
    if (result.status === 'error') throw zohoResultError(result.httpStatus, result);
    return result;
  }

  private idOf(result: ZohoWriteResult): string {
    const id = result.details?.id;
    if (typeof id === 'string' || typeof id === 'number') return String(id);
    throw new CrmError('CRM_UNAVAILABLE', 'Zoho CRM confirmed a write without a record id.', { body: JSON.stringify(result).slice(0, 500) });
  }

  private records(res: CrmResponse): ZohoRecord[] {
    return this.parse(ZohoRecordsResponse, res.body).data;
  }

  private parse<T>(schema: { safeParse(value: unknown): { success: true; data: T } | { success: false } }, body: unknown): T {
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw new CrmError('CRM_UNAVAILABLE', 'Zoho CRM answered with a body this connector does not understand.', { body: JSON.stringify(body).slice(0, 500) });
    return parsed.data;
  }

  private async send(req: CrmRequest): Promise<CrmResponse> {
    return this.gate.run(async () => (await this.api()).send({ ...req, path: `${API_VERSION}${req.path}` }));
  }

  /** The API client for the org's data centre (the token answer's `api_domain`, else `apiUrl`). */
  private async api(): Promise<CrmHttpClient> {
    const base = ((await this.tokens.apiDomain()) ?? this.options.apiUrl).replace(/\/$/, '');
    let client = this.clients.get(base);
    if (!client) {
      const { capacity, refillPerSecond } = this.options.rateLimit ?? { capacity: 20, refillPerSecond: 10 };
      client = new CrmHttpClient({
        baseUrl: base,
        credentials: this.tokens,
        rateLimit: { key: this.bucketKey, capacity, refillPerSecond },
        limiter: this.options.limiter,
        translateError: translateZohoError(this.options.clock),
        ...(this.options.timeoutMs !== undefined ? { timeoutMs: this.options.timeoutMs } : {}),
        ...(this.options.sleep ? { sleep: this.options.sleep } : {}),
      });
      this.clients.set(base, client);
    }
    return client;
  }
}

export function createZohoConnector(options: ZohoConnectorOptions): ZohoConnector {
  return new ZohoCrmConnector(options);
}
