/**
 * `{{contact.name}}`, `{{reply.title}}`, `{{contact.fields.budget}}`: the placeholders of rule
 * actions. Rendering is strict: a placeholder whose value is missing, null or empty is an error,
 * never an empty string, so that a message never goes out with a hole in it.
 */

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const PATH = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+){1,5}$/;

/** What a placeholder may name; `event.<path>` reads the triggering event as it is. */
const KNOWN: RegExp[] = [
  /^contact\.(id|name|firstName|phone|locale|owner|tags)$/,
  /^contact\.fields\.[A-Za-z0-9_]+$/,
  /^crm\.[A-Za-z0-9_]+$/,
  /^reply\.(title|payload|kind)$/,
  /^message\.(text|wamid|type)$/,
  /^event(\.[A-Za-z0-9_]+){1,4}$/,
  /^rule\.(id|name)$/,
];

export const PLACEHOLDER_HELP =
  'contact.name, contact.firstName, contact.phone, contact.locale, contact.owner, contact.tags, contact.fields.<name> (or crm.<name>), reply.title, reply.payload, reply.kind, message.text, message.type, event.<path>, rule.id, rule.name';

/** Every placeholder path in the text, in order. */
export function placeholderPaths(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

/** Problems with the placeholders of a text (malformed, unknown); empty when it is fine. */
export function checkPlaceholders(text: string): string[] {
  const problems: string[] = [];
  for (const path of placeholderPaths(text)) {
    if (!PATH.test(path)) problems.push(`{{${path}}} is not a placeholder (write {{contact.name}}, {{reply.title}}, …)`);
    else if (!KNOWN.some((known) => known.test(path))) problems.push(`{{${path}}} is unknown; placeholders are ${PLACEHOLDER_HELP}`);
  }
  // A lone `{{` or `}}` is almost always a typo that would be sent as it is.
  const rest = text.replace(PLACEHOLDER, '');
  if (rest.includes('{{') || rest.includes('}}')) problems.push('unbalanced {{ or }}');
  return problems;
}

/** The values placeholders read (see `renderScope` in evaluate-rule.ts). */
export type Scope = Record<string, unknown>;

function lookup(scope: Scope, path: string): unknown {
  // `crm.x` is the contact's field x (what the CRM calls it after the field mapping).
  const parts = path.startsWith('crm.') ? ['contact', 'fields', ...path.split('.').slice(1)] : path.split('.');
  let value: unknown = scope;
  for (const part of parts) {
    if (value === null || typeof value !== 'object' || !Object.prototype.hasOwnProperty.call(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function asText(value: unknown): string | null {
  if (typeof value === 'string') return value.trim() === '' ? null : value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : null;
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    const items = value.map(asText).filter((v): v is string => v !== null);
    return items.length > 0 ? items.join(', ') : null;
  }
  return null;
}

export type RenderResult = { ok: true; text: string } | { ok: false; missing: string[] };

/** Fills every placeholder; when any has no value, says which (and renders nothing). */
export function renderPlaceholders(text: string, scope: Scope): RenderResult {
  const missing: string[] = [];
  const rendered = text.replace(PLACEHOLDER, (_match, path: string) => {
    const value = asText(lookup(scope, path));
    if (value === null) {
      if (!missing.includes(path)) missing.push(path);
      return '';
    }
    return value;
  });
  return missing.length > 0 ? { ok: false, missing } : { ok: true, text: rendered };
}
