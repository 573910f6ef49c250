/**
 * Serialises a webhook body the way Meta does before signing it: ordinary JSON, except that every
 * non-ASCII UTF-16 code unit is written as `\uXXXX` with lowercase hex (an emoji becomes its two
 * surrogate escapes). Meta: "we generate the signature using an escaped unicode version of the
 * payload, with lowercase hex digits" (shared/meta/NOTES.md §0.6). Slashes are not escaped.
 * A receiver that re-serialises the parsed body with `JSON.stringify` gets other bytes, which is
 * exactly the mistake this lets the hub's tests catch.
 */
export function metaJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError('metaJson: value is not serialisable');
  return json.replace(/[\u0080-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
