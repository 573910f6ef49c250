import { CrmError, retryAfterMsOf } from '../../index.js';
import { PipedriveErrorBody } from './pipedrive.schema.js';

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `Retry-After` when given, else `x-ratelimit-reset` (seconds left in Pipedrive's 2-second window). */
export function pipedriveRetryAfterMs(headers: Headers): number | undefined {
  const fromRetryAfter = retryAfterMsOf(headers);
  if (fromRetryAfter !== undefined) return fromRetryAfter;
  const reset = Number(header(headers, 'x-ratelimit-reset'));
  return Number.isFinite(reset) && reset >= 0 && header(headers, 'x-ratelimit-reset') !== undefined ? reset * 1000 : undefined;
}

/** `translateError` for CrmHttpClient: Pipedrive's `{success:false, error, error_info}` by status. */
export function translatePipedriveError(httpStatus: number, body: string, headers: Headers): CrmError {
  let json: unknown = null;
  try {
    json = JSON.parse(body);
  } catch {
    json = null;
  }
  const parsed = PipedriveErrorBody.safeParse(json);
  const error = parsed.success ? parsed.data : {};
  const vendorCode = error.code !== undefined ? String(error.code) : error.errorCode !== undefined ? String(error.errorCode) : undefined;
  const info = { httpStatus, body: body.slice(0, 500), ...(vendorCode ? { vendorCode } : {}) };
  const text = `Pipedrive: ${error.error ?? `HTTP ${httpStatus}`}`;
  if (httpStatus === 429) {
    const retryAfterMs = pipedriveRetryAfterMs(headers);
    return new CrmError('CRM_RATE_LIMITED', text, { ...info, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
  }
  if (httpStatus === 401 || httpStatus === 403) return new CrmError('CRM_UNAUTHORIZED', text, info);
  // 402: the company's plan lacks the feature (an admin's matter, not a retry's).
  if (httpStatus === 402) return new CrmError('CRM_MISCONFIGURED', text, info);
  if (httpStatus === 404 || httpStatus === 410) return new CrmError('CRM_NOT_FOUND', text, info);
  if (httpStatus >= 500) return new CrmError('CRM_UNAVAILABLE', text, info);
  return new CrmError('CRM_REJECTED', text, info);
}
