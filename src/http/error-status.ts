import { TEMPLATE_ERROR_STATUS } from '../modules/templates/index.js';
// The leaf file, not the index: the inbox's routes reach this table through reply-error.
import { INBOX_ERROR_STATUS } from '../modules/inbox/inbox.errors.js';
import { AUTOMATION_ERROR_STATUS } from '../modules/automation/automation.errors.js';

/**
 * The one table from stable error codes to HTTP statuses. A code not listed here is a bug in
 * the caller and answers 500.
 */
const STATUS_BY_CODE: Record<string, number> = {
  ...TEMPLATE_ERROR_STATUS,
  ...INBOX_ERROR_STATUS,
  ...AUTOMATION_ERROR_STATUS,
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
  MESSAGE_NOT_FOUND: 404,
  MEDIA_NOT_FOUND: 404,
  MEDIA_NOT_READY: 409,
  MEDIA_UPLOAD_FAILED: 502,
  NUMBER_NOT_FOUND: 404,
  CONTACT_PHONE_TAKEN: 409,
  PAYLOAD_TOO_LARGE: 413,
  WINDOW_CLOSED: 422,
  CONTACT_UNREACHABLE: 422,
  NUMBER_NOT_CONFIGURED: 422,
  CONSENT_REQUIRED: 422,
  MEDIA_TOO_LARGE: 413,
  MEDIA_TYPE_UNSUPPORTED: 415,
  UNSUPPORTED_MEDIA_TYPE: 415,
  CRM_PERSON_NOT_FOUND: 404,
  CRM_TASK_NOT_FOUND: 404,
  CRM_WEBHOOK_UNKNOWN: 404,
  CRM_WEBHOOK_SIGNATURE_INVALID: 401,
  CRM_WEBHOOK_INVALID: 400,
  CRM_UNAVAILABLE: 503,
  INTERNAL: 500,
  NOT_READY: 503,
  SECRET_KEY_MISSING: 503,
  WHATSAPP_TOKEN_EXPIRED: 503,
  PRIVACY_SALT_MISSING: 503,
};

export function httpStatusFor(code: string): number {
  return STATUS_BY_CODE[code] ?? 500;
}

export type ErrorBody = { error: { code: string; message: string; details?: Record<string, unknown> } };
