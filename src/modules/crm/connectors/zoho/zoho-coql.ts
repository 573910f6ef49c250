/**
 * Building COQL safely. Values only ever enter a query as a single-quoted literal with `\` and `'`
 * escaped by a backslash (Zoho's COQL FAQ, Kaizen #171), so a key such as `x' or id is not null`
 * stays one string. Field and module names come from configuration and must be API names.
 */

const API_NAME = /^[A-Za-z][A-Za-z0-9_]{0,99}$/;

/** A COQL string literal, quotes included. */
export function coqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A Zoho date-time literal (`'2026-11-01T12:00:00+00:00'`), at the second Zoho keeps. */
export function coqlDateTime(epochMs: number): string {
  return `'${zohoDateTime(epochMs)}'`;
}

/** Zoho's ISO 8601 form with an explicit offset and no milliseconds. */
export function zohoDateTime(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace('.000Z', '+00:00');
}

/** Record ids are digits; anything else never reaches a query or a path. */
export function isZohoId(value: string): boolean {
  return /^\d{1,30}$/.test(value);
}

export function isApiName(name: string): boolean {
  return API_NAME.test(name);
}

/** Throws on a configured name that is not an API name (it would be pasted into COQL and paths). */
export function assertApiName(kind: string, name: string): string {
  if (!API_NAME.test(name)) throw new RangeError(`Zoho ${kind} must be an API name (letters, digits, _), got ${JSON.stringify(name)}`);
  return name;
}
