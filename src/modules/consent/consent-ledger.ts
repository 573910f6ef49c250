import type { DbExecutor } from '../../db/database.js';
import type { Clock } from '../../platform/clock.js';
import type { IdGenerator } from '../../platform/ids.js';

export type ConsentCategory = 'marketing' | 'utility' | 'authentication' | 'service';

export type ConsentChange = {
  contactId: string;
  /** null: for every sending number. */
  businessPhoneNumberId: string | null;
  category: ConsentCategory;
  action: 'opt_in' | 'opt_out';
  /** Where it came from: `user_preferences`, `meta_error_131050`, `api`, … */
  source: string;
  /** What proves it: the message, the webhook, the form. */
  evidence: string | null;
  occurredAt: number;
};

export type ConsentDeps = { clock: Clock; ids: IdGenerator };

/**
 * The consent ledger: changes are appended, never edited, and the latest by time decides. An
 * identical change already on record (same source, time and evidence: a webhook replayed) is not
 * recorded twice.
 */
export async function recordConsentChange(exec: DbExecutor, change: ConsentChange, deps: ConsentDeps): Promise<void> {
  const duplicate = await exec
    .selectFrom('consent_events')
    .select('id')
    .where('contact_id', '=', change.contactId)
    .where('category', '=', change.category)
    .where('action', '=', change.action)
    .where('source', '=', change.source)
    .where('occurred_at', '=', change.occurredAt)
    .executeTakeFirst();
  if (duplicate) return;
  await exec
    .insertInto('consent_events')
    .values({
      id: deps.ids.next(),
      contact_id: change.contactId,
      business_phone_number_id: change.businessPhoneNumberId,
      category: change.category,
      action: change.action,
      source: change.source,
      evidence: change.evidence,
      occurred_at: change.occurredAt,
      created_at: deps.clock.now(),
    })
    .execute();
}

/** Whether the contact's latest word on this category (for this number, or for all) is an opt-out. */
export async function isOptedOut(exec: DbExecutor, contactId: string, businessPhoneNumberId: string, category: ConsentCategory): Promise<boolean> {
  const latest = await exec
    .selectFrom('consent_events')
    .select('action')
    .where('contact_id', '=', contactId)
    .where('category', '=', category)
    .where((eb) => eb.or([eb('business_phone_number_id', 'is', null), eb('business_phone_number_id', '=', businessPhoneNumberId)]))
    .orderBy('occurred_at', 'desc')
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return latest?.action === 'opt_out';
}
