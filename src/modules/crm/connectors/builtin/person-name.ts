/** The built-in CRM keeps one name per contact; CRMs keep first and last names. */
export function splitName(name: string | null): { firstName: string | null; lastName: string | null } {
  const trimmed = name?.trim() ?? '';
  if (trimmed === '') return { firstName: null, lastName: null };
  const space = trimmed.indexOf(' ');
  return space < 0 ? { firstName: null, lastName: trimmed } : { firstName: trimmed.slice(0, space), lastName: trimmed.slice(space + 1).trim() };
}

export function joinName(firstName: string | null | undefined, lastName: string | null | undefined): string | null {
  const name = [firstName, lastName].map((part) => part?.trim() ?? '').filter(Boolean).join(' ');
  return name === '' ? null : name;
}
