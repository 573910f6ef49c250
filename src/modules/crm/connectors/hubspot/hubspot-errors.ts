/**
 * HubSpot's error answers → CrmError. HubSpot's body is `{status:"error", message, correlationId,
 * category, errors?:[{code,…}], policyName?}`; its 429s carry no Retry-After but name the policy
 * that refused (TEN_SECONDLY_ROLLING, SECONDLY for search, DAILY) and the window in
 * `X-HubSpot-RateLimit-Interval-Milliseconds`.
 */
import { CrmError } from '../../crm-error.js';
import { retryAfterMsOf } from '../../crm-http.client.js';

type Headers = Record<string, string | string[] | undefined>;
type HubspotErrorBody = { message?: unknown; category?: unknown; errorType?: unknown; policyName?: unknown; errors?: unknown; correlationId?: unknown };

/** How long a DAILY refusal waits before trying again (the day resets at midnight in the portal's time zone, which we do not know). */
export const DAILY_LIMIT_RETRY_MS = 15 * 60_000;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parse(text: string): HubspotErrorBody {
  try {
    const body: unknown = JSON.parse(text);
    return body && typeof body === 'object' ? (body as HubspotErrorBody) : {};
  } catch {
    return {};
  }
}

function errorCodes(body: HubspotErrorBody): string[] {
  if (!Array.isArray(body.errors)) return [];
  return body.errors.map((e: { code?: unknown }) => (typeof e?.code === 'string' ? e.code : '')).filter((c) => c !== '');
}

export function translateHubspotError(httpStatus: number, text: string, headers: Headers): CrmError {
  const body = parse(text);
  const short = text.slice(0, 500);
  const category = typeof body.category === 'string' ? body.category : typeof body.errorType === 'string' ? body.errorType : undefined;
  const policy = typeof body.policyName === 'string' ? body.policyName : undefined;
  const vendorCode = policy ? `${category ?? 'RATE_LIMITS'}:${policy}` : category;
  const details = { httpStatus, body: short, ...(vendorCode ? { vendorCode } : {}) };

  if (httpStatus === 429) {
    const interval = Number(header(headers, 'x-hubspot-ratelimit-interval-milliseconds'));
    const retryAfterMs =
      retryAfterMsOf(headers) ??
      (policy === 'DAILY' ? DAILY_LIMIT_RETRY_MS : policy === 'SECONDLY' ? 1000 : Number.isFinite(interval) && interval > 0 ? interval : 10_000);
    return new CrmError('CRM_RATE_LIMITED', `HubSpot refused the request: ${policy ?? 'rate'} limit reached.`, { ...details, retryAfterMs });
  }
  if (httpStatus === 401) return new CrmError('CRM_UNAUTHORIZED', 'HubSpot refused the access token (check HUBSPOT_ACCESS_TOKEN).', details);
  if (httpStatus === 403) {
    return new CrmError('CRM_UNAUTHORIZED', 'HubSpot refused the request: the private app lacks a scope (crm.objects.contacts.read/write).', details);
  }
  if (httpStatus === 404) return new CrmError('CRM_NOT_FOUND', 'HubSpot has no such record.', details);
  // 423 LOCKED: HubSpot locks a record while another write to it is in flight; retrying succeeds.
  if (httpStatus === 423) return new CrmError('CRM_UNAVAILABLE', 'HubSpot locked the record for a concurrent write.', { ...details, retryAfterMs: 2000 });
  if (httpStatus >= 500) return new CrmError('CRM_UNAVAILABLE', `HubSpot answered ${httpStatus}.`, details);

  const message = typeof body.message === 'string' ? body.message : '';
  const codes = errorCodes(body);
  if (codes.includes('PROPERTY_DOESNT_EXIST') || /property .*does not exist/i.test(message) || (/idProperty/i.test(message) && /unique/i.test(message))) {
    return new CrmError(
      'CRM_MISCONFIGURED',
      'HubSpot lacks a property Switchboard writes (create switchboard_id, switchboard_tags, switchboard_message_id and switchboard_task_id as described in the HubSpot connector README).',
      details,
    );
  }
  if (httpStatus === 409) return new CrmError('CRM_REJECTED', 'HubSpot refused a duplicate of a unique value.', { ...details, vendorCode: category ?? 'CONFLICT' });
  return new CrmError('CRM_REJECTED', `HubSpot rejected the request (${httpStatus}${category ? ` ${category}` : ''}).`, details);
}

/** A conflict on a unique property: the record we meant to create exists already. */
export function isConflict(error: unknown): boolean {
  return error instanceof CrmError && error.code === 'CRM_REJECTED' && error.details.httpStatus === 409;
}
