/**
 * The HubSpot adapter of the CrmConnector port (CRM v3 objects and search, private-app token).
 *
 * Identity: our key lives in the unique contact property `switchboard_id`. Writes upsert on it
 * (`batch/upsert` with `idProperty`), and `findByKey` reads it with `GET …/{key}?idProperty=`,
 * a direct read that sees a record the moment it is written. Search (phone, email, change
 * polling) is only the fallback: HubSpot's search index lags writes by seconds.
 *
 * Idempotent engagements: a WhatsApp message is a communication (`WHATS_APP`) holding the message
 * key in the unique property `switchboard_message_id`, created with its association to the
 * contact in the same request. A second create of the same key is refused by HubSpot (409), and
 * the existing record is then read by that key: logging twice makes one communication, with no
 * window between "created" and "associated". Tasks work the same way with `switchboard_task_id`.
 *
 * Batches (used by the sync outbox through `upsertPeople` / `logActivities`): 100 contacts per
 * `batch/upsert`, 100 communications per `batch/create`. A batch that fails as a whole for one
 * bad input is retried input by input so that only that input fails; a batch refused for a
 * conflict (some messages were logged by an earlier attempt) reads the existing ones by key and
 * creates the rest.
 *
 * Rate limits: every call waits for a token of the portal's burst bucket, search calls also for
 * one of the search bucket (see hubspot-rate-limit.ts). HubSpot answers are translated by
 * hubspot-errors.ts; retrying is the outbox's job.
 */
import type { Clock } from '../../../../platform/clock.js';
import type { RateLimiter } from '../../../outbound/index.js';
import type { CrmActivityInput, CrmChange, CrmConnector, CrmPage, CrmPerson, CrmPersonInput } from '../../crm-connector.js';
import { CrmError } from '../../crm-error.js';
import { CrmHttpClient, type CrmRequest } from '../../crm-http.client.js';
import { isConflict, translateHubspotError } from './hubspot-errors.js';
import {
  assertKey,
  communicationInput,
  contactProperties,
  hubspotMs,
  isRecordId,
  KEY_PROPERTY,
  MESSAGE_KEY_PROPERTY,
  personProperties,
  recordUrl,
  TASK_KEY_PROPERTY,
  taskInput,
  toPerson,
  type HubspotObject,
} from './hubspot-mapping.js';
import { burstBucket, HUBSPOT_TIERS, rateLimitKey, searchBucket, searchLimiter, type HubspotRateLimit } from './hubspot-rate-limit.js';
import { contactEvents, verifyV3 } from './hubspot-webhook.js';

export const HUBSPOT_API_URL = 'https://api.hubapi.com';

export type HubspotConnectorOptions = {
  /** Default `https://api.hubapi.com` (HUBSPOT_BASE_URL points it at the fake in tests). */
  baseUrl?: string;
  /** The private app's access token (HUBSPOT_ACCESS_TOKEN). */
  accessToken: string;
  limiter: RateLimiter;
  clock: Clock;
  /** The portal's tier limit; default Free/Starter (100 requests per rolling 10 s, search 5/s). */
  rateLimit?: HubspotRateLimit;
  /** The portal (hub) id: record URLs, and the rate-limit bucket key shared by every process of the portal. */
  portalId?: string;
  /** The app's client secret, to verify webhook signatures (v3). Without it `parseWebhook` is absent. */
  webhookSecret?: string;
  /** The public URL HubSpot posts webhooks to, exactly as configured in the app (it is part of the signature). */
  webhookUrl?: string;
  /** Contact properties to read into `CrmPerson.fields` (the mapped fields); properties written through `fields` are added. */
  fieldProperties?: string[];
  /** Where a person's WhatsApp number is written: `mobilephone` (default) or `phone`. Both are read and searched. */
  phoneProperty?: 'mobilephone' | 'phone';
  /**
   * `pollChanges` reports only changes older than this (default 30 s), so that every change it
   * has passed is already in HubSpot's search index: a record indexed late would otherwise fall
   * behind the cursor and never be reported. Webhooks are the low-latency path.
   */
  pollSettleMs?: number;
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
};

export type UpsertPeopleResult =
  | { switchboardKey: string; ok: true; crmId: string; created: boolean; url: string | null }
  | { switchboardKey: string; ok: false; error: CrmError };

export type LogActivitiesResult = { idempotencyKey: string; ok: true; activityId: string } | { idempotencyKey: string; ok: false; error: CrmError };

export interface HubspotConnector extends CrmConnector {
  readonly kind: 'hubspot';
  /**
   * Upserts many people on their keys, 100 per request. One result per input, in input order
   * (inputs repeating a key are merged, later properties winning, and share one result). Throws
   * only for what fails the whole call (rate limit, outage, credentials, portal set-up).
   */
  upsertPeople(inputs: CrmPersonInput[]): Promise<UpsertPeopleResult[]>;
  /** Logs many messages, 100 per request, each idempotent on its key. Results and throws as `upsertPeople`. */
  logActivities(inputs: CrmActivityInput[]): Promise<LogActivitiesResult[]>;
  close(): Promise<void>;
}

const BATCH_SIZE = 100;
const SEARCH_PAGE = 100;
const LIST_PAGE = 100;
/** HubSpot's search limit on filter groups per request. */
const MAX_FILTER_GROUPS = 5;
const MAX_SEARCH_PAGES = 10;

type SearchResponse = { total?: number; results?: HubspotObject[]; paging?: { next?: { after?: string } } };
type BatchResponse = { results?: (HubspotObject & { new?: boolean })[] };

export function createHubspotConnector(options: HubspotConnectorOptions): HubspotConnector {
  if (typeof options.accessToken !== 'string' || options.accessToken.trim() === '') {
    throw new CrmError('CRM_MISCONFIGURED', 'The HubSpot connector needs an access token (HUBSPOT_ACCESS_TOKEN).');
  }
  if (options.webhookSecret && !options.webhookUrl) {
    throw new CrmError('CRM_MISCONFIGURED', 'Verifying HubSpot webhooks needs the public webhook URL as well as the secret.');
  }
  const { clock, portalId } = options;
  const phoneProperty = options.phoneProperty ?? 'mobilephone';
  const settleMs = options.pollSettleMs ?? 30_000;
  const limit = options.rateLimit ?? HUBSPOT_TIERS.freeStarter;
  const key = rateLimitKey(portalId, options.accessToken);
  const burst = { key: `${key}:burst`, ...burstBucket(limit) };
  const credentials = { header: async () => ({ authorization: `Bearer ${options.accessToken}` }) };
  const common = {
    baseUrl: options.baseUrl ?? HUBSPOT_API_URL,
    credentials,
    rateLimit: burst,
    translateError: translateHubspotError,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
  };
  const http = new CrmHttpClient({ ...common, limiter: options.limiter });
  const searchHttp = new CrmHttpClient({ ...common, limiter: searchLimiter(options.limiter, { key: `${key}:search`, config: searchBucket(limit) }) });

  const fieldNames = new Set(options.fieldProperties ?? []);
  const properties = () => contactProperties(fieldNames);
  const person = (object: HubspotObject) => toPerson(object, portalId);

  async function send<T>(req: CrmRequest): Promise<{ status: number; body: T }> {
    const res = await http.send(req);
    return { status: res.status, body: res.body as T };
  }

  async function search(type: string, body: Record<string, unknown>): Promise<SearchResponse> {
    const res = await searchHttp.send({ method: 'POST', path: `/crm/v3/objects/${type}/search`, json: body });
    return (res.body ?? {}) as SearchResponse;
  }

  /** Every contact matching any of the filter groups, split into requests of at most 5 groups. */
  async function searchContacts(groups: unknown[]): Promise<CrmPerson[]> {
    const found = new Map<string, CrmPerson>();
    for (let i = 0; i < groups.length; i += MAX_FILTER_GROUPS) {
      let after: string | undefined;
      for (let page = 0; page < MAX_SEARCH_PAGES; page++) {
        const res = await search('contacts', { filterGroups: groups.slice(i, i + MAX_FILTER_GROUPS), properties: properties(), limit: SEARCH_PAGE, ...(after ? { after } : {}) });
        for (const object of res.results ?? []) if (!found.has(object.id)) found.set(object.id, person(object));
        after = res.paging?.next?.after;
        if (!after) break;
      }
    }
    return [...found.values()];
  }

  async function getContact(crmId: string): Promise<CrmPerson | null> {
    if (!isRecordId(crmId)) return null;
    const res = await send<HubspotObject>({ method: 'GET', path: `/crm/v3/objects/contacts/${crmId}`, query: { properties: properties().join(',') }, accept: [404] });
    return res.status === 404 ? null : person(res.body);
  }

  /** Reads records of `type` by a unique property (no search: no index lag); key → record id. */
  async function readByUnique(type: string, property: string, keys: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < keys.length; i += BATCH_SIZE) {
      const res = await send<BatchResponse>({
        method: 'POST',
        path: `/crm/v3/objects/${type}/batch/read`,
        json: { idProperty: property, inputs: keys.slice(i, i + BATCH_SIZE).map((id) => ({ id })), properties: [property] },
        accept: [207],
      });
      for (const object of res.body?.results ?? []) {
        const value = object.properties?.[property];
        if (value) out.set(value, object.id);
      }
    }
    return out;
  }

  /** Creates one engagement idempotently: a 409 on its unique key means an earlier attempt created it. */
  async function createOnce(type: 'communications' | 'tasks', keyProperty: string, key: string, body: unknown): Promise<string> {
    try {
      const res = await send<HubspotObject>({ method: 'POST', path: `/crm/v3/objects/${type}`, json: body });
      return res.body.id;
    } catch (error) {
      if (!isConflict(error)) throw error;
      const existing = (await readByUnique(type, keyProperty, [key])).get(key);
      if (existing) return existing;
      throw error;
    }
  }

  async function upsertBatch(inputs: { key: string; props: Record<string, string> }[]): Promise<Map<string, { crmId: string; created: boolean }>> {
    const res = await send<BatchResponse>({
      method: 'POST',
      path: '/crm/v3/objects/contacts/batch/upsert',
      json: { inputs: inputs.map((i) => ({ idProperty: KEY_PROPERTY, id: i.key, properties: i.props })) },
    });
    const out = new Map<string, { crmId: string; created: boolean }>();
    const results = res.body?.results ?? [];
    for (const object of results) {
      const k = object.properties?.[KEY_PROPERTY];
      if (k) out.set(k, { crmId: object.id, created: object.new === true });
    }
    // HubSpot does not promise to echo the idProperty; a lone input needs no matching.
    const only = inputs[0];
    if (inputs.length === 1 && only && results.length === 1 && results[0] && !out.has(only.key)) out.set(only.key, { crmId: results[0].id, created: results[0].new === true });
    const unmatched = inputs.filter((i) => !out.has(i.key)).map((i) => i.key);
    if (unmatched.length > 0) for (const [k, crmId] of await readByUnique('contacts', KEY_PROPERTY, unmatched)) out.set(k, { crmId, created: false });
    return out;
  }

  const wholeCallFailure = (error: unknown) => !(error instanceof CrmError) || error.code === 'CRM_RATE_LIMITED' || error.code === 'CRM_UNAVAILABLE' || error.code === 'CRM_UNAUTHORIZED' || error.code === 'CRM_MISCONFIGURED';

  async function upsertPeople(inputs: CrmPersonInput[]): Promise<UpsertPeopleResult[]> {
    const byKey = new Map<string, { props: Record<string, string> } | { error: CrmError }>();
    for (const input of inputs) {
      const k = String(input.switchboardKey);
      const previous = byKey.get(k);
      try {
        const props = personProperties(input, phoneProperty);
        rememberFields(input);
        byKey.set(k, previous && 'props' in previous ? { props: { ...previous.props, ...props } } : { props });
      } catch (error) {
        if (!(error instanceof CrmError)) throw error;
        byKey.set(k, { error });
      }
    }
    const done = new Map<string, UpsertPeopleResult>();
    const pending = [...byKey].flatMap(([k, v]) => {
      if ('error' in v) {
        done.set(k, { switchboardKey: k, ok: false, error: v.error });
        return [];
      }
      return [{ key: k, props: v.props }];
    });
    for (let i = 0; i < pending.length; i += BATCH_SIZE) {
      const chunk = pending.slice(i, i + BATCH_SIZE);
      try {
        const results = await upsertBatch(chunk);
        for (const item of chunk) {
          const r = results.get(item.key);
          done.set(item.key, r ? { switchboardKey: item.key, ok: true, ...r, url: recordUrl(portalId, r.crmId) } : { switchboardKey: item.key, ok: false, error: new CrmError('CRM_UNAVAILABLE', 'HubSpot did not answer for this person.') });
        }
      } catch (error) {
        if (wholeCallFailure(error)) throw error;
        const lone = chunk.length === 1 ? chunk[0] : undefined;
        if (lone) {
          done.set(lone.key, { switchboardKey: lone.key, ok: false, error: error as CrmError });
          continue;
        }
        // One input spoiled the batch (an email another contact holds, a value HubSpot refuses): one by one.
        for (const item of chunk) {
          try {
            const r = (await upsertBatch([item])).get(item.key);
            done.set(item.key, r ? { switchboardKey: item.key, ok: true, ...r, url: recordUrl(portalId, r.crmId) } : { switchboardKey: item.key, ok: false, error: new CrmError('CRM_UNAVAILABLE', 'HubSpot did not answer for this person.') });
          } catch (single) {
            if (wholeCallFailure(single)) throw single;
            done.set(item.key, { switchboardKey: item.key, ok: false, error: single as CrmError });
          }
        }
      }
    }
    return inputs.map((input) => done.get(String(input.switchboardKey)) as UpsertPeopleResult);
  }

  async function createCommunications(items: { key: string; body: ReturnType<typeof communicationInput> }[], attempt = 0): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (items.length === 0) return out;
    try {
      const res = await send<BatchResponse>({ method: 'POST', path: '/crm/v3/objects/communications/batch/create', json: { inputs: items.map((i) => i.body) } });
      for (const object of res.body?.results ?? []) {
        const k = object.properties?.[MESSAGE_KEY_PROPERTY];
        if (k) out.set(k, object.id);
      }
      const unmatched = items.filter((i) => !out.has(i.key)).map((i) => i.key);
      if (unmatched.length > 0) for (const [k, id] of await readByUnique('communications', MESSAGE_KEY_PROPERTY, unmatched)) out.set(k, id);
      return out;
    } catch (error) {
      if (!isConflict(error) || attempt >= 2) throw error;
      // Some of these were logged by an earlier attempt: keep those, create the rest.
      const existing = await readByUnique('communications', MESSAGE_KEY_PROPERTY, items.map((i) => i.key));
      const rest = items.filter((i) => !existing.has(i.key));
      const created = await createCommunications(rest, attempt + 1);
      return new Map([...existing, ...created]);
    }
  }

  async function logActivities(inputs: CrmActivityInput[]): Promise<LogActivitiesResult[]> {
    const done = new Map<string, LogActivitiesResult>();
    const pending: { key: string; body: ReturnType<typeof communicationInput> }[] = [];
    const queued = new Set<string>();
    for (const input of inputs) {
      const k = String(input.idempotencyKey);
      if (done.has(k) || queued.has(k)) continue;
      try {
        pending.push({ key: k, body: communicationInput(input) });
        queued.add(k);
      } catch (error) {
        if (!(error instanceof CrmError)) throw error;
        done.set(k, { idempotencyKey: k, ok: false, error });
      }
    }
    for (let i = 0; i < pending.length; i += BATCH_SIZE) {
      const chunk = pending.slice(i, i + BATCH_SIZE);
      try {
        const ids = await createCommunications(chunk);
        for (const item of chunk) {
          const id = ids.get(item.key);
          done.set(item.key, id ? { idempotencyKey: item.key, ok: true, activityId: id } : { idempotencyKey: item.key, ok: false, error: new CrmError('CRM_UNAVAILABLE', 'HubSpot did not answer for this message.') });
        }
      } catch (error) {
        if (wholeCallFailure(error)) throw error;
        // One input spoiled the batch (a contact deleted since, …): one by one, so only it fails.
        for (const item of chunk) {
          try {
            done.set(item.key, { idempotencyKey: item.key, ok: true, activityId: await createOnce('communications', MESSAGE_KEY_PROPERTY, item.key, item.body) });
          } catch (single) {
            if (wholeCallFailure(single)) throw single;
            done.set(item.key, { idempotencyKey: item.key, ok: false, error: single as CrmError });
          }
        }
      }
    }
    return inputs.map((input) => done.get(String(input.idempotencyKey)) as LogActivitiesResult);
  }

  function rememberFields(input: CrmPersonInput): void {
    for (const name of Object.keys(input.fields ?? {})) fieldNames.add(name);
  }

  const connector: HubspotConnector = {
    kind: 'hubspot',

    async findByKey(switchboardKey) {
      assertKey(switchboardKey);
      const res = await send<HubspotObject>({
        method: 'GET',
        path: `/crm/v3/objects/contacts/${encodeURIComponent(switchboardKey)}`,
        query: { idProperty: KEY_PROPERTY, properties: properties().join(',') },
        accept: [404],
      });
      return res.status === 404 ? null : person(res.body);
    },

    async findByPhone(variants) {
      const values = [...new Set(variants.filter((v) => typeof v === 'string').map((v) => v.trim()).filter((v) => v !== ''))];
      if (values.length === 0) return [];
      const groups = values.flatMap((value) => ['phone', 'mobilephone'].map((propertyName) => ({ filters: [{ propertyName, operator: 'EQ', value }] })));
      return searchContacts(groups);
    },

    async findByEmail(email) {
      const value = typeof email === 'string' ? email.trim() : '';
      if (value === '') return [];
      return searchContacts([{ filters: [{ propertyName: 'email', operator: 'EQ', value }] }]);
    },

    getPerson: getContact,

    async upsertPerson(input) {
      const props = personProperties(input, phoneProperty);
      rememberFields(input);
      const result = (await upsertBatch([{ key: input.switchboardKey, props }])).get(input.switchboardKey);
      const read = result ? await getContact(result.crmId) : null;
      if (!read) throw new CrmError('CRM_UNAVAILABLE', 'HubSpot did not return the upserted contact.');
      return read;
    },

    async updatePerson(crmId, input) {
      if (!isRecordId(crmId)) throw new CrmError('CRM_NOT_FOUND', 'HubSpot has no such record.');
      const props = personProperties(input, phoneProperty);
      rememberFields(input);
      await send({ method: 'PATCH', path: `/crm/v3/objects/contacts/${crmId}`, json: { properties: props } });
      const read = await getContact(crmId);
      if (!read) throw new CrmError('CRM_NOT_FOUND', 'HubSpot has no such record.');
      return read;
    },

    async logActivity(input) {
      const body = communicationInput(input);
      return { activityId: await createOnce('communications', MESSAGE_KEY_PROPERTY, input.idempotencyKey, body) };
    },

    async createTask(input) {
      const body = taskInput(input, clock.now());
      return { taskId: await createOnce('tasks', TASK_KEY_PROPERTY, input.idempotencyKey, body) };
    },

    async listPeople(cursor) {
      if (cursor !== null && (typeof cursor !== 'string' || cursor === '')) throw new CrmError('CRM_REJECTED', 'Not a HubSpot paging cursor.');
      const res = await send<{ results?: HubspotObject[]; paging?: { next?: { after?: string } } }>({
        method: 'GET',
        path: '/crm/v3/objects/contacts',
        query: { limit: LIST_PAGE, properties: properties().join(','), after: cursor ?? undefined },
      });
      return { items: (res.body?.results ?? []).map(person), next: res.body?.paging?.next?.after ?? null };
    },

    async pollChanges(cursor) {
      const now = clock.now();
      if (cursor === null) return { items: [], next: encodeCursor({ t: now, ids: [] }) };
      const from = decodeCursor(cursor);
      const upper = now - settleMs;
      if (upper <= from.t) return { items: [], next: cursor };
      const seen = new Set(from.ids);
      const items: CrmChange[] = [];
      let t = from.t;
      let ids = [...from.ids];
      let after: string | undefined;
      for (let page = 0; page < MAX_SEARCH_PAGES; page++) {
        const res = await search('contacts', {
          filterGroups: [{ filters: [{ propertyName: 'lastmodifieddate', operator: 'GTE', value: String(from.t) }, { propertyName: 'lastmodifieddate', operator: 'LTE', value: String(upper) }] }],
          sorts: [{ propertyName: 'lastmodifieddate', direction: 'ASCENDING' }],
          properties: properties(),
          limit: SEARCH_PAGE,
          ...(after ? { after } : {}),
        });
        for (const object of res.results ?? []) {
          const modified = hubspotMs(object.properties?.['lastmodifieddate']) ?? hubspotMs(object.updatedAt);
          if (modified === null || (modified === from.t && seen.has(object.id))) continue;
          const created = hubspotMs(object.properties?.['createdate']) ?? hubspotMs(object.createdAt);
          items.push({ kind: created !== null && created > from.t ? 'person.created' : 'person.updated', person: person(object), occurredAt: modified });
          if (modified > t) {
            t = modified;
            ids = [object.id];
          } else if (modified === t && !ids.includes(object.id)) {
            ids.push(object.id);
          }
        }
        after = res.paging?.next?.after;
        // Pages past the first are read only while everything so far was already reported (many changes in one millisecond).
        if (items.length > 0 || !after) break;
      }
      return { items, next: encodeCursor({ t, ids }) } satisfies CrmPage<CrmChange> & { next: string };
    },

    upsertPeople,
    logActivities,

    async close() {
      await Promise.all([http.close(), searchHttp.close()]);
    },
  };

  if (options.webhookSecret && options.webhookUrl) {
    const secret = options.webhookSecret;
    const url = options.webhookUrl;
    connector.parseWebhook = async (request) => {
      const now = clock.now();
      verifyV3(request, { secret, url, now });
      const events = contactEvents(request.rawBody, now);
      const people = new Map<string, CrmPerson>();
      for (let i = 0; i < events.length; i += BATCH_SIZE) {
        const res = await send<BatchResponse>({
          method: 'POST',
          path: '/crm/v3/objects/contacts/batch/read',
          json: { inputs: events.slice(i, i + BATCH_SIZE).map((e) => ({ id: e.contactId })), properties: properties() },
          accept: [207],
        });
        for (const object of res.body?.results ?? []) people.set(object.id, person(object));
      }
      // A contact deleted since the event has nothing left to report.
      return events.flatMap((e) => {
        const found = people.get(e.contactId);
        return found ? [{ kind: e.created ? ('person.created' as const) : ('person.updated' as const), person: found, occurredAt: e.occurredAt }] : [];
      });
    };
  }

  return connector;
}

type Cursor = { t: number; ids: string[] };

function encodeCursor(cursor: Cursor): string {
  return `v1.${cursor.t}.${cursor.ids.join(',')}`;
}

function decodeCursor(cursor: string): Cursor {
  const match = typeof cursor === 'string' ? /^v1\.(\d{1,15})\.((?:\d{1,20})(?:,\d{1,20})*)?$/.exec(cursor) : null;
  if (!match) throw new CrmError('CRM_REJECTED', 'Not a HubSpot change cursor.');
  return { t: Number(match[1]), ids: match[2] ? match[2].split(',') : [] };
}
