/**
 * A local Salesforce for tests: a real HTTP server on 127.0.0.1, port 0, serving both the login
 * server and the org's instance, with the documented shapes of what the connector uses.
 *
 * - `POST /services/oauth2/token`, OAuth 2.0 JWT bearer flow: the RS256 assertion is verified
 *   against the connected app's public key (or certificate) with its `iss` (consumer key), `sub`
 *   (username), `aud` (this server's origin) and `exp` (in the future, at most 5 minutes ahead);
 *   otherwise 400 `{"error":"invalid_grant","error_description":…}`. The answer is
 *   `{access_token, instance_url, id, token_type:"Bearer", scope, issued_at, signature}`; access
 *   tokens expire after `sessionTtlMs` (`expireSessions()` ends them all at once).
 * - `/services/data/vXX.X/…`: `sobjects/{Contact|Task}` (POST create), `sobjects/{Object}/{id}`
 *   (GET, `?fields=`, PATCH 204, DELETE 204), `sobjects/{Object}/{externalIdField}/{value}` (GET;
 *   PATCH upsert: 201 `{id, success, errors, created:true}`, 200 `{…, created:false}` from v46.0,
 *   204 before; 300 with the matching records' URLs when the value is not unique), `query?q=`
 *   with `nextRecordsUrl` paging (`pageSize` records a batch; `query/{locator}`), `search/?q=`
 *   SOSL `IN PHONE FIELDS` → `{searchRecords}` (digits match, whatever the formatting; records
 *   changed within the search lag are invisible).
 * - Errors as Salesforce's array `[{"message","errorCode","fields"}]`: 401 INVALID_SESSION_ID,
 *   403 REQUEST_LIMIT_EXCEEDED once the daily allocation (`dailyApiLimit`) is used, 404 NOT_FOUND,
 *   400 REQUIRED_FIELD_MISSING / INVALID_FIELD / INVALID_FIELD_FOR_INSERT_UPDATE (TaskSubtype
 *   cannot be updated) / DUPLICATE_VALUE / MALFORMED_QUERY / MALFORMED_SEARCH / … Every API answer
 *   carries `Sforce-Limit-Info: api-usage=n/m`.
 * - Record timestamps have Salesforce's one-second precision (`timestampPrecisionMs`).
 */
import { createPublicKey, generateKeyPairSync, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errors as joseErrors, jwtVerify } from 'jose';
import { systemClock, type Clock } from '../../../../../platform/clock.js';
import type { FakeCrmControls } from '../../../testing/fake-crm-controls.js';
import { SoqlError } from './salesforce-fake.soql.js';
import { SalesforceFakeError, SalesforceFakeStore, type ObjectName, type StoredRecord } from './salesforce-fake.store.js';

export type SalesforceFakeOptions = {
  /** The connected app's consumer key. Default `3MVG9fake.consumer.key`. */
  clientId?: string;
  /** The pre-authorised integration user. Default `integration@switchboard.example`. */
  username?: string;
  /** The certificate's public key (PEM public key or X.509 certificate, or a KeyObject); generated when absent. */
  publicKey?: KeyObject | string;
  /** Records per query batch (Salesforce: 2,000 by default, 200 at least). Default 2,000. */
  pageSize?: number;
  /** Daily API request allocation (Developer Edition: 15,000). Default 100,000. */
  dailyApiLimit?: number;
  /** How long an access token lives. Default 2 hours. */
  sessionTtlMs?: number;
  /** Precision of CreatedDate/LastModifiedDate/SystemModstamp. Default 1000 (Salesforce's). */
  timestampPrecisionMs?: number;
  /** false: external id fields are not Unique (duplicates possible; upserts and reads answer 300). */
  uniqueExternalIds?: boolean;
  clock?: Clock;
};

export type SalesforceFakeControls = FakeCrmControls & {
  /** Ends every access token: the next API call answers 401 INVALID_SESSION_ID. */
  expireSessions(): void;
  /** The next `times` token requests answer with this status (400 invalid_grant, 500, 503). */
  failTokenNext(status: number, times?: number): void;
  setDailyApiLimit(limit: number): void;
  apiUsage(): { used: number; limit: number };
  /** A field missing from the org (README.md's setup skipped): writes answer INVALID_FIELD, external id paths NOT_FOUND. */
  removeField(object: ObjectName, field: string): void;
  /** Query cursors the fake forgets, as Salesforce does after 15 idle minutes (INVALID_QUERY_LOCATOR). */
  expireQueryLocators(): void;
  /** A record's stored fields (dateTimes as epoch ms), or null. */
  record(id: string): Record<string, unknown> | null;
  /** Every Task with its stored fields. */
  tasks(): Record<string, unknown>[];
  /** Token exchanges answered with an access token. */
  tokensIssued(): number;
  /** Adds an active user (a valid OwnerId). */
  addUser(id: string): void;
  /** Forgets the request log. */
  resetRequests(): void;
};

export type SalesforceFake = {
  url: string;
  controls: SalesforceFakeControls;
  close(): Promise<void>;
  clientId: string;
  username: string;
  /** The integration user's id (default owner of what the API creates). */
  apiUserId: string;
  /** A second user, for tasks assigned to someone else. */
  ownerId: string;
  /** The private key matching the generated key pair (absent when `publicKey` was given). */
  privateKeyPem?: string;
};

type Answer = { status: number; body?: unknown; headers?: Record<string, string> };

const API_USER_ID = '005Fk0000000001AAA';
const OTHER_USER_ID = '005Fk0000000002AAA';
const ORG_ID = '00DFk0000000001AAA';

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const sfError = (status: number, errorCode: string, message: string, fields: string[] = []): Answer => ({ status, body: [{ message, errorCode, fields }] });

function toPublicKey(key: KeyObject | string): KeyObject {
  if (typeof key !== 'string') return key.type === 'private' ? createPublicKey(key) : key;
  return key.includes('BEGIN CERTIFICATE') ? new X509Certificate(key).publicKey : createPublicKey(key);
}

export async function startSalesforceFake(options: SalesforceFakeOptions = {}): Promise<SalesforceFake> {
  const clock = options.clock ?? systemClock;
  const clientId = options.clientId ?? '3MVG9fake.consumer.key';
  const username = options.username ?? 'integration@switchboard.example';
  const pageSize = options.pageSize ?? 2_000;
  const sessionTtlMs = options.sessionTtlMs ?? 2 * 60 * 60 * 1000;
  let dailyApiLimit = options.dailyApiLimit ?? 100_000;

  let privateKeyPem: string | undefined;
  let publicKey: KeyObject;
  if (options.publicKey) {
    publicKey = toPublicKey(options.publicKey);
  } else {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    publicKey = pair.publicKey;
    privateKeyPem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  }

  let apiVersion = 'v62.0';
  const store = new SalesforceFakeStore({
    clock,
    apiVersion: () => apiVersion,
    precisionMs: options.timestampPrecisionMs ?? 1000,
    apiUserId: API_USER_ID,
    uniqueExternalIds: options.uniqueExternalIds ?? true,
  });
  store.users.add(OTHER_USER_ID);

  let origin = '';
  const log: { method: string; path: string }[] = [];
  let failures: { status: number; remaining: number }[] = [];
  let tokenFailures: { status: number; remaining: number }[] = [];
  const sessions = new Map<string, number>();
  let issued = 0;
  let used = 0;
  const locators = new Map<string, { object: ObjectName; fields: string[]; rows: StoredRecord[]; total: number }>();

  const limitHeader = () => ({ 'sforce-limit-info': `api-usage=${used}/${dailyApiLimit}` });

  function takeFailure(queue: { status: number; remaining: number }[]): { status: number; queue: typeof queue } | null {
    const first = queue[0];
    if (!first) return null;
    first.remaining -= 1;
    return { status: first.status, queue: first.remaining <= 0 ? queue.slice(1) : queue };
  }

  /** An injected failure, answered as Salesforce answers that situation. */
  function injected(status: number): Answer {
    if (status === 429 || status === 403) return sfError(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.');
    if (status === 401) return sfError(401, 'INVALID_SESSION_ID', 'Session expired or invalid');
    if (status === 404) return sfError(404, 'NOT_FOUND', 'The requested resource does not exist');
    if (status === 503) return sfError(503, 'SERVER_UNAVAILABLE', 'Server temporarily unavailable. Please try again later.');
    if (status >= 500) return sfError(status, 'UNKNOWN_EXCEPTION', 'An unexpected error occurred. Please include this ErrorId if you contact support: 1234567890-12345 (-1234567890)');
    return sfError(status, 'INVALID_OPERATION', 'Injected failure');
  }

  // -------------------------------------------------------------------------------- OAuth

  async function token(raw: string): Promise<Answer> {
    const failure = takeFailure(tokenFailures);
    if (failure) {
      tokenFailures = failure.queue;
      if (failure.status >= 500) return { status: failure.status, body: { error: 'server_error', error_description: 'internal server error' } };
      return { status: failure.status, body: { error: 'invalid_grant', error_description: 'authentication failure' } };
    }
    const form = new URLSearchParams(raw);
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'grant type not supported' } };
    }
    const assertion = form.get('assertion') ?? '';
    const invalid = (description: string): Answer => ({ status: 400, body: { error: 'invalid_grant', error_description: description } });
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(assertion, publicKey, { algorithms: ['RS256'], currentDate: new Date(clock.now()), requiredClaims: ['exp'] }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) return invalid('expired authorization code');
      return invalid('invalid assertion');
    }
    if (payload['iss'] !== clientId) return invalid('invalid client identifier');
    const aud = payload['aud'];
    if (!(aud === origin || (Array.isArray(aud) && aud.includes(origin)))) return invalid('audience is invalid');
    if (payload['sub'] !== username) return invalid("user hasn't approved this consumer");
    if (typeof payload['exp'] !== 'number' || payload['exp'] * 1000 > clock.now() + 5 * 60_000) return invalid('invalid assertion');

    const accessToken = `${ORG_ID.slice(0, 15)}!${randomBytes(24).toString('base64url')}`;
    sessions.set(accessToken, clock.now() + sessionTtlMs);
    issued += 1;
    return {
      status: 200,
      body: {
        access_token: accessToken,
        scope: 'api',
        instance_url: origin,
        id: `${origin}/id/${ORG_ID}/${API_USER_ID}`,
        token_type: 'Bearer',
        issued_at: String(clock.now()),
        signature: randomBytes(32).toString('base64'),
      },
    };
  }

  // -------------------------------------------------------------------------------- REST

  function page(locatorId: string, offset: number): Record<string, unknown> {
    const cursor = locators.get(locatorId);
    if (!cursor) throw new SalesforceFakeError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
    const batch = cursor.rows.slice(offset, offset + pageSize);
    const end = offset + batch.length;
    const done = end >= cursor.rows.length;
    if (done) locators.delete(locatorId);
    return {
      totalSize: cursor.total,
      done,
      ...(done ? {} : { nextRecordsUrl: `/services/data/${apiVersion}/query/${locatorId}-${end}` }),
      records: batch.map((r) => store.toJson(r, cursor.fields)),
    };
  }

  function runQuery(soql: string): Answer {
    const result = store.query(soql);
    const locatorId = store.newId('01g');
    locators.set(locatorId, { ...result, total: result.rows.length });
    return { status: 200, body: page(locatorId, 0) };
  }

  function fieldsParam(object: ObjectName, url: URL): string[] | undefined {
    const raw = url.searchParams.get('fields');
    if (raw === null) return undefined;
    const fields = raw.split(',').map((f) => f.trim()).filter((f) => f !== '');
    for (const f of fields) store.kindOf(object, f);
    return fields;
  }

  function asObject(body: unknown): Record<string, unknown> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new SalesforceFakeError(400, 'JSON_PARSER_ERROR', 'The request body must be a JSON object.');
    return body as Record<string, unknown>;
  }

  function multipleChoices(rows: StoredRecord[]): never {
    throw new SalesforceFakeError(300, 'MULTIPLE_CHOICES', 'multiple records', [], rows.map((r) => store.url(r)));
  }

  function sobjects(method: string, parts: string[], url: URL, body: unknown): Answer {
    const object = store.object(parts[0] ?? '');
    if (parts.length === 1) {
      if (method !== 'POST') throw new SalesforceFakeError(405, 'METHOD_NOT_ALLOWED', `HTTP Method '${method}' not allowed. Allowed are HEAD,GET,POST`);
      const created = store.create(object, asObject(body));
      return { status: 201, body: { id: created.fields['Id'], success: true, errors: [] } };
    }
    if (parts.length === 2) {
      const id = parts[1] ?? '';
      const record = store.get(object, id);
      if (!record) return sfError(404, 'NOT_FOUND', 'The requested resource does not exist');
      if (method === 'GET') return { status: 200, body: store.toJson(record, fieldsParam(object, url)) };
      if (method === 'PATCH') {
        store.update(record, asObject(body));
        return { status: 204 };
      }
      if (method === 'DELETE') {
        store.records.delete(id);
        return { status: 204 };
      }
      throw new SalesforceFakeError(405, 'METHOD_NOT_ALLOWED', `HTTP Method '${method}' not allowed. Allowed are HEAD,GET,PATCH,DELETE`);
    }
    if (parts.length === 3) {
      const field = parts[1] ?? '';
      const value = parts[2] ?? '';
      const rows = store.byExternalId(object, field, value);
      if (method === 'GET') {
        if (rows.length === 0) return sfError(404, 'NOT_FOUND', 'The requested resource does not exist');
        if (rows.length > 1) multipleChoices(rows);
        return { status: 200, body: store.toJson(rows[0] as StoredRecord, fieldsParam(object, url)) };
      }
      if (method === 'PATCH') {
        const input = asObject(body);
        if (field in input && input[field] !== value) {
          throw new SalesforceFakeError(400, 'INVALID_FIELD', `Foreign key external ID: ${String(input[field])} not found for field ${field} in entity ${object}`, [field]);
        }
        if (rows.length > 1) multipleChoices(rows);
        const existing = rows[0];
        if (!existing) {
          const created = store.create(object, { ...input, [field]: value });
          return { status: 201, body: { id: created.fields['Id'], success: true, errors: [], created: true } };
        }
        store.update(existing, input);
        // From API v46.0 an upsert that updates answers 200 with the id; earlier versions 204.
        if (Number(apiVersion.slice(1)) >= 46) return { status: 200, body: { id: existing.fields['Id'], success: true, errors: [], created: false } };
        return { status: 204 };
      }
      throw new SalesforceFakeError(405, 'METHOD_NOT_ALLOWED', `HTTP Method '${method}' not allowed. Allowed are HEAD,GET,PATCH,DELETE`);
    }
    return sfError(404, 'NOT_FOUND', 'The requested resource does not exist');
  }

  function api(method: string, parts: string[], url: URL, body: unknown): Answer {
    const [resource, ...rest] = parts;
    if (resource === 'query' && method === 'GET') {
      if (rest.length === 0) {
        const q = url.searchParams.get('q');
        if (!q) return sfError(400, 'MALFORMED_QUERY', 'A query string has to be specified');
        return runQuery(q);
      }
      const locator = /^(.+)-(\d+)$/.exec(rest[0] ?? '');
      if (!locator) return sfError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
      return { status: 200, body: page(locator[1] ?? '', Number(locator[2])) };
    }
    if (resource === 'search' && method === 'GET' && rest.length === 0) {
      const q = url.searchParams.get('q');
      if (!q) return sfError(400, 'MALFORMED_SEARCH', 'No search term found. The search term must be enclosed in braces.');
      const result = store.search(q);
      return { status: 200, body: { searchRecords: result.rows.map((r) => store.toJson(r, result.fields)) } };
    }
    if (resource === 'sobjects' && rest.length >= 1) return sobjects(method, rest, url, body);
    return sfError(404, 'NOT_FOUND', 'The requested resource does not exist');
  }

  async function handle(req: IncomingMessage): Promise<Answer> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    log.push({ method, path: url.pathname });
    const raw = await readBody(req);

    if (url.pathname === '/services/oauth2/token') {
      if (method !== 'POST') return { status: 405, body: { error: 'invalid_request', error_description: 'must use HTTP POST' } };
      return token(raw);
    }
    const version = /^\/services\/data\/(v\d+\.\d)(?:\/(.*))?$/.exec(url.pathname);
    if (!version) return sfError(404, 'NOT_FOUND', 'The requested resource does not exist');

    const failure = takeFailure(failures);
    if (failure) {
      failures = failure.queue;
      return { ...injected(failure.status), headers: limitHeader() };
    }
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const expiresAt = auth ? sessions.get(auth[1] ?? '') : undefined;
    if (expiresAt === undefined || expiresAt <= clock.now()) {
      return sfError(401, 'INVALID_SESSION_ID', 'Session expired or invalid');
    }
    if (used >= dailyApiLimit) return { ...sfError(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'), headers: limitHeader() };
    used += 1;

    apiVersion = version[1] ?? 'v62.0';
    const parts = (version[2] ?? '').split('/').filter((p) => p !== '').map((p) => decodeURIComponent(p));
    let body: unknown;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        return { ...sfError(400, 'JSON_PARSER_ERROR', 'Unexpected character: was expecting a JSON value'), headers: limitHeader() };
      }
    }
    try {
      return { ...api(method, parts, url, body), headers: limitHeader() };
    } catch (error) {
      if (error instanceof SalesforceFakeError) {
        return { status: error.status, body: error.body ?? [{ message: error.message, errorCode: error.errorCode, fields: error.fields }], headers: limitHeader() };
      }
      if (error instanceof SoqlError) return { ...sfError(400, error.errorCode, error.message), headers: limitHeader() };
      throw error;
    }
  }

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    handle(req)
      .then((answer) => {
        // The Date header comes from the fake's clock: the connector reads Salesforce's time from it.
        res.sendDate = false;
        res.setHeader('date', new Date(clock.now()).toUTCString());
        for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
        if (answer.body === undefined) {
          res.writeHead(answer.status).end();
          return;
        }
        res.writeHead(answer.status, { 'content-type': 'application/json;charset=UTF-8' }).end(JSON.stringify(answer.body));
      })
      .catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json;charset=UTF-8' }).end(JSON.stringify([{ message: String(error), errorCode: 'UNKNOWN_EXCEPTION', fields: [] }]));
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const contacts = () => [...store.records.values()].filter((r) => r.object === 'Contact');
  const tasksOn = (crmId: string) =>
    [...store.records.values()].filter((r) => r.object === 'Task' && r.fields['WhoId'] === crmId).sort((a, b) => String(a.fields['Id']).localeCompare(String(b.fields['Id'])));

  const controls: SalesforceFakeControls = {
    async createPersonDirectly(person) {
      const created = store.create('Contact', {
        ...(person.fields ?? {}),
        ...(person.firstName !== undefined ? { FirstName: person.firstName } : {}),
        LastName: person.lastName,
        ...(person.phone !== undefined ? { Phone: person.phone } : {}),
        ...(person.email !== undefined ? { Email: person.email } : {}),
        ...(person.tags !== undefined ? { Switchboard_Tags__c: person.tags.join(';') } : {}),
      });
      return String(created.fields['Id']);
    },
    async updatePersonDirectly(crmId, change) {
      const record = store.get('Contact', crmId);
      if (!record) throw new Error(`No Contact ${crmId} in the fake`);
      store.update(record, {
        ...(change.fields ?? {}),
        ...(change.phone !== undefined ? { Phone: change.phone } : {}),
        ...(change.tags !== undefined ? { Switchboard_Tags__c: change.tags.join(';') } : {}),
      });
    },
    failNext(status, times = 1) {
      failures.push({ status, remaining: times });
    },
    setSearchLagMs(ms) {
      store.searchLagMs = ms;
    },
    async activitiesOf(crmId) {
      return tasksOn(crmId)
        .filter((t) => typeof t.fields['Switchboard_Message_Id__c'] === 'string')
        .map((t) => ({ body: String(t.fields['Description'] ?? ''), subject: String(t.fields['Subject'] ?? '') }));
    },
    async tasksOf(crmId) {
      return tasksOn(crmId)
        .filter((t) => typeof t.fields['Switchboard_Message_Id__c'] !== 'string')
        .map((t) => ({ subject: String(t.fields['Subject'] ?? ''), ownerId: typeof t.fields['OwnerId'] === 'string' ? t.fields['OwnerId'] : null }));
    },
    async personCount() {
      return contacts().length;
    },
    requests: () => [...log],
    expireSessions() {
      sessions.clear();
    },
    failTokenNext(status, times = 1) {
      tokenFailures.push({ status, remaining: times });
    },
    setDailyApiLimit(limit) {
      dailyApiLimit = limit;
    },
    apiUsage: () => ({ used, limit: dailyApiLimit }),
    removeField(object, field) {
      store.removeField(object, field);
    },
    expireQueryLocators() {
      locators.clear();
    },
    record(id) {
      const record = store.records.get(id);
      return record ? { ...record.fields } : null;
    },
    tasks: () => [...store.records.values()].filter((r) => r.object === 'Task').map((r) => ({ ...r.fields })),
    tokensIssued: () => issued,
    addUser(id) {
      store.users.add(id);
    },
    resetRequests() {
      log.length = 0;
    },
  };

  return {
    url: origin,
    controls,
    clientId,
    username,
    apiUserId: API_USER_ID,
    ownerId: OTHER_USER_ID,
    ...(privateKeyPem ? { privateKeyPem } : {}),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
