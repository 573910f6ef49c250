/** A person the business talks to. Identity: E.164 phone, BSUID and wa_id — each may be missing. */
export type Contact = {
  id: string;
  /** The name the business knows (CRM or API); a new contact starts with their WhatsApp profile name. */
  name: string | null;
  phone: string | null;
  phoneMatchKey: string | null;
  waId: string | null;
  bsuid: string | null;
  profileName: string | null;
  /** Language for templates (`es_MX`, `pt_BR`, `en`); null: the business default. */
  locale: string | null;
  /** Custom fields (the built-in CRM's, or mapped from an external CRM), for template parameters. */
  fields: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
};

/** What a webhook tells about the person on the other end. */
export type ObservedIdentity = {
  waId: string | null;
  bsuid: string | null;
  profileName: string | null;
};

export type ContactPatch = Partial<Pick<Contact, 'name' | 'phone' | 'phoneMatchKey' | 'waId' | 'bsuid' | 'profileName' | 'locale' | 'fields'>>;

/**
 * What to change on a known contact after seeing it in a webhook. A known name is never
 * overwritten (the CRM's name wins over the WhatsApp profile name); identifiers are only added,
 * except the wa_id, which follows what WhatsApp reports now.
 */
export function identityPatch(
  existing: Contact,
  observed: ObservedIdentity,
  observedPhone: { phone: string; matchKey: string } | null,
): ContactPatch {
  const patch: ContactPatch = {};
  if (observed.bsuid && !existing.bsuid) patch.bsuid = observed.bsuid;
  if (observedPhone && !existing.phone) {
    patch.phone = observedPhone.phone;
    patch.phoneMatchKey = observedPhone.matchKey;
  }
  if (observed.waId && observed.waId !== existing.waId) patch.waId = observed.waId;
  if (observed.profileName && observed.profileName !== existing.profileName) patch.profileName = observed.profileName;
  if (!existing.name && observed.profileName) patch.name = observed.profileName;
  return patch;
}
