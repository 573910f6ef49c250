/**
 * Keyword matching for `message.received` triggers: whole words or phrases, ignoring case,
 * accents and the spacing between words ("preço" matches "PRECO?", "visit" does not match
 * "revisit").
 */

/** Lower case, accents removed (NFKD then combining marks dropped), runs of spaces as one. */
export function normaliseText(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase().replace(/\s+/gu, ' ').trim();
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whether `keyword` occurs in `text` as a whole word (or phrase). */
export function containsKeyword(text: string, keyword: string): boolean {
  const word = normaliseText(keyword);
  if (word === '') return false;
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}])${escape(word)}(?![\\p{L}\\p{N}])`, 'u');
  return pattern.test(normaliseText(text));
}

/** The first of `keywords` found in `text`, or null. */
export function firstKeyword(text: string, keywords: readonly string[]): string | null {
  return keywords.find((k) => containsKeyword(text, k)) ?? null;
}

/** Equality and containment for conditions: case- and accent-insensitive, trimmed. */
export const sameText = (a: string, b: string) => normaliseText(a) === normaliseText(b);
export const includesText = (haystack: string, needle: string) => normaliseText(haystack).includes(normaliseText(needle));
