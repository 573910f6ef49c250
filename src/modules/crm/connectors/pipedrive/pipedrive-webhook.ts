import { createHash, timingSafeEqual } from 'node:crypto';
import { CrmError } from '../../index.js';
import { pipedriveTime } from './pipedrive-person.js';
import { PipedrivePerson, PipedriveWebhook } from './pipedrive.schema.js';

type Headers = Record<string, string | string[] | undefined>;

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * Pipedrive does not sign webhooks; a webhook carries the HTTP basic-auth credentials set on it
 * (`http_auth_user`/`http_auth_password`). Compared in constant time (over digests, so the
 * length does not leak either); anything else is refused.
 */
export function verifyWebhookCredentials(headers: Headers, user: string, password: string): void {
  const raw = headers.authorization ?? headers.Authorization;
  const value = Array.isArray(raw) ? raw[0] : raw;
  const match = value ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(value) : null;
  const given = match ? Buffer.from(match[1] as string, 'base64').toString('utf8') : '';
  const ok = timingSafeEqual(digest(given), digest(`${user}:${password}`));
  if (!match || !ok) throw new CrmError('CRM_UNAUTHORIZED', 'The Pipedrive webhook did not carry the basic-auth credentials configured for it.');
}

export type WebhookPersonEvent = { kind: 'person.created' | 'person.updated'; person: PipedrivePerson; occurredAt: number };

function timestampOf(value: string | number | undefined): number | null {
  if (typeof value === 'number') return value < 1e12 ? value * 1000 : value;
  return pipedriveTime(value);
}

/**
 * The person event in a webhooks v2 body (`meta.entity = "person"`, `meta.action = "create" |
 * "change"`); other entities, deletions and v1 bodies carry no person change for us.
 */
export function personEventOf(rawBody: Buffer, now: number): WebhookPersonEvent[] {
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new CrmError('CRM_REJECTED', 'The Pipedrive webhook body is not JSON.');
  }
  const parsed = PipedriveWebhook.safeParse(json);
  if (!parsed.success) throw new CrmError('CRM_REJECTED', 'The Pipedrive webhook body is not a webhooks v2 payload ({meta, data, previous}).');
  const { meta, data } = parsed.data;
  if (meta.entity !== 'person' || (meta.action !== 'create' && meta.action !== 'change')) return [];
  const person = PipedrivePerson.safeParse(data);
  if (!person.success) throw new CrmError('CRM_REJECTED', 'The Pipedrive person webhook carries no person data.');
  const occurredAt = timestampOf(meta.timestamp) ?? pipedriveTime(person.data.update_time) ?? now;
  return [{ kind: meta.action === 'create' ? 'person.created' : 'person.updated', person: person.data, occurredAt }];
}
