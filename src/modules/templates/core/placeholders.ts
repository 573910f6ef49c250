/**
 * Template placeholders: `{{1}}`, `{{2}}` (positional) or `{{first_name}}` (named). Meta writes
 * them without spaces; spaces inside the braces are tolerated when reading.
 */

export type PlaceholderToken = {
  name: string;
  /** Index of the first `{` and one past the last `}` in the text. */
  start: number;
  end: number;
};

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

/** Every placeholder occurrence, in order. */
export function findPlaceholders(text: string | null | undefined): PlaceholderToken[] {
  if (typeof text !== 'string') return [];
  return [...text.matchAll(PLACEHOLDER)].map((m) => ({ name: m[1]!, start: m.index, end: m.index + m[0].length }));
}

/** Distinct placeholder names in order of first appearance: `['1', '2']` or `['first_name']`. */
export function placeholderNames(text: string | null | undefined): string[] {
  return [...new Set(findPlaceholders(text).map((t) => t.name))];
}

/** `1`, `2`, … (no leading zero). */
export const isPositionalName = (name: string) => /^[1-9][0-9]*$/.test(name);

/** Meta's named parameters: lowercase letters, digits and `_`, not starting with a digit. */
export const isNamedName = (name: string) => /^[a-z_][a-z0-9_]*$/.test(name);

/**
 * The parameter names a send must supply, in the order Meta expects them: positional ones by
 * number (Meta maps parameters[0] to `{{1}}`), named ones in order of first appearance.
 */
export function orderedParameterNames(text: string | null | undefined): string[] {
  const names = placeholderNames(text);
  return names.every(isPositionalName) ? names.sort((a, b) => Number(a) - Number(b)) : names;
}

export type RenderOutcome = { ok: true; text: string } | { ok: false; missing: string };

/**
 * Fills every placeholder with its value, strictly: a placeholder without a value is an error
 * naming it. Values are inserted as they are (WhatsApp text is not HTML, nothing is escaped) and
 * in one pass, so a value that itself looks like `{{1}}` is never expanded again.
 */
export function renderPlaceholders(text: string, values: ReadonlyMap<string, string>): RenderOutcome {
  let out = '';
  let at = 0;
  for (const token of findPlaceholders(text)) {
    const value = values.get(token.name);
    if (value === undefined) return { ok: false, missing: token.name };
    out += text.slice(at, token.start) + value;
    at = token.end;
  }
  return { ok: true, text: out + text.slice(at) };
}
