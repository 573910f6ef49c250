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
  type CrmResponse,
  type CrmTaskInput,
} from '../../index.js';
import { PersonFieldCatalog, type PersonFieldCatalogData } from './person-fields.catalog.js';
import { translatePipedriveError } from './pipedrive-error.js';
import { customFieldText, pipedriveTime, toCrmPerson } from './pipedrive-person.js';
import { personEventOf, verifyWebhookCredentials } from './pipedrive-webhook.js';
import {
  ActivitiesResponse,
  CreatedResponse,
  NotesResponse,
  PersonFieldsResponse,
  PersonListResponse,
  PersonResponse,
  PersonSearchResponse,
  type PersonField,
  type PipedrivePerson,
} from './pipedrive.schema.js';

export type PipedriveConnectorOptions = {
  /** `https://api.pipedrive.com` or `https://{company}.pipedrive.com` (paths add `/api/v1|v2`). */
  baseUrl: string;
  apiToken: string;
  limiter: RateLimiter;
  clock: Clock;
  /** The hash key of the person custom field holding our key; found by `keyFieldName` when absent. */
  keyFieldKey?: string;
  /** Default `switchboard_id`. */
  keyFieldName?: string;
  /** `acme` for `https://acme.pipedrive.com/person/{id}` links; derived from `baseUrl` when it is a company host. */
  companyDomain?: string | null;
  /** The basic-auth credentials set on the Pipedrive webhook (`http_auth_user`/`http_auth_password`). Without them `parseWebhook` refuses every request. */
  webhookUser?: string;
  webhookPassword?: string;
  /**
   * The general burst budget. Pipedrive counts requests per token in 2-second windows (api_token:
   * Essential 20, Advanced 40, Professional 80, Power 100, Enterprise 120); a bucket keeps any 2 s
   * within the window when capacity + 2 × refill ≤ the plan's number. Default 10 + 5/s (Essential).
   */
  rateLimit?: { capacity: number; refillPerSecond: number };
  /** The search endpoints' own budget: 10 per 2 s on every plan. Default 5 + 2.5/s. */
  searchRateLimit?: { capacity: number; refillPerSecond: number };
  /** Activity type key for tasks. Default `task`. */
  taskType?: string;
  /** Persons per `listPeople` page (≤ 500). Default 100. */
  pageSize?: number;
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
};

export type PipedriveConnector = CrmConnector & { parseWebhook: NonNullable<CrmConnector['parseWebhook']>; close(): Promise<void> };

const DAY_MS = 24 * 60 * 60_000;
/** Pipedrive's `exact_match` works on terms of up to 30 characters; longer ones are searched loosely and compared here. */
const EXACT_MATCH_MAX = 30;
const KEY_CACHE_SIZE = 10_000;
const STANDARD_WRITABLE = new Set(['org_id', 'visible_to', 'marketing_status', 'job_title']);

type PollCursor = { v: 1; since: number; c: string | null; hi: number; ids: string[] };

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function html(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\n/g, '<br>');
}

function marker(idempotencyKey: string): string {
  const key = idempotencyKey.length <= 100 ? idempotencyKey : `h:${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 40)}`;
  return html(`[sb:${key}]`);
}

function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function isId(value: string): boolean {
  return /^\d{1,15}$/.test(value);
}

function encodeCursor(cursor: PollCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(text: string): PollCursor {
  try {
    const v = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<PollCursor>;
    if (v.v === 1 && typeof v.since === 'number' && typeof v.hi === 'number' && Array.isArray(v.ids) && (v.c === null || typeof v.c === 'string')) {
      return { v: 1, since: v.since, c: v.c, hi: v.hi, ids: v.ids.filter((id): id is string => typeof id === 'string') };
    }
  } catch {
    // fall through
  }
  throw new CrmError('CRM_REJECTED', 'This change cursor was not issued by the Pipedrive connector.');
}

/** `https://acme.pipedrive.com` → `acme`; `api.pipedrive.com`, a fake or a proxy → null. */
export function pipedriveCompanyDomain(baseUrl: string): string | null {
  try {
    const match = /^([a-z0-9-]+)\.pipedrive\.com$/i.exec(new URL(baseUrl).hostname);
    return match && match[1]?.toLowerCase() !== 'api' ? (match[1] as string) : null;
  } catch {
    return null;
  }
}

/**
 * Pipedrive (API v2 persons, v1 notes/activities/fields) as a CrmConnector. Our key lives in a
 * person custom field; Pipedrive has no unique fields or upsert, so `upsertPerson` is find-by-key
 * then create or patch. Finding by key uses the search API, whose index lags, so the connector
 * remembers the persons it wrote (key → id, verified by a direct read on use): a second upsert
 * of a key right after the first finds the record even before search does. Notes and tasks carry
 * our key as a marker and are looked up on the person before being written. Changes come from
 * webhooks v2 (`parseWebhook`) and from polling `GET /api/v2/persons?updated_since=…`.
 */
class PipedriveCrmConnector implements PipedriveConnector {
  readonly kind = 'pipedrive' as const;
  private readonly http: CrmHttpClient;
  private readonly searchHttp: CrmHttpClient;
  private readonly catalog: PersonFieldCatalog;
  private readonly keyCache = new Map<string, string>();
  private readonly personUrlBase: string | null;
  private readonly pageSize: number;

  constructor(private readonly options: PipedriveConnectorOptions) {
    const fingerprint = createHash('sha256').update(options.apiToken).digest('hex').slice(0, 16);
    const general = { key: `crm:pipedrive:${fingerprint}`, ...(options.rateLimit ?? { capacity: 10, refillPerSecond: 5 }) };
    const sleep = options.sleep ?? defaultSleep;
    const credentials = { header: async () => ({ 'x-api-token': options.apiToken }) };
    const common = {
      baseUrl: options.baseUrl,
      credentials,
      limiter: options.limiter,
      translateError: translatePipedriveError,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      sleep,
    };
    this.http = new CrmHttpClient({ ...common, rateLimit: general });
    // A search spends from both budgets: its own bucket first, then the general one.
    const bothBuckets: RateLimiter = {
      reserve: async (key, config, count) => {
        const own = await options.limiter.reserve(key, config, count);
        if (!own.ok) return own;
        for (;;) {
          const shared = await options.limiter.reserve(general.key, general);
          if (shared.ok) return shared;
          await sleep(shared.retryAfterMs);
        }
      },
    };
    this.searchHttp = new CrmHttpClient({ ...common, limiter: bothBuckets, rateLimit: { key: `${general.key}:search`, ...(options.searchRateLimit ?? { capacity: 5, refillPerSecond: 2.5 }) } });
    this.catalog = new PersonFieldCatalog(() => this.loadPersonFields(), { ...(options.keyFieldKey ? { key: options.keyFieldKey } : {}), name: options.keyFieldName ?? 'switchboard_id' }, options.clock);
    const company = options.companyDomain === undefined ? pipedriveCompanyDomain(options.baseUrl) : options.companyDomain;
    this.personUrlBase = company ? `https://${company}.pipedrive.com` : null;
    this.pageSize = Math.min(500, Math.max(1, options.pageSize ?? 100));
  }

  // ---- reads -------------------------------------------------------------------------------

  async findByKey(switchboardKey: string): Promise<CrmPerson | null> {
    const catalog = await this.catalog.get();
    const cached = this.keyCache.get(switchboardKey);
    if (cached) {
      const person = await this.getRaw(cached);
      if (person && customFieldText(person.custom_fields?.[catalog.keyFieldKey]) === switchboardKey) return toCrmPerson(person, catalog, this.personUrlBase);
      this.keyCache.delete(switchboardKey);
    }
    if (switchboardKey.length === 0) return null;
    for (const id of await this.searchIds(switchboardKey, 'custom_fields')) {
      const person = await this.getRaw(id);
      // exact_match ignores case and long terms are searched loosely: the key must be equal here.
      if (person && customFieldText(person.custom_fields?.[catalog.keyFieldKey]) === switchboardKey) {
        this.remember(switchboardKey, id);
        return toCrmPerson(person, catalog, this.personUrlBase);
      }
    }
    return null;
  }

  async findByPhone(variants: string[]): Promise<CrmPerson[]> {
    const ids: string[] = [];
    for (const term of new Set(variants.map((v) => v.trim()).filter((v) => v.length > 0))) {
      for (const id of await this.searchIds(term, 'phone')) if (!ids.includes(id)) ids.push(id);
    }
    return this.readAll(ids);
  }

  async findByEmail(email: string): Promise<CrmPerson[]> {
    const term = email.trim();
    if (!term) return [];
    return this.readAll(await this.searchIds(term, 'email'));
  }

  async getPerson(crmId: string): Promise<CrmPerson | null> {
    if (!isId(crmId)) return null;
    const person = await this.getRaw(crmId);
    return person ? toCrmPerson(person, await this.catalog.get(), this.personUrlBase) : null;
  }

  async listPeople(cursor: string | null): Promise<CrmPage<CrmPerson>> {
    const catalog = await this.catalog.get();
    const res = await this.http.send({ method: 'GET', path: '/api/v2/persons', query: { limit: this.pageSize, sort_by: 'id', sort_direction: 'asc', cursor: cursor ?? undefined } });
    const page = this.parse(PersonListResponse, res);
    return { items: (page.data ?? []).map((p) => toCrmPerson(p, catalog, this.personUrlBase)), next: page.additional_data?.next_cursor ?? null };
  }

  /**
   * Persons by `update_time` (whole seconds, `updated_since` inclusive). The cursor keeps the
   * listing's start and Pipedrive's page cursor while a listing lasts, and the last second
   * reported with the ids already reported in it, so nothing is reported twice or skipped.
   */
  async pollChanges(cursor: string | null): Promise<CrmPage<CrmChange> & { next: string }> {
    if (cursor === null) {
      const now = Math.floor(this.options.clock.now() / 1000) * 1000;
      return { items: [], next: encodeCursor({ v: 1, since: now, c: null, hi: now, ids: [] }) };
    }
    const state = decodeCursor(cursor);
    const catalog = await this.catalog.get();
    const res = await this.http.send({
      method: 'GET',
      path: '/api/v2/persons',
      query: { updated_since: rfc3339(state.since), sort_by: 'update_time', sort_direction: 'asc', limit: this.pageSize, cursor: state.c ?? undefined },
    });
    const page = this.parse(PersonListResponse, res);
    const items: CrmChange[] = [];
    let hi = state.hi;
    let ids = [...state.ids];
    for (const person of page.data ?? []) {
      const updated = pipedriveTime(person.update_time);
      if (updated === null) continue;
      const id = String(person.id);
      if (updated < hi || (updated === hi && ids.includes(id))) continue;
      if (updated > hi) {
        hi = updated;
        ids = [];
      }
      ids.push(id);
      const added = pipedriveTime(person.add_time);
      const kind = added !== null && (added > state.since || added === updated) ? 'person.created' : 'person.updated';
      items.push({ kind, person: toCrmPerson(person, catalog, this.personUrlBase), occurredAt: updated });
    }
    const nextCursor = page.additional_data?.next_cursor ?? null;
    let next: PollCursor;
    if (nextCursor) next = { v: 1, since: state.since, c: nextCursor, hi, ids: ids.slice(-1000) };
    // A listing is done. The next one starts at the last second seen (a change landing late in that
    // second is still caught), unless that second alone fills a page: re-reading it on every poll
    // would cost a page each time, so the next listing starts at the following second.
    else if (ids.length >= this.pageSize) next = { v: 1, since: Math.max(state.since, hi + 1000), c: null, hi, ids: [] };
    else next = { v: 1, since: Math.max(state.since, hi), c: null, hi, ids };
    const same = next.since === state.since && next.c === state.c && next.hi === state.hi && next.ids.join() === state.ids.join();
    return { items, next: same ? cursor : encodeCursor(next) };
  }

  async parseWebhook(request: { headers: Record<string, string | string[] | undefined>; rawBody: Buffer }): Promise<CrmChange[]> {
    const { webhookUser, webhookPassword } = this.options;
    if (webhookUser === undefined || webhookPassword === undefined) {
      throw new CrmError('CRM_MISCONFIGURED', 'Pipedrive webhooks need basic-auth credentials: set them on the webhook and in the connector (webhookUser/webhookPassword).');
    }
    verifyWebhookCredentials(request.headers, webhookUser, webhookPassword);
    const events = personEventOf(request.rawBody, this.options.clock.now());
    if (events.length === 0) return [];
    const catalog = await this.catalog.get();
    return events.map((event) => {
      const person = toCrmPerson(event.person, catalog, this.personUrlBase);
      if (person.switchboardKey) this.remember(person.switchboardKey, person.crmId);
      return { kind: event.kind, person, occurredAt: event.occurredAt };
    });
  }

  // ---- writes ------------------------------------------------------------------------------

  async upsertPerson(input: CrmPersonInput): Promise<CrmPerson> {
    const existing = await this.findByKey(input.switchboardKey);
    if (existing) return this.updatePerson(existing.crmId, input);
    const catalog = await this.catalog.get();
    const body = await this.personBody(input, null, catalog);
    if (typeof body.name !== 'string' || body.name.length === 0) body.name = input.phone ?? input.email ?? 'WhatsApp contact';
    const res = await this.http.send({ method: 'POST', path: '/api/v2/persons', json: body });
    const person = this.parse(PersonResponse, res).data;
    this.remember(input.switchboardKey, String(person.id));
    // Labels may have reloaded the field list while the body was built.
    return toCrmPerson(person, await this.catalog.get(), this.personUrlBase);
  }

  async updatePerson(crmId: string, input: CrmPersonInput): Promise<CrmPerson> {
    if (!isId(crmId)) throw new CrmError('CRM_NOT_FOUND', `Pipedrive has no person ${JSON.stringify(crmId)}.`);
    const catalog = await this.catalog.get();
    // The name is one field and phones/emails are lists: merging needs the record as it is.
    const needsCurrent = (input.firstName === undefined) !== (input.lastName === undefined) || input.phone || input.email;
    const current = needsCurrent ? await this.getRaw(crmId) : null;
    if (needsCurrent && !current) throw new CrmError('CRM_NOT_FOUND', `Pipedrive has no person ${crmId}.`);
    const body = await this.personBody(input, current, catalog);
    const res = await this.http.send({ method: 'PATCH', path: `/api/v2/persons/${crmId}`, json: body });
    const person = this.parse(PersonResponse, res).data;
    this.remember(input.switchboardKey, String(person.id));
    return toCrmPerson(person, await this.catalog.get(), this.personUrlBase);
  }

  /** A note on the person; its content ends with our marker, looked for among the person's notes first. */
  async logActivity(input: CrmActivityInput): Promise<{ activityId: string }> {
    if (!isId(input.crmId)) throw new CrmError('CRM_NOT_FOUND', `Pipedrive has no person ${JSON.stringify(input.crmId)}.`);
    const mark = marker(input.idempotencyKey);
    const existing = await this.findNote(input.crmId, mark, input.occurredAt);
    if (existing) return { activityId: existing };
    const when = `${rfc3339(input.occurredAt).slice(0, 16).replace('T', ' ')} UTC`;
    const direction = input.direction === 'inbound' ? 'received' : 'sent';
    const content = `<p>${html(input.body)}</p><p><small>WhatsApp message ${direction} · ${when} · ${mark}</small></p>`;
    const res = await this.http.send({ method: 'POST', path: '/api/v1/notes', json: { content, person_id: Number(input.crmId) } });
    return { activityId: String(this.parse(CreatedResponse, res).data.id) };
  }

  /** An activity of type `task` on the person; its note carries our marker, looked for among the person's activities first. */
  async createTask(input: CrmTaskInput): Promise<{ taskId: string }> {
    if (!isId(input.crmId)) throw new CrmError('CRM_NOT_FOUND', `Pipedrive has no person ${JSON.stringify(input.crmId)}.`);
    const mark = marker(input.idempotencyKey);
    const existing = await this.findActivity(input.crmId, mark);
    if (existing) return { taskId: existing };
    const body: Record<string, unknown> = {
      subject: input.subject,
      type: this.options.taskType ?? 'task',
      person_id: Number(input.crmId),
      done: 0,
      note: `${input.body ? `<p>${html(input.body)}</p>` : ''}<p><small>${mark}</small></p>`,
    };
    if (input.ownerId !== null) body.user_id = this.userId(input.ownerId);
    if (input.dueAt !== null) {
      const iso = new Date(input.dueAt).toISOString();
      body.due_date = iso.slice(0, 10);
      body.due_time = iso.slice(11, 16);
    }
    const res = await this.http.send({ method: 'POST', path: '/api/v1/activities', json: body });
    return { taskId: String(this.parse(CreatedResponse, res).data.id) };
  }

  async close(): Promise<void> {
    await Promise.all([this.http.close(), this.searchHttp.close()]);
  }

  // ---- internals ---------------------------------------------------------------------------

  private async personBody(input: CrmPersonInput, current: PipedrivePerson | null, catalog: PersonFieldCatalogData): Promise<Record<string, unknown>> {
    const body: Record<string, unknown> = {};
    const custom: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(input.fields ?? {})) {
      if (STANDARD_WRITABLE.has(name)) {
        body[name] = value;
        continue;
      }
      const field = catalog.byKey.get(name) ?? catalog.byName.get(name.toLowerCase());
      if (!field || !catalog.custom.includes(field)) throw new CrmError('CRM_MISCONFIGURED', `Pipedrive has no person custom field ${JSON.stringify(name)} to map to.`);
      custom[field.key] = value;
    }
    custom[catalog.keyFieldKey] = input.switchboardKey;
    body.custom_fields = custom;
    if (input.firstName !== undefined || input.lastName !== undefined) {
      const first = input.firstName !== undefined ? input.firstName : (current?.first_name ?? null);
      const last = input.lastName !== undefined ? input.lastName : (current?.last_name ?? null);
      const name = [first, last].filter((part): part is string => !!part && part.trim().length > 0).join(' ');
      if (name) body.name = name;
    }
    if (input.phone !== undefined) body.phones = this.mergeContacts(current?.phones, input.phone, 'mobile');
    if (input.email !== undefined) body.emails = this.mergeContacts(current?.emails, input.email, 'work');
    if (input.ownerId !== undefined && input.ownerId !== null) body.owner_id = this.userId(input.ownerId);
    if (input.tags !== undefined) body.label_ids = await this.labelIds(input.tags, catalog);
    return body;
  }

  /** The new value becomes the primary one; the person's other numbers or addresses stay. null clears the list. */
  private mergeContacts(current: PipedrivePerson['phones'], value: string | null, label: string) {
    if (value === null) return [];
    const others = (current ?? []).filter((c) => c.value !== value).map((c) => ({ value: c.value, primary: false, label: c.label ?? label }));
    const kept = (current ?? []).find((c) => c.value === value);
    return [{ value, primary: true, label: kept?.label ?? label }, ...others];
  }

  private async labelIds(tags: string[], catalog: PersonFieldCatalogData): Promise<number[]> {
    let data = catalog;
    const missing = () => tags.filter((t) => !data.labelIdByName.has(t.trim().toLowerCase()));
    if (missing().length > 0) {
      this.catalog.invalidate();
      data = await this.catalog.get();
    }
    const unknown = missing();
    if (unknown.length > 0) throw new CrmError('CRM_MISCONFIGURED', `Pipedrive has no person label ${unknown.map((t) => JSON.stringify(t)).join(', ')}: create it under Settings › Data fields › Person › Labels.`);
    return [...new Set(tags.map((t) => data.labelIdByName.get(t.trim().toLowerCase()) as number))];
  }

  private userId(ownerId: string): number {
    if (!/^\d{1,15}$/.test(ownerId)) throw new CrmError('CRM_REJECTED', `A Pipedrive user id is a number, not ${JSON.stringify(ownerId)}.`);
    return Number(ownerId);
  }

  private async getRaw(id: string): Promise<PipedrivePerson | null> {
    let res: CrmResponse;
    try {
      res = await this.http.send({ method: 'GET', path: `/api/v2/persons/${id}` });
    } catch (error) {
      if (error instanceof CrmError && error.code === 'CRM_NOT_FOUND') return null;
      throw error;
    }
    const person = this.parse(PersonResponse, res).data;
    return person.is_deleted ? null : person;
  }

  private async readAll(ids: string[]): Promise<CrmPerson[]> {
    const catalog = await this.catalog.get();
    const out: CrmPerson[] = [];
    for (const id of ids) {
      const person = await this.getRaw(id);
      if (person) out.push(toCrmPerson(person, catalog, this.personUrlBase));
    }
    return out;
  }

  /** Person ids whose `field` matches `term` (`exact_match` up to 30 characters), all pages. */
  private async searchIds(term: string, field: 'phone' | 'email' | 'custom_fields'): Promise<string[]> {
    const exact = term.length <= EXACT_MATCH_MAX;
    if (!exact && term.length < 2) return [];
    const ids: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = await this.searchHttp.send({
        method: 'GET',
        path: '/api/v2/persons/search',
        query: { term, fields: field, exact_match: exact ? 'true' : 'false', limit: 100, cursor },
      });
      const parsed = this.parse(PersonSearchResponse, res);
      for (const entry of parsed.data?.items ?? []) if (!ids.includes(String(entry.item.id))) ids.push(String(entry.item.id));
      cursor = parsed.additional_data?.next_cursor ?? undefined;
      if (!cursor) break;
    }
    return ids;
  }

  private async findNote(personId: string, mark: string, occurredAt: number): Promise<string | null> {
    const horizon = occurredAt - DAY_MS;
    let start = 0;
    for (let page = 0; page < 100; page++) {
      const res = await this.http.send({ method: 'GET', path: '/api/v1/notes', query: { person_id: personId, start, limit: 500, sort: 'add_time DESC' } });
      const parsed = this.parse(NotesResponse, res);
      const notes = parsed.data ?? [];
      const hit = notes.find((n) => (n.content ?? '').includes(mark));
      if (hit) return String(hit.id);
      const times = notes.map((n) => pipedriveTime(n.add_time));
      // Stop early only on a page that really is newest-first.
      const newestFirst = times.every((t, i) => t !== null && (i === 0 || t <= (times[i - 1] as number)));
      const oldest = times.at(-1);
      if (newestFirst && oldest !== undefined && oldest !== null && oldest < horizon) return null;
      const pagination = parsed.additional_data?.pagination;
      if (!pagination?.more_items_in_collection) return null;
      start = pagination.next_start ?? start + notes.length;
    }
    return null;
  }

  private async findActivity(personId: string, mark: string): Promise<string | null> {
    let start = 0;
    for (let page = 0; page < 100; page++) {
      const res = await this.http.send({ method: 'GET', path: `/api/v1/persons/${personId}/activities`, query: { start, limit: 500 } });
      const parsed = this.parse(ActivitiesResponse, res);
      const hit = (parsed.data ?? []).find((a) => (a.note ?? '').includes(mark));
      if (hit) return String(hit.id);
      const pagination = parsed.additional_data?.pagination;
      if (!pagination?.more_items_in_collection) return null;
      start = pagination.next_start ?? start + (parsed.data?.length ?? 0);
    }
    return null;
  }

  private async loadPersonFields(): Promise<PersonField[]> {
    const fields: PersonField[] = [];
    let start = 0;
    for (let page = 0; page < 20; page++) {
      const res = await this.http.send({ method: 'GET', path: '/api/v1/personFields', query: { start, limit: 500 } });
      const parsed = this.parse(PersonFieldsResponse, res);
      fields.push(...(parsed.data ?? []));
      const pagination = parsed.additional_data?.pagination;
      if (!pagination?.more_items_in_collection) break;
      start = pagination.next_start ?? start + (parsed.data?.length ?? 0);
    }
    return fields;
  }

  private remember(key: string, id: string): void {
    this.keyCache.delete(key);
    this.keyCache.set(key, id);
    if (this.keyCache.size > KEY_CACHE_SIZE) this.keyCache.delete(this.keyCache.keys().next().value as string);
  }

  private parse<T>(schema: { safeParse(value: unknown): { success: true; data: T } | { success: false } }, res: CrmResponse): T {
    const parsed = schema.safeParse(res.body);
    if (!parsed.success) throw new CrmError('CRM_UNAVAILABLE', 'Pipedrive answered with a body this connector does not understand.', { httpStatus: res.status, body: JSON.stringify(res.body).slice(0, 500) });
    return parsed.data;
  }
}

export function createPipedriveConnector(options: PipedriveConnectorOptions): PipedriveConnector {
  return new PipedriveCrmConnector(options);
}
