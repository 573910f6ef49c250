/**
 * A local Zoho CRM for tests: two real HTTP servers on 127.0.0.1 (port 0), the accounts server
 * and the API host, sharing one in-memory org, speaking the documented shapes of the endpoints
 * the connector calls.
 *
 * Accounts: `POST /oauth/v2/token` (refresh-token grant; parameters in the query or a form body)
 * → `{access_token, expires_in, api_domain, token_type}`; a wrong refresh token answers HTTP 200
 * `{"error":"invalid_code"}`, a wrong client `{"error":"invalid_client"}`, as Zoho does.
 *
 * API (`Authorization: Zoho-oauthtoken …`, else 401 `INVALID_TOKEN`/`AUTHENTICATION_FAILURE`):
 * - `POST /crm/v3/Contacts/upsert` (`duplicate_check_fields`), `PUT /crm/v3/Contacts/{id}`,
 *   `GET /crm/v3/Contacts/{id}` (204 when there is no such record), `GET /crm/v3/Contacts`
 *   (`fields` required; `ids`, `page`/`per_page` ≤ 200, `page_token`, `sort_by`, `sort_order`;
 *   `info.more_records`, `info.next_page_token`), `GET /crm/v3/Contacts/search`
 *   (`phone=` / `email=`; 204 on no match; records changed less than the lag ago are not yet
 *   indexed), `POST /crm/v3/coql` (see zoho-coql.parser.ts; no lag), `POST
 *   /crm/v3/Contacts/{id}/actions/add_tags|remove_tags`, `GET|POST /crm/v3/Contacts/{id}/Notes`,
 *   `POST /crm/v3/Tasks`.
 * - Write answers carry one result per record: `{code, details, message, status}` (+ `action`,
 *   `duplicate_field` for upsert); 201/200 when all succeed, 207 when some fail, 400 when all fail.
 *   Request-level errors use the envelope `{code, details, message, status:"error"}`.
 * - Its own rate limit (off unless `rateLimit` is given): above it, 429 `TOO_MANY_REQUESTS` with
 *   `X-RATELIMIT-LIMIT`, `X-RATELIMIT-REMAINING`, `X-RATELIMIT-RESET` (epoch ms of the window's end).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../../../../../platform/clock.js';
import type { FakeCrmControls } from '../../../testing/fake-crm-controls.js';
import { CoqlError, parseCoql } from './zoho-coql.parser.js';
import { ZohoFakeStore, ZohoRecordError, type StoredNote, type ZohoFakeUser, zohoTime } from './zoho-fake.store.js';

export const ZOHO_FAKE_CLIENT = { clientId: '1000.FAKECLIENTID0000000000000000000', clientSecret: 'fake-client-secret-0000000000000000000000', refreshToken: '1000.fakerefresh.token0000000000000000' } as const;
export const ZOHO_FAKE_OWNER: ZohoFakeUser = { id: '4150868000000225013', name: 'Patricia Boyle', email: 'patricia@zylker.example' };

export type ZohoFakeOptions = {
  clientId?: string;
  clientSecret?: string;
  refreshToken?: string;
  /** Seconds an access token lives. Default 3600. */
  accessTokenTtlSeconds?: number;
  /** `api_domain` in token answers; default the fake's own API URL. */
  apiDomain?: string;
  /** The fake's own limit on API calls; absent = none. */
  rateLimit?: { requests: number; windowMs: number };
  /** Time for records, tokens, search lag and the rate-limit window. Default: the system clock. */
  clock?: Clock;
  users?: ZohoFakeUser[];
  /** Contacts' custom fields; default `Switchboard_Id` (unique), `Budget`, `WhatsApp_Opt_Out`. */
  contactCustomFields?: { name: string; unique: boolean }[];
  /** Tasks' custom fields; default `[{name:'Switchboard_Key', unique:true}]`. */
  taskCustomFields?: { name: string; unique: boolean }[];
};

export type ZohoFakeControls = FakeCrmControls & {
  /** Makes every issued access token invalid (as if it expired): the next API call answers 401 INVALID_TOKEN. */
  expireAccessTokens(): void;
  /** Token grants answered so far (successful or not). */
  tokenRequests(): number;
  /** A Contacts record as the API shows it (null when absent). */
  contact(crmId: string): Record<string, unknown> | null;
  notesOf(crmId: string): StoredNote[];
  /** Every task with its stored fields. */
  tasks(): Record<string, unknown>[];
  /** 429s the fake's own limit answered. */
  rateLimitRejections(): number;
  /** Request bodies received, in order (parsed JSON or form), with method and path. */
  bodies(): { method: string; path: string; query: string; body: unknown }[];
};

export type ZohoFake = { url: string; accountsUrl: string; apiUrl: string; controls: ZohoFakeControls; close(): Promise<void> };

type Json = Record<string, unknown>;
type Answer = { status: number; body?: unknown; headers?: Record<string, string> };

const envelope = (code: string, message: string, details: Json = {}) => ({ code, details, message, status: 'error' });

const FAILURE_BODIES: Record<number, unknown> = {
  400: envelope('INVALID_DATA', 'invalid data'),
  401: envelope('INVALID_TOKEN', 'invalid oauth token'),
  403: envelope('NO_PERMISSION', 'permission denied'),
  404: envelope('INVALID_URL_PATTERN', 'Please check if the URL trying to access is a correct one'),
  429: envelope('TOO_MANY_REQUESTS', 'The number of API requests has exceeded the allowed limit'),
  500: envelope('INTERNAL_ERROR', 'Internal Server Error'),
  503: envelope('INTERNAL_ERROR', 'Service Unavailable'),
};

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve(`http://127.0.0.1:${port}`);
    }),
  );
}

export async function startZohoFake(options: ZohoFakeOptions = {}): Promise<ZohoFake> {
  const clock = options.clock ?? systemClock;
  const client = {
    clientId: options.clientId ?? ZOHO_FAKE_CLIENT.clientId,
    clientSecret: options.clientSecret ?? ZOHO_FAKE_CLIENT.clientSecret,
    refreshToken: options.refreshToken ?? ZOHO_FAKE_CLIENT.refreshToken,
  };
  const store = new ZohoFakeStore({
    clock,
    users: options.users ?? [ZOHO_FAKE_OWNER],
    // The fields README.md asks an admin to create: our key, and those of the default field mapping.
    contactCustomFields: options.contactCustomFields ?? [
      { name: 'Switchboard_Id', unique: true },
      { name: 'Budget', unique: false },
      { name: 'WhatsApp_Opt_Out', unique: false },
    ],
    taskCustomFields: options.taskCustomFields ?? [{ name: 'Switchboard_Key', unique: true }],
  });
  const tokens = new Map<string, number>();
  const log: { method: string; path: string }[] = [];
  const bodies: { method: string; path: string; query: string; body: unknown }[] = [];
  const failures: number[] = [];
  const window: number[] = [];
  let tokenGrants = 0;
  let rejections = 0;
  let apiUrl = '';

  // ---- accounts ----------------------------------------------------------------------------

  const accounts = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const text = await readBody(req);
      log.push({ method: req.method ?? 'GET', path: url.pathname });
      const params = new URLSearchParams(url.search);
      if ((req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) for (const [k, v] of new URLSearchParams(text)) params.set(k, v);
      bodies.push({ method: req.method ?? 'GET', path: url.pathname, query: url.search, body: Object.fromEntries(params) });
      const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8' }).end(JSON.stringify(body));
      if (req.method !== 'POST' || url.pathname !== '/oauth/v2/token') return send(404, { error: 'invalid_request' });
      tokenGrants += 1;
      if (params.get('grant_type') !== 'refresh_token') return send(200, { error: 'unsupported_grant_type' });
      if (params.get('client_id') !== client.clientId || params.get('client_secret') !== client.clientSecret) return send(200, { error: 'invalid_client' });
      if (params.get('refresh_token') !== client.refreshToken) return send(200, { error: 'invalid_code' });
      const accessToken = `1000.${randomBytes(16).toString('hex')}.${randomBytes(16).toString('hex')}`;
      const ttl = options.accessTokenTtlSeconds ?? 3600;
      tokens.set(accessToken, clock.now() + ttl * 1000);
      return send(200, { access_token: accessToken, scope: 'ZohoCRM.modules.ALL ZohoCRM.coql.READ', api_domain: options.apiDomain ?? apiUrl, token_type: 'Bearer', expires_in: ttl });
    })();
  });

  // ---- API ---------------------------------------------------------------------------------

  const rateHeaders = (): Record<string, string> => {
    if (!options.rateLimit) return {};
    const now = clock.now();
    while (window.length > 0 && (window[0] as number) <= now - options.rateLimit.windowMs) window.shift();
    const reset = (window[0] ?? now) + options.rateLimit.windowMs;
    return { 'X-RATELIMIT-LIMIT': String(options.rateLimit.requests), 'X-RATELIMIT-REMAINING': String(Math.max(0, options.rateLimit.requests - window.length)), 'X-RATELIMIT-RESET': String(reset) };
  };

  const authorise = (req: IncomingMessage): Answer | null => {
    const header = req.headers.authorization ?? '';
    const match = /^Zoho-oauthtoken (\S+)$/.exec(header);
    if (!match) return { status: 401, body: envelope('AUTHENTICATION_FAILURE', 'Authentication failed') };
    const expiry = tokens.get(match[1] as string);
    if (expiry === undefined || expiry <= clock.now()) return { status: 401, body: envelope('INVALID_TOKEN', 'invalid oauth token') };
    return null;
  };

  const writeAnswer = (results: Json[], successStatus: number): Answer => {
    const failed = results.filter((r) => r.status === 'error').length;
    return { status: failed === 0 ? successStatus : failed === results.length ? 400 : 207, body: { data: results } };
  };

  const recordError = (error: unknown): Json => {
    if (error instanceof ZohoRecordError) return { code: error.code, details: error.details, message: error.message, status: 'error' };
    throw error;
  };

  const success = (stored: { id: string; createdAt: number; modifiedAt: number }, message: string, extra: Json = {}): Json => ({
    code: 'SUCCESS',
    ...extra,
    details: {
      Modified_Time: zohoTime(stored.modifiedAt),
      Modified_By: { name: ZOHO_FAKE_OWNER.name, id: ZOHO_FAKE_OWNER.id },
      Created_Time: zohoTime(stored.createdAt),
      id: stored.id,
      Created_By: { name: ZOHO_FAKE_OWNER.name, id: ZOHO_FAKE_OWNER.id },
    },
    message,
    status: 'success',
  });

  const dataArray = (body: unknown): Json[] | Answer => {
    const data = (body as { data?: unknown } | null)?.data;
    if (!Array.isArray(data) || data.length === 0) return { status: 400, body: envelope('MANDATORY_NOT_FOUND', 'required field not found', { api_name: 'data', json_path: '$.data' }) };
    if (data.length > 100) return { status: 400, body: envelope('LIMIT_EXCEEDED', 'the number of records exceeds the limit', { limit: 100 }) };
    return data as Json[];
  };

  const pageOf = <T>(items: T[], query: URLSearchParams): { slice: T[]; info: Json } | Answer => {
    const perPage = Number(query.get('per_page') ?? 200);
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > 200) return { status: 400, body: envelope('INVALID_DATA', 'invalid data', { param: 'per_page', maximum_length: 200 }) };
    let page = Number(query.get('page') ?? 1);
    const token = query.get('page_token');
    if (token) {
      const decoded = /^fake-(\d+)$/.exec(token);
      if (!decoded) return { status: 400, body: envelope('INVALID_DATA', 'invalid page token', { param: 'page_token' }) };
      page = Number(decoded[1]);
    } else if (!Number.isInteger(page) || page < 1) {
      return { status: 400, body: envelope('INVALID_DATA', 'invalid data', { param: 'page' }) };
    } else if (page * perPage > 2000) {
      return { status: 400, body: envelope('DISCRETE_PAGINATION_LIMIT_EXCEEDED', 'cannot fetch more than 2000 records with page; use page_token', { limit: 2000 }) };
    }
    const slice = items.slice((page - 1) * perPage, page * perPage);
    const more = page * perPage < items.length;
    return { slice, info: { per_page: perPage, count: slice.length, page, more_records: more, next_page_token: more ? `fake-${page + 1}` : null, previous_page_token: null, sort_by: query.get('sort_by') ?? 'id', sort_order: query.get('sort_order') ?? 'desc' } };
  };

  const isAnswer = (value: unknown): value is Answer => !!value && typeof value === 'object' && 'status' in value && typeof (value as Answer).status === 'number' && !Array.isArray(value);

  function handleApi(method: string, url: URL, body: unknown): Answer {
    const parts = url.pathname.split('/').filter(Boolean);
    if (parts[0] !== 'crm' || parts[1] !== 'v3') return { status: 404, body: envelope('INVALID_URL_PATTERN', 'Please check if the URL trying to access is a correct one') };
    const [, , module, second, third, fourth] = parts;
    const q = url.searchParams;

    if (module === 'coql' && method === 'POST' && !second) {
      const selectQuery = (body as { select_query?: unknown } | null)?.select_query;
      if (typeof selectQuery !== 'string') return { status: 400, body: envelope('REQUIRED_PARAM_MISSING', 'One of the expected parameter is missing', { param: 'select_query' }) };
      try {
        const parsed = parseCoql(selectQuery);
        const rows = store.coql(parsed);
        if (rows.length === 0) return { status: 204 };
        return { status: 200, body: { data: rows, info: { count: rows.length, more_records: rows.length === parsed.limit } } };
      } catch (error) {
        if (error instanceof CoqlError) return { status: 400, body: envelope(error.code, error.message, error.details) };
        throw error;
      }
    }

    if (module === 'Tasks' && method === 'POST' && !second) {
      const data = dataArray(body);
      if (isAnswer(data)) return data;
      return writeAnswer(
        data.map((input, i) => {
          try {
            return success(store.write('Tasks', null, input, i), 'record added');
          } catch (error) {
            return recordError(error);
          }
        }),
        201,
      );
    }

    if (module !== 'Contacts') return { status: 400, body: envelope('INVALID_MODULE', 'the module name given seems to be invalid', { resource_path_index: 0 }) };

    if (second === 'upsert' && method === 'POST') {
      const data = dataArray(body);
      if (isAnswer(data)) return data;
      const checks = (body as { duplicate_check_fields?: unknown }).duplicate_check_fields;
      const checkFields = Array.isArray(checks) ? checks.filter((f): f is string => typeof f === 'string') : ['Email'];
      const results = data.map((input, i) => {
        try {
          let existing = null;
          let matchedOn: string | null = null;
          for (const field of checkFields) {
            const value = input[field];
            if (value === undefined || value === null || value === '') continue;
            for (const stored of store.contacts.values()) {
              if (String(stored.fields[field] ?? '').toLowerCase() === String(value).toLowerCase()) {
                existing = stored;
                matchedOn = field;
                break;
              }
            }
            if (existing) break;
          }
          const stored = store.write('Contacts', existing, input, i);
          return existing ? success(stored, 'record updated', { duplicate_field: matchedOn, action: 'update' }) : success(stored, 'record added', { duplicate_field: null, action: 'insert' });
        } catch (error) {
          return recordError(error);
        }
      });
      const inserted = results.some((r) => r.action === 'insert');
      return writeAnswer(results, inserted ? 201 : 200);
    }

    if (second === 'search' && method === 'GET') {
      const phone = q.get('phone');
      const email = q.get('email');
      if (phone === null && email === null && q.get('criteria') === null && q.get('word') === null) {
        return { status: 400, body: envelope('REQUIRED_PARAM_MISSING', 'One of the expected parameter is missing', { param: 'criteria' }) };
      }
      if (q.get('criteria') !== null || q.get('word') !== null) return { status: 400, body: envelope('NOT_SUPPORTED', 'the fake searches by phone or email only') };
      const hits = [...store.contacts.values()].filter((s) => store.searchable(s) && (phone !== null ? store.matchesPhone(s, phone) : store.matchesEmail(s, email ?? '')));
      if (hits.length === 0) return { status: 204 };
      const paged = pageOf(hits, q);
      if (isAnswer(paged)) return paged;
      if (paged.slice.length === 0) return { status: 204 };
      return { status: 200, body: { data: paged.slice.map((s) => store.view('Contacts', s)), info: paged.info } };
    }

    if (!second && method === 'GET') {
      const fields = q.get('fields');
      if (!fields) return { status: 400, body: envelope('REQUIRED_PARAM_MISSING', 'One of the expected parameter is missing', { param_name: 'fields' }) };
      const wanted = fields.split(',').map((f) => f.trim());
      if (wanted.length > 50) return { status: 400, body: envelope('LIMIT_EXCEEDED', 'fields limit exceeded', { limit: 50 }) };
      const known = store.fieldsOf('Contacts');
      const unknown = wanted.find((f) => !known.has(f));
      if (unknown) return { status: 400, body: envelope('INVALID_DATA', 'invalid data', { api_name: unknown }) };
      let records = [...store.contacts.values()];
      const ids = q.get('ids');
      if (ids) {
        const list = ids.split(',');
        if (list.length > 100) return { status: 400, body: envelope('LIMIT_EXCEEDED', 'ids limit exceeded', { limit: 100 }) };
        records = records.filter((s) => list.includes(s.id));
      }
      const sortBy = q.get('sort_by') ?? 'id';
      const sortOrder = q.get('sort_order') ?? 'desc';
      if (!['id', 'Created_Time', 'Modified_Time'].includes(sortBy)) return { status: 400, body: envelope('INVALID_DATA', 'invalid data', { param: 'sort_by' }) };
      const key = (s: { id: string; createdAt: number; modifiedAt: number }) => (sortBy === 'id' ? BigInt(s.id) : BigInt(sortBy === 'Created_Time' ? s.createdAt : s.modifiedAt));
      records.sort((a, b) => {
        const c = key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.id < b.id ? -1 : 1;
        return sortOrder === 'asc' ? c : -c;
      });
      if (records.length === 0) return { status: 204 };
      const paged = pageOf(records, q);
      if (isAnswer(paged)) return paged;
      if (paged.slice.length === 0) return { status: 204 };
      const data = paged.slice.map((s) => {
        const full = store.view('Contacts', s);
        const out: Json = { id: s.id };
        for (const f of wanted) out[f] = full[f] ?? null;
        return out;
      });
      return { status: 200, body: { data, info: paged.info } };
    }

    if (!second) return { status: 405, body: envelope('INVALID_REQUEST_METHOD', 'The http request method type is not a valid one') };
    const stored = store.contacts.get(second);

    if (!third && method === 'GET') {
      if (!stored) return { status: 204 };
      return { status: 200, body: { data: [store.view('Contacts', stored)] } };
    }

    if (!third && method === 'PUT') {
      const data = dataArray(body);
      if (isAnswer(data)) return data;
      if (!stored) return writeAnswer([{ code: 'INVALID_DATA', details: { id: second }, message: 'the id given seems to be invalid', status: 'error' }], 200);
      return writeAnswer(
        data.slice(0, 1).map((input, i) => {
          try {
            return success(store.write('Contacts', stored, input, i), 'record updated');
          } catch (error) {
            return recordError(error);
          }
        }),
        200,
      );
    }

    if (third === 'actions' && (fourth === 'add_tags' || fourth === 'remove_tags') && method === 'POST') {
      if (!stored) return { status: 400, body: { data: [{ code: 'INVALID_DATA', details: { id: second }, message: 'the id given seems to be invalid', status: 'error' }] } };
      const tags = (body as { tags?: unknown } | null)?.tags;
      if (!Array.isArray(tags) || tags.length === 0 || tags.length > 10 || !tags.every((t) => t && typeof t === 'object' && typeof (t as Json).name === 'string' && ((t as Json).name as string).length > 0)) {
        return { status: 400, body: envelope('INVALID_DATA', 'invalid data', { api_name: 'tags' }) };
      }
      const names = tags.map((t) => (t as { name: string }).name);
      if (fourth === 'add_tags') store.addTags(stored, names);
      else store.removeTags(stored, names);
      return { status: 200, body: { data: [{ code: 'SUCCESS', details: { id: stored.id, tags: stored.tags.map((t) => t.name) }, message: 'tags updated successfully', status: 'success' }] } };
    }

    if (third === 'Notes' && !fourth) {
      if (method === 'GET') {
        if (!q.get('fields')) return { status: 400, body: envelope('REQUIRED_PARAM_MISSING', 'One of the expected parameter is missing', { param_name: 'fields' }) };
        if (!stored) return { status: 204 };
        const desc = (q.get('sort_order') ?? 'desc') === 'desc';
        const notes = [...store.notes.values()].filter((n) => n.parentId === second).sort((a, b) => (a.createdAt - b.createdAt || (BigInt(a.id) < BigInt(b.id) ? -1 : 1)) * (desc ? -1 : 1));
        if (notes.length === 0) return { status: 204 };
        const paged = pageOf(notes, q);
        if (isAnswer(paged)) return paged;
        if (paged.slice.length === 0) return { status: 204 };
        return { status: 200, body: { data: paged.slice.map((n) => noteView(n)), info: paged.info } };
      }
      if (method === 'POST') {
        const data = dataArray(body);
        if (isAnswer(data)) return data;
        if (!stored) return writeAnswer([{ code: 'INVALID_DATA', details: { id: second }, message: 'the related id given seems to be invalid', status: 'error' }], 201);
        return writeAnswer(
          data.map((input, i) => {
            const content = input.Note_Content;
            if (typeof content !== 'string' || content === '') return { code: 'MANDATORY_NOT_FOUND', details: { api_name: 'Note_Content', json_path: `$.data[${i}].Note_Content` }, message: 'required field not found', status: 'error' };
            const title = typeof input.Note_Title === 'string' ? input.Note_Title : null;
            if (title !== null && title.length > 120) return { code: 'INVALID_DATA', details: { api_name: 'Note_Title', json_path: `$.data[${i}].Note_Title`, maximum_length: 120 }, message: 'invalid data', status: 'error' };
            const now = clock.now();
            const note: StoredNote = { id: store.newId(), parentId: second, title, content, createdAt: Math.floor(now / 1000) * 1000, modifiedAt: Math.floor(now / 1000) * 1000 };
            store.notes.set(note.id, note);
            return success(note, 'record added');
          }),
          201,
        );
      }
    }

    return { status: 404, body: envelope('INVALID_URL_PATTERN', 'Please check if the URL trying to access is a correct one') };
  }

  const noteView = (n: StoredNote): Json => ({
    id: n.id,
    Note_Title: n.title,
    Note_Content: n.content,
    Parent_Id: { module: { api_name: 'Contacts', id: '4150868000000002179' }, id: n.parentId },
    Created_Time: zohoTime(n.createdAt),
    Modified_Time: zohoTime(n.modifiedAt),
    Owner: { id: ZOHO_FAKE_OWNER.id, name: ZOHO_FAKE_OWNER.name },
  });

  const api = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const method = req.method ?? 'GET';
      const text = await readBody(req);
      log.push({ method, path: url.pathname });
      let body: unknown = null;
      if (text) {
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
      }
      bodies.push({ method, path: url.pathname, query: url.search, body });
      let answer: Answer;
      const failure = failures.shift();
      if (failure !== undefined) {
        answer = { status: failure, body: FAILURE_BODIES[failure] ?? envelope('INTERNAL_ERROR', 'Internal Server Error'), headers: failure === 429 ? { 'X-RATELIMIT-LIMIT': '100', 'X-RATELIMIT-REMAINING': '0', 'X-RATELIMIT-RESET': String(clock.now() + 1000) } : {} };
      } else if (options.rateLimit && (rateHeaders(), window.length >= options.rateLimit.requests)) {
        rejections += 1;
        answer = { status: 429, body: envelope('TOO_MANY_REQUESTS', 'The number of API requests has exceeded the allowed limit', { allowed_limit: options.rateLimit.requests }), headers: { ...rateHeaders(), 'X-RATELIMIT-REMAINING': '0' } };
      } else {
        if (options.rateLimit) window.push(clock.now());
        answer = authorise(req) ?? (body === undefined ? { status: 400, body: envelope('INVALID_DATA', 'body is not valid JSON') } : handleApi(method, url, body));
        answer.headers = { ...rateHeaders(), ...(answer.headers ?? {}) };
      }
      const headers = { ...(answer.headers ?? {}), ...(answer.status === 204 ? {} : { 'content-type': 'application/json;charset=UTF-8' }) };
      res.writeHead(answer.status, headers).end(answer.status === 204 ? undefined : JSON.stringify(answer.body ?? {}));
    })().catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify(envelope('INTERNAL_ERROR', String(error))));
    });
  });

  const accountsUrl = await listen(accounts);
  apiUrl = await listen(api);

  const controls: ZohoFakeControls = {
    async createPersonDirectly(person) {
      const input: Json = { Last_Name: person.lastName };
      if (person.firstName !== undefined) input.First_Name = person.firstName;
      // A user types the number into the Phone field, in whatever format they like.
      if (person.phone !== undefined) input.Phone = person.phone;
      if (person.email !== undefined) input.Email = person.email;
      for (const [name, value] of Object.entries(person.fields ?? {})) {
        store.addContactField(name);
        input[name] = value;
      }
      const stored = store.write('Contacts', null, input, 0);
      if (person.tags) store.setTags(stored, person.tags);
      return stored.id;
    },
    async updatePersonDirectly(crmId, change) {
      const stored = store.contacts.get(crmId);
      if (!stored) throw new Error(`no Contacts record ${crmId}`);
      const input: Json = {};
      for (const [name, value] of Object.entries(change.fields ?? {})) {
        store.addContactField(name);
        input[name] = value;
      }
      if (change.phone !== undefined) input.Phone = change.phone;
      store.write('Contacts', stored, input, 0);
      if (change.tags) store.setTags(stored, change.tags);
    },
    failNext(status, times = 1) {
      for (let i = 0; i < times; i++) failures.push(status);
    },
    setSearchLagMs(ms) {
      store.searchLagMs = ms;
    },
    async activitiesOf(crmId) {
      return [...store.notes.values()].filter((n) => n.parentId === crmId).map((n) => ({ body: n.content }));
    },
    async tasksOf(crmId) {
      return [...store.tasks.values()]
        .filter((t) => (t.fields.Who_Id as { id?: string } | undefined)?.id === crmId || (t.fields.What_Id as { id?: string } | undefined)?.id === crmId)
        .map((t) => ({ subject: String(t.fields.Subject), ownerId: (t.fields.Owner as { id?: string } | undefined)?.id ?? null }));
    },
    async personCount() {
      return store.contacts.size;
    },
    requests() {
      return [...log];
    },
    expireAccessTokens() {
      tokens.clear();
    },
    tokenRequests() {
      return tokenGrants;
    },
    contact(crmId) {
      const stored = store.contacts.get(crmId);
      return stored ? store.view('Contacts', stored) : null;
    },
    notesOf(crmId) {
      return [...store.notes.values()].filter((n) => n.parentId === crmId);
    },
    tasks() {
      return [...store.tasks.values()].map((t) => store.view('Tasks', t));
    },
    rateLimitRejections() {
      return rejections;
    },
    bodies() {
      return [...bodies];
    },
  };

  return {
    url: apiUrl,
    accountsUrl,
    apiUrl,
    controls,
    async close() {
      await Promise.all(
        [accounts, api].map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections();
            }),
        ),
      );
    },
  };
}
