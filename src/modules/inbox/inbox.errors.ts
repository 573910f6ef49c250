/** The module's error codes and their HTTP statuses, for the one table in `src/http/error-status.ts`. */
export const INBOX_ERROR_STATUS = {
  /** No session (or an expired one) on `GET /auth/me`. */
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  /** A role may not do this (agents: users, audit, GDPR, numbers, rules, dead letters, template authoring). */
  FORBIDDEN: 403,
  /** A state-changing request with a session cookie but without the session's `x-csrf-token`. */
  CSRF_TOKEN_INVALID: 403,
  /** Too many failed logins for this email or from this address; `Retry-After` says when to try again. */
  LOGIN_RATE_LIMITED: 429,
  USER_NOT_FOUND: 404,
  USER_EMAIL_TAKEN: 409,
  /** Demoting or deactivating the last active admin would leave nobody to manage the team. */
  USER_LAST_ADMIN: 409,
  CONVERSATION_NOT_FOUND: 404,
  CONVERSATION_CURSOR_INVALID: 400,
  /** Assigning to a user who does not exist or is deactivated. */
  ASSIGNEE_INVALID: 422,
  QUICK_REPLY_NOT_FOUND: 404,
  QUICK_REPLY_SHORTCUT_TAKEN: 409,
} as const satisfies Record<string, number>;
