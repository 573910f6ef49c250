import type { ContactDetail, TemplateVariant } from '../api/types';

/** The `{{1}}` / `{{first_name}}` placeholders of a variant's body, in order of first use. */
export function bodyPlaceholders(variant: TemplateVariant): string[] {
  const body = variant.components.find((c) => String(c.type).toUpperCase() === 'BODY');
  const text = typeof body?.text === 'string' ? body.text : '';
  const names: string[] = [];
  for (const match of text.matchAll(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g)) if (!names.includes(match[1]!)) names.push(match[1]!);
  // Positional placeholders are filled in their numeric order, whatever order the text uses them in.
  return names.every((n) => /^\d+$/.test(n)) ? names.sort((a, b) => Number(a) - Number(b)) : names;
}

export function bodyText(variant: TemplateVariant): string {
  const body = variant.components.find((c) => String(c.type).toUpperCase() === 'BODY');
  return typeof body?.text === 'string' ? body.text : '';
}

const firstName = (name: string | null) => (name ? name.trim().split(/\s+/)[0] ?? '' : '');

/**
 * A value for a placeholder from what the hub knows of the contact: a custom field of the same
 * name first, then the usual name-like placeholders; positional `{{1}}` is taken as the first name,
 * which is how most greeting templates begin.
 */
export function prefill(name: string, contact: Pick<ContactDetail, 'name' | 'phone' | 'fields'> | null, crmFields: Record<string, unknown> = {}): string {
  if (!contact) return '';
  const fields = { ...crmFields, ...contact.fields };
  const direct = fields[name] ?? fields[name.toLowerCase()];
  if (direct !== undefined && direct !== null && typeof direct !== 'object') return String(direct);
  const key = name.toLowerCase();
  if (key === '1' || key === 'first_name' || key === 'firstname' || key === 'name' || key === 'customer_name') {
    return key === 'name' || key === 'customer_name' ? contact.name ?? '' : firstName(contact.name);
  }
  if (key === 'full_name' || key === 'fullname') return contact.name ?? '';
  if (key === 'phone') return contact.phone ?? '';
  return '';
}
