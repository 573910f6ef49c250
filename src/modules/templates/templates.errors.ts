/**
 * The module's error codes and the HTTP status each should answer with, for the one table in
 * `src/http/error-status.ts`. The codes of Meta's template errors on the timeline
 * (`core/template-errors.ts`) are not answered over HTTP and are not listed here.
 */
export const TEMPLATE_ERROR_STATUS = {
  /** Authoring: the template breaks Meta's rules; `details.violations` lists `{path, code, message}`. */
  TEMPLATE_INVALID: 400,
  /** `parameters` / `mapping` are not of the documented shape. */
  TEMPLATE_PARAMETERS_INVALID: 400,
  TEMPLATE_PARAMETER_COUNT_MISMATCH: 400,
  TEMPLATE_PARAMETER_UNKNOWN: 400,
  TEMPLATE_PARAMETER_INVALID: 400,
  TEMPLATE_HEADER_MEDIA_MISMATCH: 400,
  /** A value is missing: not given, or the contact lacks the CRM field the mapping names. */
  TEMPLATE_PARAMETER_MISSING: 422,
  TEMPLATE_NOT_APPROVED: 422,
  TEMPLATE_PAUSED: 422,
  TEMPLATE_DISABLED: 422,
  TEMPLATE_NOT_FOUND: 404,
  TEMPLATE_LANGUAGE_NOT_FOUND: 404,
  TEMPLATE_WABA_NOT_FOUND: 404,
  TEMPLATE_ALREADY_EXISTS: 409,
  /** Meta refused the template (error 100 and the like); `details.metaCode`, `metaDetails`. */
  TEMPLATE_META_REFUSED: 422,
  TEMPLATE_META_RATE_LIMITED: 429,
  /** Meta unreachable, 5xx or no answer in time (a creation may then have happened: sync). */
  TEMPLATE_META_UNAVAILABLE: 502,
  /** Every WABA's listing failed (`details.failures`). */
  TEMPLATE_SYNC_FAILED: 502,
} as const satisfies Record<string, number>;

export type TemplateErrorCodeWithStatus = keyof typeof TEMPLATE_ERROR_STATUS;
