import { CrmError, crmErrorFromStatus } from '../../crm-error.js';

/** One entry of Salesforce's REST error array: `[{"message","errorCode","fields"}]`. */
export type SalesforceApiError = { message: string; errorCode: string; fields: string[] };

/** Salesforce has no Retry-After; its daily allocation is a rolling 24 h window, so a minute is the shortest wait worth trying. */
export const REQUEST_LIMIT_RETRY_MS = 60_000;

/** The custom fields README.md asks for: an error naming one of them means the org is not set up. */
const OUR_FIELDS = /Switchboard_(?:Id|Message_Id|Task_Id|Tags)__c/;

/** The error array of a REST answer; a non-array body (HTML from a proxy, an OAuth error object) gives []. */
export function salesforceErrors(body: unknown): SalesforceApiError[] {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return [];
    }
  }
  if (!Array.isArray(parsed)) return [];
  return parsed.flatMap((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null) return [];
    const e = entry as Record<string, unknown>;
    if (typeof e['errorCode'] !== 'string') return [];
    const fields = Array.isArray(e['fields']) ? e['fields'].filter((f): f is string => typeof f === 'string') : [];
    return [{ errorCode: e['errorCode'], message: typeof e['message'] === 'string' ? e['message'] : '', fields }];
  });
}

/**
 * A REST API error answer as a CrmError. Salesforce signals its limits in the body, not the status:
 * the daily allocation (and the concurrent long-running request limit) answer 403
 * REQUEST_LIMIT_EXCEEDED, an expired session 401 INVALID_SESSION_ID, a missing record 404 NOT_FOUND,
 * and validation failures 400 with codes such as REQUIRED_FIELD_MISSING.
 */
export function translateSalesforceError(httpStatus: number, body: string): CrmError {
  const short = body.slice(0, 500);
  const errors = salesforceErrors(body);
  const first = errors[0];
  const vendorCode = first?.errorCode;
  const what = first ? `${first.errorCode}: ${first.message}` : `HTTP ${httpStatus}`;
  const details = { httpStatus, body: short, ...(vendorCode ? { vendorCode } : {}) };

  if (httpStatus === 300) {
    return new CrmError('CRM_MISCONFIGURED', 'Several Salesforce records carry the same external id; mark the field Unique (see the Salesforce connector README).', {
      ...details,
      vendorCode: 'MULTIPLE_CHOICES',
    });
  }
  switch (vendorCode) {
    case 'REQUEST_LIMIT_EXCEEDED':
      return new CrmError('CRM_RATE_LIMITED', `Salesforce API limit reached (${what}).`, { ...details, retryAfterMs: REQUEST_LIMIT_RETRY_MS });
    case 'INVALID_SESSION_ID':
      return new CrmError('CRM_UNAUTHORIZED', `Salesforce refused the session (${what}).`, details);
    case 'UNABLE_TO_LOCK_ROW':
    case 'SERVER_UNAVAILABLE':
    case 'UNKNOWN_EXCEPTION':
    case 'QUERY_TIMEOUT':
      return new CrmError('CRM_UNAVAILABLE', `Salesforce could not complete the request (${what}).`, details);
    case 'NOT_FOUND':
      // The same code answers "no record with this external id" and "no such external id field".
      if (/external ID field/i.test(first?.message ?? '')) return new CrmError('CRM_MISCONFIGURED', `Salesforce lacks an external id field (${what}).`, details);
      return new CrmError('CRM_NOT_FOUND', `Salesforce has no such record (${what}).`, details);
    case 'INVALID_CROSS_REFERENCE_KEY':
    case 'ENTITY_IS_DELETED':
      return new CrmError('CRM_NOT_FOUND', `The Salesforce record referred to does not exist (${what}).`, details);
    case 'INVALID_FIELD':
    case 'INVALID_FIELD_FOR_INSERT_UPDATE':
      if (OUR_FIELDS.test(first?.message ?? '') || first?.fields.some((f) => OUR_FIELDS.test(f))) {
        return new CrmError('CRM_MISCONFIGURED', `A custom field the connector needs is missing or not writable (${what}).`, details);
      }
      return new CrmError('CRM_REJECTED', `Salesforce rejected the request (${what}).`, details);
    case 'API_DISABLED_FOR_ORG':
    case 'API_CURRENTLY_DISABLED':
      return new CrmError('CRM_MISCONFIGURED', `The Salesforce org does not allow API access (${what}).`, details);
    default:
      break;
  }
  if (httpStatus === 401) return new CrmError('CRM_UNAUTHORIZED', `Salesforce refused our credentials (${what}).`, details);
  if (httpStatus >= 500) return new CrmError('CRM_UNAVAILABLE', `Salesforce answered ${httpStatus} (${what}).`, details);
  if (first && httpStatus >= 400 && httpStatus < 500 && httpStatus !== 403 && httpStatus !== 404 && httpStatus !== 429) {
    return new CrmError('CRM_REJECTED', `Salesforce rejected the request (${what}).`, details);
  }
  const fallback = crmErrorFromStatus(httpStatus, body);
  return new CrmError(fallback.code, `${fallback.message} (${what})`, details);
}

/** The OAuth token endpoint's errors: `{"error":"invalid_grant","error_description":"…"}` (RFC 6749 §5.2). */
export function translateTokenError(httpStatus: number, body: string): CrmError {
  let error = '';
  let description = '';
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    error = typeof parsed['error'] === 'string' ? parsed['error'] : '';
    description = typeof parsed['error_description'] === 'string' ? parsed['error_description'] : '';
  } catch {
    // Not JSON: decided by the status below.
  }
  const details = { httpStatus, body: body.slice(0, 500), ...(error ? { vendorCode: error } : {}) };
  const what = error ? `${error}: ${description}` : `HTTP ${httpStatus}`;
  if (httpStatus >= 500) return new CrmError('CRM_UNAVAILABLE', `The Salesforce login server answered ${httpStatus}.`, details);
  if (httpStatus === 429) return new CrmError('CRM_RATE_LIMITED', `The Salesforce login server asked us to slow down (${what}).`, details);
  // invalid_grant (bad signature, expired or mis-addressed assertion, user not pre-authorised),
  // invalid_client_id, invalid_app_access, inactive_user, inactive_org: credentials, not the request.
  if (error === 'unsupported_grant_type' || error === 'invalid_request') {
    return new CrmError('CRM_MISCONFIGURED', `The Salesforce login server did not accept the request (${what}).`, details);
  }
  return new CrmError('CRM_UNAUTHORIZED', `Salesforce refused the JWT bearer assertion (${what}).`, details);
}
