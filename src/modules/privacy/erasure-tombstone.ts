import { createHash } from 'node:crypto';
import type { DbExecutor } from '../../db/database.js';
import { ONE_ROW } from '../../db/one-row.js';
import { recordConsentChange, type ConsentDeps } from '../consent/index.js';

/** The identifiers a person is recognised by when they write again. */
export type PersonIdentity = {
  /** E.164 with `+`. */
  phone?: string | null;
  /** WhatsApp's country-variant key of the phone (`Contact.phoneMatchKey`). */
  phoneMatchKey?: string | null;
  waId?: string | null;
  bsuid?: string | null;
};

export const ERASURE_TOMBSTONE_SOURCE = 'erasure_tombstone';

/**
 * The salted SHA-256 of one identifier, hex. The kind is part of the input, so a wa_id and a
 * BSUID that happened to be equal strings would not collide. Without the salt (kept in the
 * configuration, never in the database) a table of hashes cannot be reversed by hashing every
 * phone number, which is a small enough space to enumerate.
 */
export function identityHash(salt: string, kind: 'phone' | 'match_key' | 'wa_id' | 'bsuid', value: string): string {
  return createHash('sha256').update(`${salt}\u0000${kind}:${value.trim()}`).digest('hex');
}

/** Every hash under which the identity may have been tombstoned. */
export function identityHashes(salt: string, identity: PersonIdentity): string[] {
  const hashes: string[] = [];
  if (identity.phone) hashes.push(identityHash(salt, 'phone', identity.phone));
  if (identity.phoneMatchKey) hashes.push(identityHash(salt, 'match_key', identity.phoneMatchKey));
  if (identity.waId) hashes.push(identityHash(salt, 'wa_id', identity.waId));
  if (identity.bsuid) hashes.push(identityHash(salt, 'bsuid', identity.bsuid));
  return [...new Set(hashes)];
}

/** Whether someone with any of these identifiers was erased while opted out of marketing; the latest such erasure. */
export async function erasedOptOut(exec: DbExecutor, identity: PersonIdentity, salt: string): Promise<{ erasedAt: number } | null> {
  const hashes = identityHashes(salt, identity);
  if (hashes.length === 0) return null;
  const row = await exec
    .selectFrom('erased_identities')
    .select('erased_at')
    .where('identity_hash', 'in', hashes)
    .where('marketing_opted_out', '=', 1)
    .orderBy('erased_at', 'desc')
    .limit(ONE_ROW)
    .executeTakeFirst();
  return row ? { erasedAt: Number(row.erased_at) } : null;
}

export async function wasErasedAndOptedOut(exec: DbExecutor, identity: PersonIdentity, salt: string): Promise<boolean> {
  return (await erasedOptOut(exec, identity, salt)) !== null;
}

/**
 * Re-applies a marketing opt-out that outlived an erasure: call it with the contact an inbound
 * message (or a send to a phone) resolved to, in the same transaction, before any automation or
 * consent check. The opt-out is recorded for every number with source `erasure_tombstone`, dated
 * at the erasure, so anything the person says after it (a START) still wins. Cheap (one indexed
 * lookup) and idempotent: call it for every inbound message. Returns whether the tombstone applied.
 */
export async function reapplyErasureTombstone(
  exec: DbExecutor,
  contact: { id: string } & PersonIdentity,
  options: { salt: string },
  deps: ConsentDeps,
): Promise<boolean> {
  const erased = await erasedOptOut(exec, contact, options.salt);
  if (!erased) return false;
  await recordConsentChange(
    exec,
    {
      contactId: contact.id,
      businessPhoneNumberId: null,
      category: 'marketing',
      action: 'opt_out',
      source: ERASURE_TOMBSTONE_SOURCE,
      evidence: `erased ${new Date(erased.erasedAt).toISOString()}`,
      occurredAt: erased.erasedAt,
    },
    deps,
  );
  return true;
}

/** Keeps (or refreshes) the tombstone of each identifier of an erased person. */
export async function writeTombstones(exec: DbExecutor, hashes: readonly string[], marketingOptedOut: boolean, erasedAt: number): Promise<void> {
  for (const hash of new Set(hashes)) {
    await exec
      .insertInto('erased_identities')
      .values({ identity_hash: hash, marketing_opted_out: marketingOptedOut ? 1 : 0, erased_at: erasedAt })
      .onConflict((oc) => oc.column('identity_hash').doUpdateSet({ marketing_opted_out: marketingOptedOut ? 1 : 0, erased_at: erasedAt }))
      .execute();
  }
}
