/**
 * A local HubSpot (CRM v3) for tests and the benchmark: a real HTTP server on 127.0.0.1, port 0,
 * speaking the documented shapes of the endpoints the connector uses.
 *
 * - `GET|PATCH|DELETE /crm/v3/objects/{type}/{id}` (`?idProperty=` looks up by a unique property,
 *   `?properties=a,b` picks properties), `GET /crm/v3/objects/{type}` (list, `limit` ≤ 100, `after`),
 *   `POST /crm/v3/objects/{type}` (create, with `associations`),
 *   `POST /crm/v3/objects/{type}/search` (filterGroups ORed / filters ANDed; EQ, NEQ, GT, GTE, LT,
 *   LTE, BETWEEN, IN, NOT_IN, HAS_PROPERTY, NOT_HAS_PROPERTY, CONTAINS_TOKEN; at most 5 groups,
 *   6 filters a group, 18 in all; `limit` ≤ 200; offset `after`; 10,000 results at most),
 *   `POST /crm/v3/objects/{type}/batch/{read|create|update|upsert}` (≤ 100 inputs; a batch write
 *   is validated as a whole and fails as a whole, as HubSpot's does).
 * - Types: contacts, communications, tasks, notes. Unique properties: contacts `email` (409
 *   "Contact already exists. Existing ID: …") and `switchboard_id`; communications
 *   `switchboard_message_id`; tasks `switchboard_task_id`.
 * - Errors in HubSpot's envelope `{status:"error", message, correlationId, category}`; 401
 *   INVALID_AUTHENTICATION for a wrong bearer token.
 * - Rate limits, enforced: a rolling 10-second window of `rateLimit.perTenSeconds` requests
 *   (default 100, HubSpot's Free/Starter burst; Professional is 190) and the search endpoints'
 *   own 5 requests per second. Above either it answers 429 `{…, errorType:"RATE_LIMIT",
 *   policyName:"TEN_SECONDLY_ROLLING"|"SECONDLY", category:"RATE_LIMITS"}` with the
 *   `X-HubSpot-RateLimit-*` headers (which every answer carries). Refused requests do not count.
 * - Search index lag: records created or changed less than `setSearchLagMs` ms ago are invisible
 *   to search (direct reads by id or idProperty see them at once, as in HubSpot).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../../../../../platform/clock.js';
import type { FakeCrmControls } from '../../../testing/fake-crm-controls.js';
import {
  HubspotFakeError,
  HubspotFakeStore,
  OBJECT_TYPES,
  parsePropertyList,
  toMs,
  validationError,
  type ObjectType,
  type SearchBody,
  type StoredObject,
} from './hubspot-fake.store.js';

export const HUBSPOT_FAKE_TOKEN = 'pat-na1-fake-0000-0000-0000-000000000000';
const TEN_SECONDS = 10_000;
const BATCH_LIMIT = 100;
const LIST_LIMIT = 100;

export type HubspotFakeOptions = {
  /** The private-app token the fake accepts. Default `HUBSPOT_FAKE_TOKEN`. */
  accessToken?: string;
  /** Caps every page (list and search) below HubSpot's own maximums, to exercise paging. */
  pageSize?: number;
  /** The burst limit to enforce. Default 100 per rolling 10 s (Free/Starter); Professional/Enterprise is 190. */
  rateLimit?: { perTenSeconds: number; searchPerSecond?: number };
  /** Time for the rate-limit windows, search lag and record timestamps. Default: the system clock. */
  clock?: Clock;
};

export type HubspotFakeControls = FakeCrmControls & {
  /** 429s the fake's own limits answered (not `failNext`), by policy. */
  rateLimitRejections(): { tenSecondly: number; secondly: number };
  /** The most requests admitted in any rolling 10-second window so far. */
  peakRequestsPerTenSeconds(): number;
  /** Makes the portal lack a property (as if README.md's setup was skipped): writing it answers PROPERTY_DOESNT_EXIST. */
  removeProperty(name: string): void;
  /** A contact's stored properties (null when it does not exist). */
  contact(crmId: string): Record<string, string> | null;
  /** The communications on a contact with every stored property. */
  communicationsOf(crmId: string): Record<string, string>[];
  /** Total records of a type. */
  count(type: ObjectType): number;
  /** Forgets the request log and rate-limit statistics (not the records). */
  resetStats(): void;
};

export type HubspotFake = { url: string; controls: HubspotFakeControls; close(): Promise<void> };

type Json = Record<string, unknown>;
type Answer = { status: number; body?: unknown; headers?: Record<string, string> };

export async function startHubspotFake(options: HubspotFakeOptions = {}): Promise<HubspotFake> {
  const clock = options.clock ?? systemClock;
  const token = options.accessToken ?? HUBSPOT_FAKE_TOKEN;
  const perTenSeconds = options.rateLimit?.perTenSeconds ?? 100;
  const searchPerSecond = options.rateLimit?.searchPerSecond ?? 5;
  const pageCap = options.pageSize;
  const store = new HubspotFakeStore(clock);

  const log: { method: string; path: string }[] = [];
  let failures: { status: number; remaining: number }[] = [];
  // Admission times still inside their window (pruned as time moves), and every admission for the peak statistic.
  let window: number[] = [];
  let searchWindow: number[] = [];
  let admitted: number[] = [];
  const rejections = { tenSecondly: 0, secondly: 0 };

  function rateHeaders(now: number): Record<string, string> {
    window = window.filter((t) => now - t < TEN_SECONDS);
    return {
      'x-hubspot-ratelimit-interval-milliseconds': String(TEN_SECONDS),
      'x-hubspot-ratelimit-max': String(perTenSeconds),
      'x-hubspot-ratelimit-remaining': String(Math.max(0, perTenSeconds - window.length)),
      'x-hubspot-ratelimit-secondly': String(Math.floor(perTenSeconds / 10)),
      'x-hubspot-ratelimit-secondly-remaining': String(Math.max(0, Math.floor(perTenSeconds / 10) - window.filter((t) => now - t < 1000).length)),
    };
  }

  const errorBody = (category: string, message: string, extra: Json = {}) => ({ status: 'error', message, correlationId: randomUUID(), category, ...extra });

  const rateLimited = (policy: 'TEN_SECONDLY_ROLLING' | 'SECONDLY'): Answer => ({
    status: 429,
    body: errorBody('RATE_LIMITS', `You have reached your ${policy.toLowerCase()} limit.`, { errorType: 'RATE_LIMIT', policyName: policy, requestId: randomUUID() }),
  });

  /** The injected failure for this call, answered the way HubSpot answers that status. */
  function injected(status: number): Answer {
    if (status === 429) return rateLimited('TEN_SECONDLY_ROLLING');
    if (status === 401) return { status, body: errorBody('INVALID_AUTHENTICATION', 'Authentication credentials not found.') };
    if (status === 404) return { status, body: errorBody('OBJECT_NOT_FOUND', 'resource not found') };
    if (status >= 500) return { status, body: errorBody('INTERNAL_ERROR', 'internal error') };
    return { status, body: errorBody('VALIDATION_ERROR', 'Injected failure') };
  }

  async function handle(req: IncomingMessage): Promise<Answer> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    log.push({ method, path: url.pathname });
    const raw = await readBody(req);

    const failure = failures[0];
    if (failure) {
      failure.remaining -= 1;
      if (failure.remaining <= 0) failures = failures.slice(1);
      return injected(failure.status);
    }
    if (req.headers.authorization !== `Bearer ${token}`) {
      return {
        status: 401,
        body: errorBody('INVALID_AUTHENTICATION', 'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview'),
      };
    }

    const now = clock.now();
    window = window.filter((t) => now - t < TEN_SECONDS);
    searchWindow = searchWindow.filter((t) => now - t < 1000);
    const isSearch = method === 'POST' && url.pathname.endsWith('/search');
    if (window.length >= perTenSeconds) {
      rejections.tenSecondly += 1;
      return rateLimited('TEN_SECONDLY_ROLLING');
    }
    if (isSearch && searchWindow.length >= searchPerSecond) {
      rejections.secondly += 1;
      return rateLimited('SECONDLY');
    }
    window.push(now);
    admitted.push(now);
    if (isSearch) searchWindow.push(now);

    let body: unknown = undefined;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        throw validationError('Invalid input JSON on line 1: the request body is not valid JSON');
      }
    }
    return route(method, url, body);
  }

  function route(method: string, url: URL, body: unknown): Answer {
    const parts = url.pathname.split('/').filter((p) => p !== '').map(decodeURIComponent);
    if (parts[0] !== 'crm' || parts[1] !== 'v3' || parts[2] !== 'objects' || parts.length < 4) {
      return { status: 404, body: errorBody('OBJECT_NOT_FOUND', `No route for ${method} ${url.pathname}`) };
    }
    const type = parts[3] as ObjectType;
    if (!OBJECT_TYPES.includes(type)) return { status: 400, body: errorBody('VALIDATION_ERROR', `Unable to infer object type from: ${parts[3]}`) };
    const rest = parts.slice(4);
    const q = url.searchParams;
    const properties = parsePropertyList(q.get('properties') ?? undefined);

    if (rest.length === 0 && method === 'GET') return { status: 200, body: list(type, q, properties) };
    if (rest.length === 0 && method === 'POST') {
      const input = asObject(body);
      const created = store.create(type, asObject(input['properties'] ?? {}), input['associations']);
      return { status: 201, body: store.toJson(created, Object.keys(asObject(input['properties'] ?? {}))) };
    }
    if (rest.length === 1 && rest[0] === 'search' && method === 'POST') return { status: 200, body: store.search(type, asObject(body) as SearchBody, pageCap) };
    if (rest.length === 2 && rest[0] === 'batch' && method === 'POST') return batch(type, rest[1] ?? '', asObject(body));
    if (rest.length === 1) {
      const id = rest[0] ?? '';
      const idProperty = q.get('idProperty') ?? undefined;
      const found = store.find(type, id, idProperty);
      if (method === 'GET') {
        if (!found) return notFound(type);
        return { status: 200, body: store.toJson(found, properties) };
      }
      if (method === 'PATCH') {
        if (!found) return notFound(type);
        const input = asObject(asObject(body)['properties'] ?? {});
        store.update(found, input);
        return { status: 200, body: store.toJson(found, Object.keys(input)) };
      }
      if (method === 'DELETE') {
        if (found) store.remove(found.id);
        return { status: 204 };
      }
    }
    return { status: 405, body: errorBody('VALIDATION_ERROR', `${method} is not supported on ${url.pathname}`) };
  }

  const notFound = (type: ObjectType): Answer => ({ status: 404, body: errorBody('OBJECT_NOT_FOUND', `Object not found. objectId are usually numeric. (${type})`) });

  function list(type: ObjectType, q: URLSearchParams, properties: string[] | undefined) {
    const limit = q.has('limit') ? Number(q.get('limit')) : 10;
    if (!Number.isInteger(limit) || limit < 1 || limit > LIST_LIMIT) throw validationError(`limit must be between 1 and ${LIST_LIMIT}`);
    const after = q.get('after');
    if (after !== null && !/^\d+$/.test(after)) throw validationError('after must be a paging cursor returned by a previous page');
    const size = Math.min(limit, pageCap ?? limit);
    const all = store.all(type).filter((o) => after === null || Number(o.id) > Number(after)).sort((a, b) => Number(a.id) - Number(b.id));
    const page = all.slice(0, size);
    const last = page.at(-1);
    return {
      results: page.map((o) => store.toJson(o, properties)),
      ...(all.length > size && last ? { paging: { next: { after: last.id, link: `?after=${last.id}` } } } : {}),
    };
  }

  function batch(type: ObjectType, action: string, body: Json): Answer {
    const inputs = body['inputs'];
    if (!Array.isArray(inputs)) throw validationError('inputs must be an array');
    if (inputs.length > BATCH_LIMIT) throw validationError(`Batch requests accept at most ${BATCH_LIMIT} inputs; got ${inputs.length}.`);
    const startedAt = new Date(clock.now()).toISOString();
    const done = (results: unknown[], status = 200, extra: Json = {}): Answer => ({
      status,
      body: { status: 'COMPLETE', results, startedAt, completedAt: new Date(clock.now()).toISOString(), ...extra },
    });
    const properties = parsePropertyList(body['properties']);

    if (action === 'read') {
      const idProperty = typeof body['idProperty'] === 'string' ? body['idProperty'] : undefined;
      const found: StoredObject[] = [];
      const missing: string[] = [];
      for (const input of inputs.map(asObject)) {
        const id = String(input['id'] ?? '');
        const object = store.find(type, id, idProperty);
        if (object) found.push(object);
        else missing.push(id);
      }
      const results = found.map((o) => store.toJson(o, properties));
      if (missing.length === 0) return done(results);
      return done(results, 207, {
        numErrors: 1,
        errors: [{ status: 'error', category: 'OBJECT_NOT_FOUND', message: `Could not get some ${type} objects, they may be deleted or not exist. Check that ids are valid.`, context: { ids: missing } }],
      });
    }

    if (action === 'create') {
      const parsed = inputs.map(asObject).map((input) => ({ props: asObject(input['properties'] ?? {}), associations: input['associations'] }));
      for (const input of parsed) store.validateCreate(type, input.props, input.associations);
      assertNoDuplicateUniques(type, parsed.map((p) => p.props));
      const created = parsed.map((input) => store.create(type, input.props, input.associations));
      return done(created.map((o, i) => store.toJson(o, Object.keys(parsed[i]?.props ?? {}))), 201);
    }

    if (action === 'update') {
      const parsed = inputs.map(asObject).map((input) => {
        const idProperty = typeof input['idProperty'] === 'string' ? input['idProperty'] : undefined;
        const object = store.find(type, String(input['id'] ?? ''), idProperty);
        if (!object) throw new HubspotFakeError(404, 'OBJECT_NOT_FOUND', `Could not find ${type} ${String(input['id'])}`);
        return { object, props: asObject(input['properties'] ?? {}) };
      });
      for (const input of parsed) store.validateUpdate(input.object, input.props);
      return done(parsed.map((input) => store.toJson(store.update(input.object, input.props), Object.keys(input.props))));
    }

    if (action === 'upsert') {
      const parsed = inputs.map(asObject).map((input) => {
        const idProperty = input['idProperty'];
        const id = input['id'];
        if (typeof idProperty !== 'string' || idProperty === '') throw validationError('each upsert input needs an idProperty');
        if (typeof id !== 'string' || id === '') throw validationError('each upsert input needs an id (the value of its idProperty)');
        store.assertUnique(type, idProperty);
        const props = { ...asObject(input['properties'] ?? {}), [idProperty]: id };
        return { object: store.find(type, id, idProperty), props, idProperty, id };
      });
      const seen = new Set<string>();
      for (const input of parsed) {
        const key = `${input.idProperty}\u0000${input.id}`;
        if (seen.has(key)) throw validationError(`Duplicate id ${input.id} for ${input.idProperty} in one batch.`);
        seen.add(key);
        if (input.object) store.validateUpdate(input.object, input.props);
        else store.validateCreate(type, input.props, undefined);
      }
      assertNoDuplicateUniques(type, parsed.filter((p) => !p.object).map((p) => p.props));
      const results = parsed.map((input) => {
        const isNew = !input.object;
        const object = input.object ? store.update(input.object, input.props) : store.create(type, input.props, undefined);
        return { ...store.toJson(object, Object.keys(input.props)), new: isNew };
      });
      return done(results);
    }
    return { status: 404, body: errorBody('OBJECT_NOT_FOUND', `No batch action ${action}`) };
  }

  /** Two inputs of one batch claiming the same unique value fail the batch (nothing is written). */
  function assertNoDuplicateUniques(type: ObjectType, inputs: Json[]): void {
    const names = type === 'contacts' ? ['email', 'switchboard_id'] : type === 'communications' ? ['switchboard_message_id'] : type === 'tasks' ? ['switchboard_task_id'] : [];
    for (const name of names) {
      const values = inputs.map((p) => p[name]).filter((v) => v !== undefined && v !== null && v !== '').map((v) => String(v).toLowerCase());
      if (new Set(values).size !== values.length) throw new HubspotFakeError(409, 'CONFLICT', `Two inputs of the batch have the same value for the unique property ${name}.`);
    }
  }

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void handle(req)
      .catch((error: unknown): Answer => {
        if (error instanceof HubspotFakeError) return { status: error.httpStatus, body: errorBody(error.category, error.message, error.extra) };
        return { status: 500, body: errorBody('INTERNAL_ERROR', `fake bug: ${(error as Error).message}`) };
      })
      .then((answer) => {
        const headers: Record<string, string> = { ...rateHeaders(clock.now()), ...(answer.headers ?? {}) };
        if (answer.body === undefined) {
          res.writeHead(answer.status, headers).end();
          return;
        }
        const text = JSON.stringify(answer.body);
        res.writeHead(answer.status, { ...headers, 'content-type': 'application/json;charset=utf-8', 'content-length': String(Buffer.byteLength(text)) }).end(text);
      });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const contactsOf = (type: ObjectType, crmId: string) =>
    store
      .all(type)
      .filter((o) => o.contacts.has(crmId))
      .sort((a, b) => (toMs(a.properties.get('hs_timestamp') ?? '') ?? 0) - (toMs(b.properties.get('hs_timestamp') ?? '') ?? 0) || Number(a.id) - Number(b.id));

  const controls: HubspotFakeControls = {
    async createPersonDirectly(person) {
      const props: Record<string, string> = { lastname: person.lastName };
      if (person.firstName !== undefined) props['firstname'] = person.firstName;
      if (person.phone !== undefined) props['phone'] = person.phone;
      if (person.email !== undefined) props['email'] = person.email;
      if (person.tags !== undefined) props['switchboard_tags'] = person.tags.join(';');
      Object.assign(props, person.fields ?? {});
      return store.create('contacts', props, undefined).id;
    },
    async updatePersonDirectly(crmId, change) {
      const contact = store.get('contacts', crmId);
      if (!contact) throw new Error(`no contact ${crmId}`);
      const props: Record<string, string> = { ...(change.fields ?? {}) };
      if (change.tags !== undefined) props['switchboard_tags'] = change.tags.join(';');
      if (change.phone !== undefined) props['phone'] = change.phone;
      store.update(contact, props);
    },
    failNext(status, times = 1) {
      failures.push({ status, remaining: times });
    },
    setSearchLagMs(ms) {
      store.searchLagMs = ms;
    },
    async activitiesOf(crmId) {
      return contactsOf('communications', crmId).map((o) => ({ body: o.properties.get('hs_communication_body') ?? '' }));
    },
    async tasksOf(crmId) {
      return contactsOf('tasks', crmId).map((o) => ({ subject: o.properties.get('hs_task_subject') ?? '', ownerId: o.properties.get('hubspot_owner_id') ?? null }));
    },
    async personCount() {
      return store.all('contacts').length;
    },
    requests() {
      return [...log];
    },
    rateLimitRejections() {
      return { ...rejections };
    },
    peakRequestsPerTenSeconds() {
      let peak = 0;
      let start = 0;
      for (let end = 0; end < admitted.length; end++) {
        while ((admitted[end] ?? 0) - (admitted[start] ?? 0) >= TEN_SECONDS) start++;
        peak = Math.max(peak, end - start + 1);
      }
      return peak;
    },
    removeProperty(name) {
      store.missingProperties.add(name);
    },
    contact(crmId) {
      const contact = store.get('contacts', crmId);
      return contact ? Object.fromEntries(contact.properties) : null;
    },
    communicationsOf(crmId) {
      return contactsOf('communications', crmId).map((o) => Object.fromEntries(o.properties));
    },
    count(type) {
      return store.all(type).length;
    },
    resetStats() {
      log.length = 0;
      admitted = [];
      rejections.tenSecondly = 0;
      rejections.secondly = 0;
    },
  };

  return {
    url: `http://127.0.0.1:${port}`,
    controls,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function asObject(value: unknown): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw validationError('Invalid input JSON: expected an object');
  return value as Json;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
