/**
 * The errors a connector raises, with stable codes. Adapters translate vendor responses into
 * these (status codes, Salesforce's `REQUEST_LIMIT_EXCEEDED`, Zoho's `INVALID_TOKEN`, …); the
 * sync outbox decides from `retryable` and `retryAfterMs` whether to wait, retry or dead-letter.
 */
export type CrmErrorCode =
  | 'CRM_RATE_LIMITED'
  | 'CRM_UNAVAILABLE'
  | 'CRM_UNAUTHORIZED'
  | 'CRM_NOT_FOUND'
  | 'CRM_REJECTED'
  | 'CRM_MISCONFIGURED';

const RETRYABLE: Record<CrmErrorCode, boolean> = {
  CRM_RATE_LIMITED: true,
  CRM_UNAVAILABLE: true,
  CRM_UNAUTHORIZED: false,
  CRM_NOT_FOUND: false,
  CRM_REJECTED: false,
  CRM_MISCONFIGURED: false,
};

export class CrmError extends Error {
  override readonly name = 'CrmError';
  readonly retryable: boolean;

  constructor(
    readonly code: CrmErrorCode,
    message: string,
    readonly details: { httpStatus?: number; retryAfterMs?: number; vendorCode?: string; body?: string } = {},
  ) {
    super(message);
    this.retryable = RETRYABLE[code];
  }
}

/** The usual mapping of an HTTP answer; vendors refine it where their API differs. */
export function crmErrorFromStatus(httpStatus: number, body: string, retryAfterMs?: number): CrmError {
  const short = body.slice(0, 500);
  if (httpStatus === 429) return new CrmError('CRM_RATE_LIMITED', 'The CRM asked us to slow down.', { httpStatus, body: short, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
  if (httpStatus === 401 || httpStatus === 403) return new CrmError('CRM_UNAUTHORIZED', 'The CRM refused our credentials.', { httpStatus, body: short });
  if (httpStatus === 404) return new CrmError('CRM_NOT_FOUND', 'The CRM has no such record.', { httpStatus, body: short });
  if (httpStatus >= 500) return new CrmError('CRM_UNAVAILABLE', `The CRM answered ${httpStatus}.`, { httpStatus, body: short });
  return new CrmError('CRM_REJECTED', `The CRM rejected the request (${httpStatus}).`, { httpStatus, body: short });
}
