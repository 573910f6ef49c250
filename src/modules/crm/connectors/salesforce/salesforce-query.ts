/**
 * Building SOQL and SOSL text from values we do not control (an email typed by a customer, a phone
 * variant, a cursor). Every value goes through one of these functions; nothing is concatenated raw.
 *
 * - SOQL string literals: `'` and `\` are reserved and escaped with a backslash (Salesforce "SOQL
 *   Reserved Characters"); line breaks and tabs are written as their escape sequences so a value
 *   can never end the literal or the line.
 * - SOSL `FIND {…}`: the search expression's reserved characters `& | ! ( ) { } [ ] ^ " ~ * ? : \ ' + -`
 *   are escaped with a backslash (Salesforce "Example Text Searches"), and each term is quoted as a
 *   phrase, so a value cannot close the braces, add an operator or a wildcard.
 */

const SOQL_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  "'": "\\'",
  '"': '\\"',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

/** A SOQL string literal, quotes included: `O'Brien` → `'O\'Brien'`. */
export function soqlString(value: string): string {
  return `'${value.replace(/[\\'"\n\r\t\b\f]/g, (c) => SOQL_ESCAPES[c] ?? c)}'`;
}

/** A SOQL dateTime literal (unquoted, UTC): whole seconds as Salesforce stores them, milliseconds only when present. */
export function soqlDateTime(epochMs: number): string {
  const iso = new Date(epochMs).toISOString();
  return epochMs % 1000 === 0 ? iso.replace('.000Z', 'Z') : iso;
}

const SOSL_RESERVED = /[&|!(){}[\]^"~*?:\\'+-]/g;

/** One SOSL search term as a quoted phrase with every reserved character escaped. */
export function soslPhrase(value: string): string {
  return `"${value.replace(SOSL_RESERVED, (c) => `\\${c}`)}"`;
}

/** `FIND {"a" OR "b"}`: the terms ORed; empty when no term is long enough to search (SOSL needs 2 characters). */
export function soslFindAny(values: string[]): string | null {
  const terms: string[] = [];
  for (const raw of values) {
    const value = raw.trim();
    if (value.replace(/\s/g, '').length < 2 || terms.includes(value)) continue;
    terms.push(value);
  }
  if (terms.length === 0) return null;
  return `FIND {${terms.map(soslPhrase).join(' OR ')}}`;
}

/** Salesforce API names (`LastName`, `Budget__c`, `ns__Score__c`): anything else is refused before it reaches a query. */
export function isApiName(name: string): boolean {
  return /^[A-Za-z][A-Za-z0-9_]{0,79}$/.test(name);
}

/** A Salesforce record id: 15 characters (case-sensitive) or 18 (with the checksum suffix). */
export function isRecordId(value: string): boolean {
  return /^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$/.test(value);
}

/** Salesforce's dateTime text (`2026-11-01T12:00:00.000+0000`) as epoch ms; null when absent or unreadable. */
export function parseSalesforceDateTime(value: unknown): number | null {
  if (typeof value !== 'string' || value === '') return null;
  const ms = Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(ms) ? null : ms;
}

/** `YYYY-MM-DD` in UTC, for date fields (`ActivityDate`). */
export function salesforceDate(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}
