/**
 * HubSpot webhooks: the v3 request signature and the event list.
 *
 * Signature v3 (HubSpot "Validating requests"): `X-HubSpot-Signature-v3` is the base64 HMAC-SHA256,
 * keyed with the app's client secret, of `method + uri + body + timestamp`, where `timestamp` is
 * the `X-HubSpot-Request-Timestamp` header (epoch ms) and `uri` the full URL HubSpot called, with
 * a few percent-encoded characters decoded. Requests whose timestamp is more than 5 minutes away
 * from now are refused (replays).
 *
 * Events: a JSON array of `{eventId, subscriptionId, portalId, occurredAt, subscriptionType,
 * objectId, propertyName?, propertyValue?, changeSource, …}`; contact events are
 * `contact.creation`, `contact.propertyChange`, `contact.restore`, `contact.merge` (and
 * `object.*` with `objectTypeId: "0-1"` for apps on the newer platform).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { CrmError } from '../../crm-error.js';

export const SIGNATURE_HEADER = 'x-hubspot-signature-v3';
export const TIMESTAMP_HEADER = 'x-hubspot-request-timestamp';
export const MAX_WEBHOOK_AGE_MS = 5 * 60_000;

/** The characters HubSpot decodes in the URI before signing. */
const DECODED: Record<string, string> = {
  '%3A': ':', '%2F': '/', '%3F': '?', '%40': '@', '%21': '!', '%24': '$', '%27': "'", '%28': '(', '%29': ')', '%2A': '*', '%2C': ',', '%3B': ';',
};

export function signatureUri(uri: string): string {
  return uri.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (m) => DECODED[m.toUpperCase()] ?? m);
}

export function signV3(secret: string, method: string, uri: string, rawBody: Buffer | string, timestamp: string): string {
  const body = typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
  return createHmac('sha256', secret).update(`${method}${signatureUri(uri)}${body}${timestamp}`, 'utf8').digest('base64');
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name] ?? headers[Object.keys(headers).find((k) => k.toLowerCase() === name) ?? ''];
  return Array.isArray(value) ? value[0] : value;
}

const refused = (message: string) => new CrmError('CRM_UNAUTHORIZED', message, { vendorCode: 'WEBHOOK_SIGNATURE' });

export function verifyV3(
  request: { headers: Record<string, string | string[] | undefined>; rawBody: Buffer },
  options: { secret: string; url: string; method?: string; now: number },
): void {
  const signature = header(request.headers, SIGNATURE_HEADER);
  const timestamp = header(request.headers, TIMESTAMP_HEADER);
  if (!signature || !timestamp) throw refused('The HubSpot webhook has no v3 signature.');
  const at = Number(timestamp);
  if (!/^\d+$/.test(timestamp) || Math.abs(options.now - at) > MAX_WEBHOOK_AGE_MS) throw refused('The HubSpot webhook is older than 5 minutes (or from the future).');
  const expected = Buffer.from(signV3(options.secret, options.method ?? 'POST', options.url, request.rawBody, timestamp));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw refused('The HubSpot webhook signature does not match.');
}

export type HubspotWebhookEvent = {
  subscriptionType: string;
  objectId: number | string;
  objectTypeId?: string;
  occurredAt?: number;
  propertyName?: string;
  changeSource?: string;
};

export type ContactEvent = { contactId: string; created: boolean; occurredAt: number };

/** The contact events of a webhook body, one per contact (its latest time; created if any event created it). */
export function contactEvents(rawBody: Buffer, now: number): ContactEvent[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new CrmError('CRM_REJECTED', 'The HubSpot webhook body is not JSON.');
  }
  if (!Array.isArray(parsed)) throw new CrmError('CRM_REJECTED', 'The HubSpot webhook body is not an event array.');
  const byContact = new Map<string, ContactEvent>();
  for (const raw of parsed as HubspotWebhookEvent[]) {
    if (!raw || typeof raw !== 'object' || typeof raw.subscriptionType !== 'string') continue;
    const [object, action] = raw.subscriptionType.split('.');
    const isContact = object === 'contact' || (object === 'object' && raw.objectTypeId === '0-1');
    if (!isContact || !action || !['creation', 'propertyChange', 'restore', 'merge'].includes(action)) continue;
    const id = String(raw.objectId ?? '');
    if (!/^\d{1,20}$/.test(id)) continue;
    const occurredAt = typeof raw.occurredAt === 'number' && Number.isFinite(raw.occurredAt) ? raw.occurredAt : now;
    const seen = byContact.get(id);
    byContact.set(id, {
      contactId: id,
      created: (seen?.created ?? false) || action === 'creation',
      occurredAt: Math.max(seen?.occurredAt ?? 0, occurredAt),
    });
  }
  return [...byContact.values()];
}
