import type { KeyObject } from 'node:crypto';
import type { Clock } from '../../../../platform/clock.js';
import type { RateLimiter } from '../../../outbound/index.js';
import type { CrmActivityInput, CrmChange, CrmConnector, CrmPerson, CrmPersonInput, CrmTaskInput } from '../../crm-connector.js';
import { CrmError } from '../../crm-error.js';
import { CrmHttpClient, type CrmRequest, type CrmResponse } from '../../crm-http.client.js';
import { JwtBearerSession } from './jwt-bearer.credentials.js';
import { salesforceErrors, translateSalesforceError } from './salesforce-error.js';
import { isApiName, isRecordId, parseSalesforceDateTime, salesforceDate, soqlDateTime, soqlString, soslFindAny } from './salesforce-query.js';
import {
  CONTACT_FIELDS,
  contactBody,
  externalIdSegment,
  KEY_FIELD,
  MESSAGE_ID_FIELD,
  placeholderLastName,
  TASK_ID_FIELD,
  toPerson,
  type RecordMapping,
  type SalesforceRecord,
} from './salesforce-record.js';

export type SalesforceConnectorOptions = {
  /** `https://login.salesforce.com`, `https://test.salesforce.com` (sandboxes) or the org's My Domain URL. */
  loginUrl: string;
  /** The connected app's consumer key. */
  clientId: string;
  /** The integration user the connected app is pre-authorised for. */
  username: string;
  /** The private key of the certificate uploaded to the connected app (PEM or KeyObject). */
  privateKey: string | KeyObject;
  limiter: RateLimiter;
  clock: Clock;
  /** REST API version. Default `v62.0`. */
  apiVersion?: string;
  /** The JWT `aud`; derived from `loginUrl` when absent (login/test.salesforce.com for Salesforce hosts). */
  audience?: string;
  /** Contact fields read into `CrmPerson.fields` besides every custom (`__c`) field a record read returns. */
  readFields?: string[];
  /** Where `CrmPersonInput.phone` is written. Default `MobilePhone` (WhatsApp numbers are mobiles). */
  phoneField?: 'MobilePhone' | 'Phone';
  /** The Task status of a logged message. Default `Completed`. */
  completedStatus?: string;
  /**
   * pollChanges leaves records changed in the last `pollHoldBackMs` (by Salesforce's clock) for the
   * next poll: SystemModstamp has one-second precision and a transaction's rows become visible only
   * when it commits, so the newest second is not final yet. Default 2000; 0 turns it off.
   */
  pollHoldBackMs?: number;
  /** Our own pace towards the org. Salesforce documents no per-second limit, only a rolling daily allocation. */
  rateLimit?: { capacity: number; refillPerSecond: number };
  timeoutMs?: number;
};

export type SalesforceConnector = CrmConnector & {
  /** The org's API usage as the last answer's `Sforce-Limit-Info` reported it; null before the first call. */
  apiUsage(): { used: number; limit: number } | null;
  close(): Promise<void>;
};

/** Rows per pollChanges call; a full page means the caller should poll again at once. */
const POLL_LIMIT = 200;
/** At most this many records per phone or email lookup. */
const FIND_LIMIT = 100;
const DESCRIPTION_MAX = 32_000;
const SUBJECT_MAX = 255;
const POLL_CURSOR = /^sfpoll1:(\d+):([A-Za-z0-9]{0,18})$/;
const LIST_CURSOR = /^sflist1:([A-Za-z0-9]{15,18}):(\/services\/data\/v\d+\.\d\/query\/[A-Za-z0-9-]+)$/;

export function createSalesforceConnector(options: SalesforceConnectorOptions): SalesforceConnector {
  const apiVersion = options.apiVersion ?? 'v62.0';
  if (!/^v\d+\.\d$/.test(apiVersion)) throw new CrmError('CRM_MISCONFIGURED', `"${apiVersion}" is not a Salesforce API version (v62.0).`);
  const readFields = [...new Set(options.readFields ?? [])];
  for (const name of readFields) if (!isApiName(name)) throw new CrmError('CRM_MISCONFIGURED', `"${name}" is not a Salesforce field API name.`);
  const selectList = [...new Set([...CONTACT_FIELDS, ...readFields])].join(', ');
  const phoneField = options.phoneField ?? 'MobilePhone';
  const completedStatus = options.completedStatus ?? 'Completed';
  const holdBackMs = options.pollHoldBackMs ?? 2_000;
  const base = `/services/data/${apiVersion}`;

  const session = new JwtBearerSession(options);
  let rest: { instanceUrl: string; client: CrmHttpClient } | undefined;
  let usage: { used: number; limit: number } | null = null;

  function clientFor(instanceUrl: string): CrmHttpClient {
    if (rest?.instanceUrl === instanceUrl) return rest.client;
    const previous = rest?.client;
    const client = new CrmHttpClient({
      baseUrl: instanceUrl,
      credentials: {
        header: async () => ({ authorization: `Bearer ${(await session.session()).accessToken}` }),
        // CrmHttpClient calls this once after a 401 (INVALID_SESSION_ID): the session expired or was revoked.
        refresh: async () => {
          await session.renew();
        },
      },
      rateLimit: { key: `salesforce:${options.clientId}:${options.username}`, ...(options.rateLimit ?? { capacity: 25, refillPerSecond: 10 }) },
      limiter: options.limiter,
      timeoutMs: options.timeoutMs,
      translateError: (status, body) => translateSalesforceError(status, body),
    });
    rest = { instanceUrl, client };
    // An org moved to another instance: requests still on the old pool finish before it closes.
    void previous?.close();
    return client;
  }

  async function send(req: CrmRequest): Promise<CrmResponse> {
    const { instanceUrl } = await session.session();
    const res = await clientFor(instanceUrl).send(req);
    const info = res.headers['sforce-limit-info'];
    const match = /api-usage=(\d+)\/(\d+)/.exec(Array.isArray(info) ? info.join(',') : (info ?? ''));
    if (match) usage = { used: Number(match[1]), limit: Number(match[2]) };
    return res;
  }

  async function mapping(): Promise<RecordMapping> {
    return { instanceUrl: (await session.session()).instanceUrl, readFields, phoneField };
  }

  const rejection = (res: CrmResponse) => translateSalesforceError(res.status, JSON.stringify(res.body));

  type QueryResult = { done: boolean; records: SalesforceRecord[]; nextRecordsUrl: string | null; serverNow: number };

  function queryResult(res: CrmResponse): QueryResult {
    const body = (res.body ?? {}) as Record<string, unknown>;
    const date = res.headers['date'];
    const serverNow = Date.parse(Array.isArray(date) ? (date[0] ?? '') : (date ?? ''));
    return {
      done: body['done'] !== false,
      records: Array.isArray(body['records']) ? (body['records'] as SalesforceRecord[]) : [],
      nextRecordsUrl: typeof body['nextRecordsUrl'] === 'string' ? body['nextRecordsUrl'] : null,
      serverNow: Number.isNaN(serverNow) ? options.clock.now() : serverNow,
    };
  }

  async function query(soql: string): Promise<QueryResult> {
    return queryResult(await send({ method: 'GET', path: `${base}/query`, query: { q: soql } }));
  }

  async function readContact(path: string): Promise<CrmPerson | null> {
    const res = await send({ method: 'GET', path, accept: [404] });
    if (res.status === 404) {
      // "No such record" is an answer; "no such external id field" is a setup problem.
      const notFound = rejection(res);
      if (notFound.code !== 'CRM_NOT_FOUND') throw notFound;
      return null;
    }
    return toPerson(res.body as SalesforceRecord, await mapping());
  }

  const contactById = (crmId: string) => readContact(`${base}/sobjects/Contact/${crmId}`);

  /** PATCH …/{Object}/{externalIdField}/{value}: 201 created, 200 (v46+) or 204 (before) updated. */
  async function upsertByExternalId(object: string, field: string, segment: string, body: Record<string, unknown>): Promise<CrmResponse> {
    return send({ method: 'PATCH', path: `${base}/sobjects/${object}/${field}/${segment}`, json: body, accept: [400] });
  }

  const idOf = (res: CrmResponse): string | null => {
    const id = (res.body as Record<string, unknown> | null)?.['id'];
    return typeof id === 'string' ? id : null;
  };

  async function upsertPerson(input: CrmPersonInput): Promise<CrmPerson> {
    const segment = externalIdSegment(input.switchboardKey);
    if (segment === null) throw new CrmError('CRM_REJECTED', 'The Switchboard key cannot be used as a Salesforce external id.');
    const map = await mapping();
    let body = contactBody(input, map);
    let res: CrmResponse | undefined;
    // At most: one retry with a LastName (a create needs one), one after losing a create race.
    for (let attempt = 0; attempt < 3; attempt++) {
      res = await upsertByExternalId('Contact', KEY_FIELD, segment, body);
      if (res.status !== 400) break;
      const errors = salesforceErrors(res.body);
      if (errors.some((e) => e.errorCode === 'REQUIRED_FIELD_MISSING' && e.fields.includes('LastName')) && body['LastName'] === undefined) {
        body = { ...body, ...placeholderLastName(body, input) };
        continue;
      }
      // Two upserts of a new key at once: the unique index lets one create; the other now updates.
      if (errors.some((e) => e.errorCode === 'DUPLICATE_VALUE')) continue;
      throw rejection(res);
    }
    if (!res || res.status === 400) throw rejection(res as CrmResponse);
    const id = idOf(res);
    const person = id ? await contactById(id) : await readContact(`${base}/sobjects/Contact/${KEY_FIELD}/${segment}`);
    if (!person) throw new CrmError('CRM_NOT_FOUND', 'The Salesforce Contact was deleted right after it was written.');
    return person;
  }

  async function updatePerson(crmId: string, input: CrmPersonInput): Promise<CrmPerson> {
    if (!isRecordId(crmId)) throw new CrmError('CRM_NOT_FOUND', 'Not a Salesforce record id.');
    if (externalIdSegment(input.switchboardKey) === null) throw new CrmError('CRM_REJECTED', 'The Switchboard key cannot be used as a Salesforce external id.');
    const body = { ...contactBody(input, await mapping()), [KEY_FIELD]: input.switchboardKey };
    await send({ method: 'PATCH', path: `${base}/sobjects/Contact/${crmId}`, json: body });
    const person = await contactById(crmId);
    if (!person) throw new CrmError('CRM_NOT_FOUND', 'The Salesforce Contact no longer exists.');
    return person;
  }

  /**
   * A Task upserted on one of our external ids, so a retried log or task is written once.
   * TaskSubtype can be set on create only: when the Task already exists Salesforce refuses the
   * update with INVALID_FIELD_FOR_INSERT_UPDATE, which tells us it is there; we read its id and
   * leave it as it is (a task the owner already closed is not reopened).
   */
  async function upsertTask(field: string, key: string, body: Record<string, unknown>): Promise<string> {
    const segment = externalIdSegment(key);
    if (segment === null) throw new CrmError('CRM_REJECTED', 'The idempotency key cannot be used as a Salesforce external id.');
    const existing = async (): Promise<string> => {
      const res = await send({ method: 'GET', path: `${base}/sobjects/Task/${field}/${segment}`, query: { fields: 'Id' } });
      const id = (res.body as Record<string, unknown> | null)?.['Id'];
      if (typeof id !== 'string') throw new CrmError('CRM_UNAVAILABLE', 'Salesforce answered a Task read without its Id.');
      return id;
    };
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await upsertByExternalId('Task', field, segment, body);
      if (res.status !== 400) return idOf(res) ?? (await existing());
      const errors = salesforceErrors(res.body);
      if (errors.some((e) => e.errorCode === 'INVALID_FIELD_FOR_INSERT_UPDATE' && (e.fields.includes('TaskSubtype') || e.message.includes('TaskSubtype')))) {
        return existing();
      }
      if (errors.some((e) => e.errorCode === 'DUPLICATE_VALUE') && attempt === 0) continue;
      throw rejection(res);
    }
    return existing();
  }

  async function logActivity(input: CrmActivityInput): Promise<{ activityId: string }> {
    if (!isRecordId(input.crmId)) throw new CrmError('CRM_NOT_FOUND', 'Not a Salesforce record id.');
    const activityId = await upsertTask(MESSAGE_ID_FIELD, input.idempotencyKey, {
      WhoId: input.crmId,
      Subject: `WhatsApp ${input.direction}`,
      Description: input.body.slice(0, DESCRIPTION_MAX),
      Status: completedStatus,
      TaskSubtype: 'Task',
      ActivityDate: salesforceDate(input.occurredAt),
    });
    return { activityId };
  }

  async function createTask(input: CrmTaskInput): Promise<{ taskId: string }> {
    if (!isRecordId(input.crmId)) throw new CrmError('CRM_NOT_FOUND', 'Not a Salesforce record id.');
    const body: Record<string, unknown> = {
      WhoId: input.crmId,
      Subject: input.subject.slice(0, SUBJECT_MAX),
      Description: input.body === null ? null : input.body.slice(0, DESCRIPTION_MAX),
      TaskSubtype: 'Task',
    };
    if (input.dueAt !== null) {
      body['ActivityDate'] = salesforceDate(input.dueAt);
      body['IsReminderSet'] = true;
      body['ReminderDateTime'] = new Date(input.dueAt).toISOString();
    }
    if (input.ownerId) body['OwnerId'] = input.ownerId;
    return { taskId: await upsertTask(TASK_ID_FIELD, input.idempotencyKey, body) };
  }

  async function people(records: SalesforceRecord[]): Promise<CrmPerson[]> {
    const map = await mapping();
    return records.map((r) => toPerson(r, map));
  }

  const connector: SalesforceConnector = {
    kind: 'salesforce',

    async findByKey(switchboardKey) {
      const segment = externalIdSegment(switchboardKey);
      if (segment === null) return null;
      return readContact(`${base}/sobjects/Contact/${KEY_FIELD}/${segment}`);
    },

    async findByPhone(variants) {
      // SOSL's phone index ignores formatting ("(415) 555-0142" matches 4155550142) but lags
      // behind writes; records we wrote are found by key instead.
      const find = soslFindAny(variants);
      if (find === null) return [];
      const res = await send({ method: 'GET', path: `${base}/search/`, query: { q: `${find} IN PHONE FIELDS RETURNING Contact(${selectList} LIMIT ${FIND_LIMIT})` } });
      const body = (res.body ?? {}) as Record<string, unknown>;
      const records = Array.isArray(body['searchRecords']) ? (body['searchRecords'] as SalesforceRecord[]) : [];
      return people(records);
    },

    async findByEmail(email) {
      const value = email.trim();
      if (value === '') return [];
      const result = await query(`SELECT ${selectList} FROM Contact WHERE Email = ${soqlString(value)} ORDER BY CreatedDate, Id LIMIT ${FIND_LIMIT}`);
      return people(result.records);
    },

    async getPerson(crmId) {
      return isRecordId(crmId) ? contactById(crmId) : null;
    },

    upsertPerson,
    updatePerson,
    logActivity,
    createTask,

    async listPeople(cursor) {
      let result: QueryResult;
      if (cursor === null) {
        result = await query(`SELECT ${selectList} FROM Contact ORDER BY Id`);
      } else {
        const match = LIST_CURSOR.exec(cursor);
        if (!match) throw new CrmError('CRM_REJECTED', 'Not a Salesforce listPeople cursor.');
        const [, lastId = '', nextUrl = ''] = match;
        const res = await send({ method: 'GET', path: nextUrl, accept: [400, 404] });
        if (res.status === 200) {
          result = queryResult(res);
        } else if (salesforceErrors(res.body).some((e) => e.errorCode === 'INVALID_QUERY_LOCATOR')) {
          // Query cursors expire after 15 minutes idle: resume from the last id seen (the query is ordered by Id).
          result = await query(`SELECT ${selectList} FROM Contact WHERE Id > ${soqlString(lastId)} ORDER BY Id`);
        } else {
          throw rejection(res);
        }
      }
      const items = await people(result.records);
      const last = items.at(-1)?.crmId;
      const next = !result.done && result.nextRecordsUrl && last ? `sflist1:${last}:${result.nextRecordsUrl}` : null;
      return { items, next };
    },

    async pollChanges(cursor) {
      if (cursor === null) {
        // "From now on": after the newest change Salesforce holds, by its own clock.
        const newest = (await query('SELECT Id, SystemModstamp FROM Contact ORDER BY SystemModstamp DESC, Id DESC LIMIT 1')).records[0];
        const at = newest ? parseSalesforceDateTime(newest['SystemModstamp']) : null;
        return { items: [], next: newest && at !== null ? `sfpoll1:${at}:${newest.Id}` : 'sfpoll1:0:' };
      }
      const match = POLL_CURSOR.exec(cursor);
      if (!match) throw new CrmError('CRM_REJECTED', 'Not a Salesforce pollChanges cursor.');
      const from = { at: Number(match[1]), id: match[2] ?? '' };
      const at = soqlDateTime(from.at);
      // Keyset order (SystemModstamp, Id): rows sharing a second are neither skipped nor repeated.
      const where = from.id === '' ? `SystemModstamp >= ${at}` : `SystemModstamp > ${at} OR (SystemModstamp = ${at} AND Id > ${soqlString(from.id)})`;
      const result = await query(`SELECT ${selectList} FROM Contact WHERE ${where} ORDER BY SystemModstamp, Id LIMIT ${POLL_LIMIT}`);
      const settledBefore = holdBackMs > 0 ? result.serverNow - holdBackMs : Number.POSITIVE_INFINITY;
      const map = await mapping();
      const items: CrmChange[] = [];
      let after = from;
      for (const record of result.records) {
        const modified = parseSalesforceDateTime(record['SystemModstamp']);
        if (modified === null || modified > settledBefore) break;
        const created = parseSalesforceDateTime(record['CreatedDate']) ?? 0;
        const isNew = created > from.at || (created === from.at && (from.id === '' || record.Id > from.id));
        items.push({ kind: isNew ? 'person.created' : 'person.updated', person: toPerson(record, map), occurredAt: modified });
        after = { at: modified, id: record.Id };
      }
      // Held-back rows stay after the cursor and come with the next poll.
      return { items, next: `sfpoll1:${after.at}:${after.id}` };
    },

    apiUsage: () => usage,

    async close() {
      await Promise.all([session.close(), rest?.client.close()]);
    },
  };
  return connector;
}
