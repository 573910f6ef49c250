/**
 * The module's API error codes and their HTTP statuses, for the one table in
 * `src/http/error-status.ts`. Codes recorded on runs (an action's failure) are not answered over
 * HTTP: AUTOMATION_PLACEHOLDER_MISSING, AUTOMATION_CRM_NOT_CONFIGURED,
 * AUTOMATION_INBOX_NOT_CONFIGURED, AUTOMATION_ACTION_INVALID, AUTOMATION_PREVIOUS_ACTION_FAILED,
 * AUTOMATION_RUN_FAILED, WEBHOOK_ADDRESS_REFUSED, WEBHOOK_TIMEOUT, WEBHOOK_REDIRECT_REFUSED,
 * WEBHOOK_HTTP_ERROR, WEBHOOK_UNREACHABLE, WEBHOOK_SECRET_UNAVAILABLE, and the outbound module's
 * codes for a refused send (WINDOW_CLOSED, CONSENT_REQUIRED, TEMPLATE_*).
 */
export const AUTOMATION_ERROR_STATUS = {
  /** The rule does not follow the format; `details.issues` lists `{path, message}`. */
  RULE_INVALID: 422,
  RULE_ID_MISMATCH: 400,
  RULE_NOT_FOUND: 404,
  RULE_ALREADY_EXISTS: 409,
  DRY_RUN_EVENT_INVALID: 422,
  RUNS_CURSOR_INVALID: 400,
} as const satisfies Record<string, number>;
