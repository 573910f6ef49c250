/**
 * Finding a person in stored raw JSON (webhook bodies, dead letters) by their identifiers, and
 * cutting them out of it. Pure: no I/O.
 *
 * A string mentions the person when one of their identifiers (phone digits, wa_id, BSUID) appears
 * in it as a whole token (not inside a longer run of letters or digits), or when it is a phone
 * number written with separators whose digits are one of theirs ("+55 11 98765-4321").
 *
 * A WhatsApp envelope (`entry[].changes[].value`) carries one or more *records* per value: the
 * elements of its arrays (`contacts[]`, `messages[]`, `statuses[]`, `user_preferences[]`, …). Meta
 * batches several people in one body, so a body is never all one person's: erasure removes the
 * records that mention them and keeps the others'; an export keeps only theirs.
 */

/** Identifiers shorter than this would match too much to be meaningful. */
const MIN_IDENTIFIER_LENGTH = 6;

export type MentionTest = (value: string) => boolean;

const escapeRegExp = (value: string) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The identifiers worth searching for: trimmed, long enough, without duplicates. */
export function usableIdentifiers(identifiers: readonly (string | null | undefined)[]): string[] {
  const cleaned = identifiers
    .map((id) => (typeof id === 'string' ? id.trim().replace(/^\+(?=\d+$)/, '') : ''))
    .filter((id) => id.length >= MIN_IDENTIFIER_LENGTH);
  return [...new Set(cleaned)].sort();
}

/** Builds the test for one person. With no usable identifier, nothing mentions them. */
export function mentionTest(identifiers: readonly (string | null | undefined)[]): MentionTest {
  const ids = usableIdentifiers(identifiers);
  if (ids.length === 0) return () => false;
  const token = new RegExp(`(?<![\\p{L}\\p{N}])(?:${ids.map(escapeRegExp).join('|')})(?![\\p{L}\\p{N}])`, 'u');
  const digitIds = new Set(ids.filter((id) => /^\d+$/.test(id)));
  return (value) => {
    if (token.test(value)) return true;
    if (digitIds.size > 0 && value.length <= 40 && /^[+\d\s().-]+$/.test(value)) return digitIds.has(value.replace(/\D/g, ''));
    return false;
  };
}

/** Whether any string, number or key anywhere in a JSON value mentions the person. */
export function mentionsDeep(node: unknown, test: MentionTest): boolean {
  if (typeof node === 'string') return test(node);
  if (typeof node === 'number' || typeof node === 'bigint') return test(String(node));
  if (Array.isArray(node)) return node.some((item) => mentionsDeep(item, test));
  if (node !== null && typeof node === 'object') return Object.entries(node).some(([key, value]) => test(key) || mentionsDeep(value, test));
  return false;
}

type JsonObject = Record<string, unknown>;
const isObject = (value: unknown): value is JsonObject => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Whether the value looks like Meta's envelope: `{entry: [{changes: [{value: {…}}]}]}`. */
export function isEnvelope(body: unknown): body is JsonObject & { entry: JsonObject[] } {
  return (
    isObject(body) &&
    Array.isArray(body['entry']) &&
    body['entry'].every((e) => isObject(e) && Array.isArray(e['changes']) && e['changes'].every((c) => isObject(c) && isObject(c['value'])))
  );
}

export type ScrubOutcome =
  /** Nothing in it is about the person. */
  | { kind: 'unchanged' }
  /** Nothing worth keeping remains (or the person could not be cut out cleanly): delete it. */
  | { kind: 'delete'; removedRecords: number }
  /** Other people's records remain: store this instead. */
  | { kind: 'rewrite'; body: unknown; removedRecords: number };

type FilteredValue = { value: JsonObject; kept: number; removed: number };

function filterRecords(value: JsonObject, keep: (record: unknown) => boolean): FilteredValue {
  const out: JsonObject = {};
  let kept = 0;
  let removed = 0;
  for (const [key, field] of Object.entries(value)) {
    if (!Array.isArray(field)) {
      out[key] = field;
      continue;
    }
    const records = field.filter(keep);
    kept += records.length;
    removed += field.length - records.length;
    out[key] = records;
  }
  return { value: out, kept, removed };
}

/**
 * Cuts the person's records out of a stored body. An envelope keeps the other people's records
 * (changes and entries left empty are dropped); a body that is not an envelope, or that still
 * mentions the person outside any record, is deleted whole: erasure errs on the side of erasing.
 */
export function scrubBody(body: unknown, test: MentionTest): ScrubOutcome {
  if (!mentionsDeep(body, test)) return { kind: 'unchanged' };
  if (!isEnvelope(body)) return { kind: 'delete', removedRecords: 0 };
  let removed = 0;
  const entries: JsonObject[] = [];
  for (const entry of body.entry) {
    const changes: JsonObject[] = [];
    for (const change of entry['changes'] as JsonObject[]) {
      const filtered = filterRecords(change['value'] as JsonObject, (record) => !mentionsDeep(record, test));
      removed += filtered.removed;
      // A change that only carried the person's records goes with them.
      if (filtered.removed > 0 && filtered.kept === 0) continue;
      changes.push({ ...change, value: filtered.value });
    }
    if (changes.length > 0) entries.push({ ...entry, changes });
  }
  const rewritten = { ...body, entry: entries };
  if (entries.length === 0 || mentionsDeep(rewritten, test)) return { kind: 'delete', removedRecords: removed };
  return { kind: 'rewrite', body: rewritten, removedRecords: removed };
}

/**
 * The part of a stored body that is about the person, for their export: an envelope with only
 * their records (other people's are left out: an export must not disclose anyone else), or the
 * whole body when it is not an envelope and mentions them. null when it does not mention them.
 */
export function extractPerson(body: unknown, test: MentionTest): unknown {
  if (!mentionsDeep(body, test)) return null;
  if (!isEnvelope(body)) return body;
  const entries: JsonObject[] = [];
  for (const entry of body.entry) {
    const changes: JsonObject[] = [];
    for (const change of entry['changes'] as JsonObject[]) {
      const filtered = filterRecords(change['value'] as JsonObject, (record) => mentionsDeep(record, test));
      if (filtered.kept === 0 && !mentionsDeep(filtered.value, test)) continue;
      changes.push({ ...change, value: filtered.value });
    }
    if (changes.length > 0) entries.push({ ...entry, changes });
  }
  return { ...body, entry: entries };
}
