import type { DbExecutor } from '../../db/database.js';
import { contactRepository } from './contact.repository.js';
import type { ContactsDeps } from './contacts.deps.js';
import { identityPatch, type Contact, type ObservedIdentity } from './core/contact.js';
import { normalisePhone, phoneFromWaId, phoneMatchKey } from './core/phone.js';

/**
 * Parsing a number with libphonenumber costs more than the rest of finding its contact; the same
 * customers write again and again, so the answers for recent wa_ids are kept (a pure function of
 * the wa_id: nothing can go stale).
 */
const observedPhones = new Map<string, { phone: string; matchKey: string } | null>();
const OBSERVED_PHONES_KEPT = 10_000;

/**
 * The phone behind a wa_id, with the key under which its WhatsApp country variants meet. The
 * phone is the number's valid E.164 form where WhatsApp reports a legacy variant (Brazil's
 * `551187654321` is `+5511987654321`); the wa_id itself is kept apart, for sending.
 */
export function observedPhone(waId: string | null): { phone: string; matchKey: string } | null {
  if (!waId) return null;
  const known = observedPhones.get(waId);
  if (known !== undefined) return known;
  const normalised = normalisePhone(`+${waId}`);
  const phone = normalised.ok ? normalised.e164 : phoneFromWaId(waId);
  const observed = phone ? Object.freeze({ phone, matchKey: phoneMatchKey(phone) }) : null;
  // Bounded: the oldest entry goes first once it is full.
  if (observedPhones.size >= OBSERVED_PHONES_KEPT) observedPhones.delete(observedPhones.keys().next().value!);
  observedPhones.set(waId, observed);
  return observed;
}

/**
 * Finds the contact a webhook is about, or creates it. Looks up the BSUID first (stable across
 * username-only users), then the phone by its variant key (so `551187654321` finds the
 * `+55 11 98765-4321` the CRM stored), and completes the contact with what it learned.
 */
export async function resolveContact(exec: DbExecutor, observed: ObservedIdentity, deps: ContactsDeps): Promise<Contact> {
  const phone = observedPhone(observed.waId);
  const byBsuid = observed.bsuid ? await contactRepository.findByBsuid(exec, observed.bsuid) : undefined;
  const existing = byBsuid ?? (phone ? (await contactRepository.findByMatchKey(exec, phone.matchKey))[0] : undefined);
  const now = deps.clock.now();
  if (existing) return contactRepository.update(exec, existing, identityPatch(existing, observed, phone), now);
  return contactRepository.insert(exec, {
    id: deps.ids.next(),
    name: observed.profileName,
    phone: phone?.phone ?? null,
    phoneMatchKey: phone?.matchKey ?? null,
    waId: observed.waId,
    bsuid: observed.bsuid,
    profileName: observed.profileName,
    locale: null,
    fields: {},
    createdAt: now,
    updatedAt: now,
  });
}
