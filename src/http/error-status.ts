/**
 * The one table from stable error codes to HTTP statuses. A code not listed here is a bug in
 * the caller and answers 500.
 */
const STATUS_BY_CODE: Record<string, number> = {
  VALIDATION_FAILED: 400,
  BODY_INVALID: 400,
  WEBHOOK_BODY_INVALID: 400,
  CONTACT_PHONE_INVALID: 400,
  CONTACT_QUERY_MISSING: 400,
  TIMELINE_CURSOR_INVALID: 400,
  UNAUTHORIZED: 401,
  WEBHOOK_SIGNATURE_INVALID: 401,
  WEBHOOK_VERIFY_TOKEN_INVALID: 403,
  NOT_FOUND: 404,
  CONTACT_NOT_FOUND: 404,
  CONTACT_PHONE_TAKEN: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INTERNAL: 500,
  NOT_READY: 503,
};

export function httpStatusFor(code: string): number {
  return STATUS_BY_CODE[code] ?? 500;
}

export type ErrorBody = { error: { code: string; message: string; details?: Record<string, unknown> } };
