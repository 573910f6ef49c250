import { CrmError, retryAfterMsOf } from '../../index.js';
import { ZohoErrorEnvelope, ZohoWriteResponse, type ZohoWriteResult } from './zoho.schema.js';

type Headers = Record<string, string | string[] | undefined>;

const UNAUTHORIZED = new Set(['INVALID_TOKEN', 'AUTHENTICATION_FAILURE', 'OAUTH_SCOPE_MISMATCH', 'NO_PERMISSION', 'INVALID_OAUTHTOKEN']);
/** Our requests are fixed; these mean the org lacks what README.md asks to set up (a field, a module). */
const MISCONFIGURED = new Set(['INVALID_MODULE', 'INVALID_QUERY', 'FEATURE_NOT_SUPPORTED', 'FEATURE_NOT_ENABLED']);
const RATE_LIMITED = new Set(['TOO_MANY_REQUESTS', 'LIMIT_REACHED', 'API_LIMIT_EXCEEDED']);
/** Fields that point at the record a call is about: an invalid value there means "no such record". */
const RECORD_POINTERS = new Set(['id', 'Who_Id', 'What_Id', 'Parent_Id']);

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * How long to wait after a 429: `Retry-After` when given, else `X-RATELIMIT-RESET`. Zoho's
 * documentation does not pin that header's unit, so an epoch in ms, an epoch in seconds and a
 * number of seconds are all understood.
 */
export function zohoRetryAfterMs(headers: Headers, now: number): number | undefined {
  const fromRetryAfter = retryAfterMsOf(headers);
  if (fromRetryAfter !== undefined) return fromRetryAfter;
  const reset = Number(header(headers, 'x-ratelimit-reset'));
  if (!Number.isFinite(reset) || reset <= 0) return undefined;
  if (reset > 1e12) return Math.max(0, reset - now);
  if (reset > 1e9) return Math.max(0, reset * 1000 - now);
  return reset * 1000;
}

/** Maps one Zoho error (a request-level envelope or a per-record write result) to a CrmError. */
export function zohoErrorOf(httpStatus: number, code: string | undefined, details: Record<string, unknown>, message: string, body: string, retryAfterMs?: number): CrmError {
  const info = { httpStatus, body: body.slice(0, 500), ...(code ? { vendorCode: code } : {}) };
  const text = `Zoho CRM: ${code ?? httpStatus} ${message}`.trim();
  if (httpStatus === 429 || (code && RATE_LIMITED.has(code))) {
    return new CrmError('CRM_RATE_LIMITED', text, { ...info, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
  }
  if (code && UNAUTHORIZED.has(code)) return new CrmError('CRM_UNAUTHORIZED', text, info);
  if (code && MISCONFIGURED.has(code)) return new CrmError('CRM_MISCONFIGURED', text, info);
  if (code === 'INVALID_URL_PATTERN' || code === 'RECORD_NOT_FOUND') return new CrmError('CRM_NOT_FOUND', text, info);
  if (code === 'INVALID_DATA') {
    const apiName = typeof details.api_name === 'string' ? details.api_name : undefined;
    if ((apiName && RECORD_POINTERS.has(apiName)) || (!apiName && details.id !== undefined)) return new CrmError('CRM_NOT_FOUND', text, info);
  }
  if (httpStatus >= 500) return new CrmError('CRM_UNAVAILABLE', text, info);
  if (httpStatus === 401 || httpStatus === 403) return new CrmError('CRM_UNAUTHORIZED', text, info);
  if (httpStatus === 404) return new CrmError('CRM_NOT_FOUND', text, info);
  // MANDATORY_NOT_FOUND, INVALID_DATA, DUPLICATE_DATA, SYNTAX_ERROR, REQUIRED_PARAM_MISSING, …
  return new CrmError('CRM_REJECTED', text, info);
}

/** `translateError` for CrmHttpClient: Zoho's envelope, or the first per-record error of a write. */
export function translateZohoError(clock: { now(): number }) {
  return (httpStatus: number, body: string, headers: Headers): CrmError => {
    const retryAfterMs = zohoRetryAfterMs(headers, clock.now());
    let json: unknown = null;
    try {
      json = JSON.parse(body);
    } catch {
      json = null;
    }
    const envelope = ZohoErrorEnvelope.safeParse(json);
    if (envelope.success) {
      return zohoErrorOf(httpStatus, envelope.data.code, envelope.data.details ?? {}, envelope.data.message ?? '', body, retryAfterMs);
    }
    const write = ZohoWriteResponse.safeParse(json);
    const failed = write.success ? write.data.data.find((r) => r.status === 'error') : undefined;
    if (failed) return zohoErrorOf(httpStatus, failed.code, failed.details ?? {}, failed.message ?? '', body, retryAfterMs);
    return zohoErrorOf(httpStatus, undefined, {}, `HTTP ${httpStatus}`, body, retryAfterMs);
  };
}

/** A per-record error inside a 2xx/207 write answer. */
export function zohoResultError(httpStatus: number, result: ZohoWriteResult): CrmError {
  return zohoErrorOf(httpStatus >= 200 && httpStatus < 300 ? 400 : httpStatus, result.code, result.details ?? {}, result.message ?? '', JSON.stringify(result));
}
