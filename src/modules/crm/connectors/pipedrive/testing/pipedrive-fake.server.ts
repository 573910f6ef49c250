/**
 * A local Pipedrive for tests: a real HTTP server on 127.0.0.1 (port 0) speaking the documented
 * shapes of the endpoints the connector calls.
 *
 * - Auth: `x-api-token` header (or `api_token` query); else 401 `{success:false, error:"unauthorized access", errorCode:401}`.
 * - v2: `GET|PATCH /api/v2/persons/{id}`, `POST /api/v2/persons`, `GET /api/v2/persons`
 *   (`limit` ≤ 500, `cursor`/`additional_data.next_cursor`, `updated_since` inclusive,
 *   `sort_by` id|update_time|add_time, `sort_direction`), `GET /api/v2/persons/search`
 *   (`term` ≥ 2 characters, or 1 with `exact_match`; `exact_match` is a whole-value match
 *   ignoring case, honoured up to 30 characters; `fields` name,email,phone,notes,custom_fields;
 *   phones match the stored text; records changed less than the lag ago are not yet indexed).
 * - v1: `GET /api/v1/personFields` (`start`/`limit`, `additional_data.pagination`),
 *   `GET|POST /api/v1/notes` (`person_id`, `sort=add_time DESC`), `POST /api/v1/activities`,
 *   `GET /api/v1/persons/{id}/activities`.
 * - Rate limits, enforced per token in rolling 2-second windows: `per2s` requests (default 20,
 *   the Essential plan's api_token limit) and the search endpoints' own 10. Every answer carries
 *   `x-ratelimit-limit`, `x-ratelimit-remaining`, `x-ratelimit-reset`; POSTs and PUTs also
 *   `x-daily-requests-left`. Above a limit: 429 `{success:false, error:"Request over limit", errorCode:429}`.
 * - Webhooks v2: every person create/change (through the API or `createPersonDirectly` /
 *   `updatePersonDirectly`) is recorded as the delivery Pipedrive would POST:
 *   `{meta:{action, entity:"person", …, version:"2.0"}, data, previous}` with basic auth when configured.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../../../../../platform/clock.js';
import type { FakeCrmControls } from '../../../testing/fake-crm-controls.js';
import { ACTIVITY_TYPES, PipedriveFakeError, PipedriveFakeStore, rfc3339, v1Time, type StoredActivity, type StoredNote, type StoredPerson } from './pipedrive-fake.store.js';

export const PIPEDRIVE_FAKE_TOKEN = '0123456789abcdef0123456789abcdef01234567';
export const PIPEDRIVE_FAKE_USER_ID = 12345;
const WINDOW_MS = 2_000;
const DAILY_WRITES = 10_000;

export type PipedriveFakeOptions = {
  apiToken?: string;
  /** Requests per rolling 2 s (general) and search requests per 2 s; null disables both. */
  rateLimit?: { per2s?: number; searchPer2s?: number } | null;
  clock?: Clock;
  /** Whether the company has the `switchboard_id` person field. Default true. */
  withKeyField?: boolean;
  /** Basic-auth credentials set on the webhook (`http_auth_user`/`http_auth_password`). */
  webhookAuth?: { user: string; password: string };
  userIds?: number[];
};

export type PipedriveFakeControls = FakeCrmControls & {
  /** The hash key of a person custom field by name (creating it, as an admin would). */
  customFieldKey(name: string): string;
  /** Person as the v2 API shows it (null when absent). */
  person(crmId: string): Record<string, unknown> | null;
  notesOf(crmId: string): StoredNote[];
  activitiesRaw(crmId: string): StoredActivity[];
  /** What Pipedrive would have POSTed to a webhooks v2 subscriber, in order. */
  webhookDeliveries(): { headers: Record<string, string>; rawBody: Buffer }[];
  /** 429s the fake's own limits answered, by bucket. */
  rateLimitRejections(): { general: number; search: number };
  /** The most requests admitted in any 2-second window so far (general, search). */
  peakPer2s(): { general: number; search: number };
  bodies(): { method: string; path: string; query: string; body: unknown }[];
  /** Drops the request log and statistics (not the data). */
  resetStats(): void;
};

export type PipedriveFake = { url: string; controls: PipedriveFakeControls; close(): Promise<void> };

type Json = Record<string, unknown>;
type Answer = { status: number; body: unknown; headers?: Record<string, string> };

const failureBody = (status: number, error: string, code?: string) => ({
  success: false,
  error,
  error_info: 'Please check developers.pipedrive.com for more information about Pipedrive API.',
  data: null,
  additional_data: null,
  ...(code ? { code } : { errorCode: status }),
});

const FAILURES: Record<number, string> = { 400: 'Bad request', 401: 'unauthorized access', 403: 'You do not have permission', 404: 'Not found', 429: 'Request over limit', 500: 'Internal server error', 503: 'Service unavailable' };

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const encodeCursor = (offset: number) => Buffer.from(`offset:${offset}`).toString('base64');
function decodeCursor(cursor: string | null): number | null {
  if (cursor === null) return 0;
  const match = /^offset:(\d+)$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
  return match ? Number(match[1]) : null;
}

export async function startPipedriveFake(options: PipedriveFakeOptions = {}): Promise<PipedriveFake> {
  const clock = options.clock ?? systemClock;
  const token = options.apiToken ?? PIPEDRIVE_FAKE_TOKEN;
  const store = new PipedriveFakeStore(clock, options.userIds ?? [PIPEDRIVE_FAKE_USER_ID], options.withKeyField ?? true);
  const limits = options.rateLimit === null ? null : { per2s: options.rateLimit?.per2s ?? 20, searchPer2s: options.rateLimit?.searchPer2s ?? 10 };
  const log: { method: string; path: string }[] = [];
  const bodies: { method: string; path: string; query: string; body: unknown }[] = [];
  const failures: number[] = [];
  let general: number[] = [];
  let search: number[] = [];
  let rejections = { general: 0, search: 0 };
  let peak = { general: 0, search: 0 };
  let dailyWrites = 0;

  const prune = (times: number[]) => times.filter((t) => t > clock.now() - WINDOW_MS);
  const rateHeaders = (limit: number, times: number[]): Record<string, string> => {
    const oldest = times[0];
    const reset = oldest === undefined ? WINDOW_MS / 1000 : Math.max(1, Math.ceil((oldest + WINDOW_MS - clock.now()) / 1000));
    return { 'x-ratelimit-limit': String(limit), 'x-ratelimit-remaining': String(Math.max(0, limit - times.length)), 'x-ratelimit-reset': String(reset) };
  };

  const page = <T>(items: T[], q: URLSearchParams, max: number): { slice: T[]; next: string | null } | Answer => {
    const limit = Number(q.get('limit') ?? 100);
    if (!Number.isInteger(limit) || limit < 1 || limit > max) return { status: 400, body: failureBody(400, `Validation failed: limit: Parameter limit must be between 1 and ${max}`, 'ERR_SCHEMA_VALIDATION_FAILED') };
    const offset = decodeCursor(q.get('cursor'));
    if (offset === null) return { status: 400, body: failureBody(400, 'Validation failed: cursor: Invalid cursor', 'ERR_SCHEMA_VALIDATION_FAILED') };
    const slice = items.slice(offset, offset + limit);
    return { slice, next: offset + limit < items.length ? encodeCursor(offset + limit) : null };
  };
  const v1Page = <T>(items: T[], q: URLSearchParams): Answer | { slice: T[]; pagination: Json } => {
    const start = Number(q.get('start') ?? 0);
    const limit = Number(q.get('limit') ?? 100);
    if (!Number.isInteger(start) || start < 0 || !Number.isInteger(limit) || limit < 1 || limit > 500) return { status: 400, body: failureBody(400, 'Invalid start or limit') };
    const slice = items.slice(start, start + limit);
    const more = start + limit < items.length;
    return { slice, pagination: { start, limit, more_items_in_collection: more, ...(more ? { next_start: start + limit } : {}) } };
  };
  const isAnswer = (value: unknown): value is Answer => !!value && typeof value === 'object' && 'status' in value && 'body' in value;

  const personOr404 = (idText: string | undefined): StoredPerson | Answer => {
    const person = idText && /^\d+$/.test(idText) ? store.persons.get(Number(idText)) : undefined;
    return person ?? { status: 404, body: failureBody(404, 'Person not found', 'ERR_NOT_FOUND') };
  };

  function handle(method: string, url: URL, body: unknown): Answer {
    const q = url.searchParams;
    const parts = url.pathname.split('/').filter(Boolean);
    if (parts[0] !== 'api') return { status: 404, body: failureBody(404, 'Unknown method .') };
    const [, version, resource, id, sub] = parts;

    if (version === 'v2' && resource === 'persons') {
      if (id === 'search' && method === 'GET') {
        const term = q.get('term') ?? '';
        const exact = q.get('exact_match') === 'true' || q.get('exact_match') === '1';
        if (term.length < (exact ? 1 : 2)) return { status: 400, body: failureBody(400, 'Validation failed: term: The search term must be at least 2 characters long', 'ERR_SCHEMA_VALIDATION_FAILED') };
        const fields = (q.get('fields') ?? 'name,email,phone,notes,custom_fields').split(',');
        // Pipedrive honours exact_match for terms of at most 30 characters; longer ones are matched loosely.
        const honoured = exact && term.length <= 30;
        const hits = [...store.persons.values()].filter((p) => store.searchable(p) && store.matches(p, term, fields, honoured));
        const paged = page(hits, q, 500);
        if (isAnswer(paged)) return paged;
        const items = paged.slice.map((p) => ({
          result_score: 1,
          item: {
            id: p.id,
            type: 'person',
            name: p.name,
            phones: p.phones.map((c) => c.value),
            emails: p.emails.map((c) => c.value),
            primary_email: p.emails.find((c) => c.primary)?.value ?? null,
            visible_to: 3,
            owner: { id: p.owner_id },
            organization: null,
            custom_fields: Object.values(p.custom).filter((v) => v !== null && v !== undefined).map(String),
            notes: [],
            update_time: rfc3339(p.updateTime),
          },
        }));
        return { status: 200, body: { success: true, data: { items }, additional_data: { next_cursor: paged.next } } };
      }
      if (!id && method === 'GET') {
        let persons = [...store.persons.values()];
        const since = q.get('updated_since');
        if (since !== null) {
          const ms = Date.parse(since);
          if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(since) || Number.isNaN(ms)) {
            return { status: 400, body: failureBody(400, 'Validation failed: updated_since: must be an RFC3339 date-time', 'ERR_SCHEMA_VALIDATION_FAILED') };
          }
          persons = persons.filter((p) => p.updateTime >= ms);
        }
        const sortBy = q.get('sort_by') ?? 'id';
        if (!['id', 'update_time', 'add_time'].includes(sortBy)) return { status: 400, body: failureBody(400, 'Validation failed: sort_by', 'ERR_SCHEMA_VALIDATION_FAILED') };
        const desc = q.get('sort_direction') === 'desc';
        const keyOf = (p: StoredPerson) => (sortBy === 'id' ? p.id : sortBy === 'update_time' ? p.updateTime : p.addTime);
        persons.sort((a, b) => (keyOf(a) - keyOf(b) || a.id - b.id) * (desc ? -1 : 1));
        const paged = page(persons, q, 500);
        if (isAnswer(paged)) return paged;
        return { status: 200, body: { success: true, data: paged.slice.map((p) => store.view(p)), additional_data: { next_cursor: paged.next } } };
      }
      if (!id && method === 'POST') {
        return { status: 200, body: { success: true, data: store.view(store.write(null, (body ?? {}) as Json, 'api')) } };
      }
      if (id && !sub && (method === 'GET' || method === 'PATCH')) {
        const person = personOr404(id);
        if (isAnswer(person)) return person;
        if (method === 'GET') return { status: 200, body: { success: true, data: store.view(person) } };
        return { status: 200, body: { success: true, data: store.view(store.write(person, (body ?? {}) as Json, 'api')) } };
      }
    }

    if (version === 'v1' && resource === 'personFields' && !id && method === 'GET') {
      const paged = v1Page(store.fields, q);
      if (isAnswer(paged)) return paged;
      return { status: 200, body: { success: true, data: paged.slice, additional_data: { pagination: paged.pagination } } };
    }

    if (version === 'v1' && resource === 'notes' && !id) {
      if (method === 'GET') {
        const personId = q.get('person_id');
        let notes = [...store.notes.values()].filter((n) => personId === null || String(n.person_id) === personId);
        const sort = q.get('sort') ?? 'id ASC';
        const desc = /desc$/i.test(sort);
        const byAdd = /^add_time/i.test(sort);
        notes = notes.sort((a, b) => ((byAdd ? a.addTime - b.addTime : 0) || a.id - b.id) * (desc ? -1 : 1));
        const paged = v1Page(notes, q);
        if (isAnswer(paged)) return paged;
        const data = paged.slice.map((n) => ({ id: n.id, user_id: n.user_id, person_id: n.person_id, deal_id: null, org_id: null, lead_id: null, content: n.content, add_time: v1Time(n.addTime), update_time: v1Time(n.updateTime), active_flag: true, pinned_to_person_flag: false }));
        return { status: 200, body: { success: true, data: data.length > 0 ? data : null, additional_data: { pagination: paged.pagination } } };
      }
      if (method === 'POST') {
        const input = (body ?? {}) as Json;
        if (typeof input.content !== 'string' || input.content === '') return { status: 400, body: failureBody(400, 'Note content is required.') };
        if (input.person_id === undefined && input.deal_id === undefined && input.org_id === undefined && input.lead_id === undefined) return { status: 400, body: failureBody(400, 'Note must be attached to a deal, person, organization or lead.') };
        const person = personOr404(String(input.person_id));
        if (isAnswer(person)) return person;
        const note = store.addNote(person.id, input.content);
        return { status: 201, body: { success: true, data: { id: note.id, content: note.content, person_id: note.person_id, user_id: note.user_id, add_time: v1Time(note.addTime), update_time: v1Time(note.updateTime), active_flag: true } } };
      }
    }

    if (version === 'v1' && resource === 'activities' && !id && method === 'POST') {
      const input = (body ?? {}) as Json;
      const type = typeof input.type === 'string' ? input.type : 'task';
      if (!ACTIVITY_TYPES.includes(type)) return { status: 400, body: failureBody(400, `Activity type "${type}" not found.`) };
      if (input.due_date !== undefined && (typeof input.due_date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(input.due_date))) return { status: 400, body: failureBody(400, 'Invalid due_date. Format: YYYY-MM-DD') };
      if (input.due_time !== undefined && (typeof input.due_time !== 'string' || !/^\d{2}:\d{2}$/.test(input.due_time))) return { status: 400, body: failureBody(400, 'Invalid due_time. Format: HH:MM') };
      if (input.user_id !== undefined && (!Number.isInteger(input.user_id) || (input.user_id as number) <= 0)) return { status: 400, body: failureBody(400, 'Invalid user_id') };
      const person = personOr404(String(input.person_id));
      if (isAnswer(person)) return person;
      const activity = store.addActivity({
        subject: typeof input.subject === 'string' && input.subject ? input.subject : type,
        type,
        person_id: person.id,
        user_id: (input.user_id as number | undefined) ?? store.defaultUser,
        due_date: (input.due_date as string | undefined) ?? null,
        due_time: (input.due_time as string | undefined) ?? null,
        note: typeof input.note === 'string' ? input.note : null,
        done: input.done === 1 || input.done === true,
      });
      return { status: 201, body: { success: true, data: activityView(activity) } };
    }

    if (version === 'v1' && resource === 'persons' && id && sub === 'activities' && method === 'GET') {
      const person = personOr404(id);
      if (isAnswer(person)) return person;
      const done = q.get('done');
      const list = [...store.activities.values()].filter((a) => a.person_id === person.id && (done === null || String(Number(a.done)) === done));
      const paged = v1Page(list, q);
      if (isAnswer(paged)) return paged;
      return { status: 200, body: { success: true, data: paged.slice.length > 0 ? paged.slice.map(activityView) : null, additional_data: { pagination: paged.pagination } } };
    }

    return { status: 404, body: failureBody(404, `Unknown method ${method} ${url.pathname}`) };
  }

  const activityView = (a: StoredActivity): Json => ({
    id: a.id,
    subject: a.subject,
    type: a.type,
    person_id: a.person_id,
    user_id: a.user_id,
    due_date: a.due_date,
    due_time: a.due_time,
    note: a.note,
    done: a.done,
    add_time: v1Time(a.addTime),
  });

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const method = req.method ?? 'GET';
      const text = await readBody(req);
      log.push({ method, path: url.pathname });
      let body: unknown = null;
      let badJson = false;
      if (text) {
        try {
          body = JSON.parse(text);
        } catch {
          badJson = true;
        }
      }
      bodies.push({ method, path: url.pathname, query: url.search, body });
      const isSearch = url.pathname.endsWith('/search');
      let answer: Answer;
      const failure = failures.shift();
      general = prune(general);
      search = prune(search);
      const given = (req.headers['x-api-token'] as string | undefined) ?? url.searchParams.get('api_token');
      if (failure !== undefined) {
        answer = { status: failure, body: failureBody(failure, FAILURES[failure] ?? 'Error'), headers: failure === 429 ? { 'x-ratelimit-limit': String(limits?.per2s ?? 20), 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '2' } : {} };
      } else if (given !== token) {
        answer = { status: 401, body: failureBody(401, 'unauthorized access') };
      } else if (limits && (general.length >= limits.per2s || (isSearch && search.length >= limits.searchPer2s))) {
        const searchBucket = isSearch && search.length >= limits.searchPer2s;
        if (searchBucket) rejections.search += 1;
        else rejections.general += 1;
        answer = { status: 429, body: failureBody(429, 'Request over limit'), headers: { ...(searchBucket ? rateHeaders(limits.searchPer2s, search) : rateHeaders(limits.per2s, general)), 'x-ratelimit-remaining': '0' } };
      } else {
        if (limits) {
          general.push(clock.now());
          if (isSearch) search.push(clock.now());
          peak = { general: Math.max(peak.general, general.length), search: Math.max(peak.search, search.length) };
        }
        try {
          answer = badJson ? { status: 400, body: failureBody(400, 'Invalid JSON body') } : handle(method, url, body);
        } catch (error) {
          if (!(error instanceof PipedriveFakeError)) throw error;
          answer = { status: error.status, body: failureBody(error.status, error.message, error.code) };
        }
        const headers: Record<string, string> = limits ? rateHeaders(isSearch ? limits.searchPer2s : limits.per2s, isSearch ? search : general) : {};
        if (method === 'POST' || method === 'PUT') {
          dailyWrites += 1;
          headers['x-daily-requests-left'] = String(Math.max(0, DAILY_WRITES - dailyWrites));
        }
        answer.headers = { ...headers, ...(answer.headers ?? {}) };
      }
      res.writeHead(answer.status, { ...(answer.headers ?? {}), 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    })().catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify(failureBody(500, String(error))));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const customBody = (fields: Record<string, string> | undefined): Json => {
    const custom: Json = {};
    for (const [name, value] of Object.entries(fields ?? {})) custom[store.customField(name) ? name : store.addCustomField(name).key] = value;
    return custom;
  };

  const controls: PipedriveFakeControls = {
    async createPersonDirectly(person) {
      const name = [person.firstName, person.lastName].filter(Boolean).join(' ');
      const body: Json = { name, custom_fields: customBody(person.fields) };
      if (person.phone !== undefined) body.phones = [{ value: person.phone, primary: true, label: 'work' }];
      if (person.email !== undefined) body.emails = [{ value: person.email, primary: true, label: 'work' }];
      if (person.tags) body.label_ids = person.tags.map((t) => store.labelId(t, true));
      const stored = store.write(null, body, 'app');
      // The app has separate first and last name inputs.
      stored.first_name = person.firstName ?? null;
      stored.last_name = person.lastName;
      return String(stored.id);
    },
    async updatePersonDirectly(crmId, change) {
      const stored = store.persons.get(Number(crmId));
      if (!stored) throw new Error(`no person ${crmId}`);
      const body: Json = {};
      if (change.fields) body.custom_fields = customBody(change.fields);
      if (change.phone !== undefined) body.phones = [{ value: change.phone, primary: true, label: 'work' }, ...stored.phones.filter((c) => c.value !== change.phone).map((c) => ({ ...c, primary: false }))];
      if (change.tags) body.label_ids = change.tags.map((t) => store.labelId(t, true));
      store.write(stored, body, 'app');
    },
    failNext(status, times = 1) {
      for (let i = 0; i < times; i++) failures.push(status);
    },
    setSearchLagMs(ms) {
      store.searchLagMs = ms;
    },
    async activitiesOf(crmId) {
      return [...store.notes.values()].filter((n) => String(n.person_id) === crmId).map((n) => ({ body: n.content }));
    },
    async tasksOf(crmId) {
      return [...store.activities.values()].filter((a) => String(a.person_id) === crmId && a.type === 'task').map((a) => ({ subject: a.subject, ownerId: String(a.user_id) }));
    },
    async personCount() {
      return store.persons.size;
    },
    requests() {
      return [...log];
    },
    customFieldKey(name) {
      return (store.fields.find((f) => f.name === name && /^[0-9a-f]{40}$/.test(f.key)) ?? store.addCustomField(name)).key;
    },
    person(crmId) {
      const stored = store.persons.get(Number(crmId));
      return stored ? store.view(stored) : null;
    },
    notesOf(crmId) {
      return [...store.notes.values()].filter((n) => String(n.person_id) === crmId);
    },
    activitiesRaw(crmId) {
      return [...store.activities.values()].filter((a) => String(a.person_id) === crmId);
    },
    webhookDeliveries() {
      return store.webhookEvents.map((event) => {
        const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'Pipedrive Webhooks' };
        if (options.webhookAuth) headers.authorization = `Basic ${Buffer.from(`${options.webhookAuth.user}:${options.webhookAuth.password}`).toString('base64')}`;
        return { headers, rawBody: Buffer.from(JSON.stringify(event)) };
      });
    },
    rateLimitRejections() {
      return { ...rejections };
    },
    peakPer2s() {
      return { ...peak };
    },
    bodies() {
      return [...bodies];
    },
    resetStats() {
      log.length = 0;
      bodies.length = 0;
      rejections = { general: 0, search: 0 };
      peak = { general: 0, search: 0 };
    },
  };

  return {
    url: `http://127.0.0.1:${port}`,
    controls,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
