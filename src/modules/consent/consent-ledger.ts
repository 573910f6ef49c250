import type { ConsentEventTable, DbExecutor } from '../../db/database.js';
import { ONE_ROW } from '../../db/one-row.js';
import { preparedQuery } from '../../db/prepared-query.js';
import type { Clock } from '../../platform/clock.js';
import type { IdGenerator } from '../../platform/ids.js';
import type { EventPublisher } from '../events/index.js';
import type { ConsentCategory, LedgerEvent } from './core/consent-state.js';

export type { ConsentCategory } from './core/consent-state.js';

export type ConsentChange = {
  contactId: string;
  /** null: for every sending number. */
  businessPhoneNumberId: string | null;
  category: ConsentCategory;
  action: 'opt_in' | 'opt_out';
  /** Where it came from: `user_preferences`, `meta_error_131050`, `inbound_keyword`, `api`, `erasure_tombstone`, … */
  source: string;
  /** What proves it: the message, the webhook, the form. */
  evidence: string | null;
  occurredAt: number;
};

/** `publish` tells subscribers (automation's opt-out trigger, the CRM, the inbox) about each change recorded. */
export type ConsentDeps = { clock: Clock; ids: IdGenerator; publish?: EventPublisher };

/**
 * The consent ledger: changes are appended, never edited, and the latest by time decides. An
 * identical change already on record (same category, action, number, source, time and evidence:
 * a webhook or job replayed) is not recorded twice. Returns whether a row was added.
 */
export async function recordConsentChange(exec: DbExecutor, change: ConsentChange, deps: ConsentDeps): Promise<boolean> {
  const duplicate = await exec
    .selectFrom('consent_events')
    .select('id')
    .where('contact_id', '=', change.contactId)
    .where('category', '=', change.category)
    .where('action', '=', change.action)
    .where('source', '=', change.source)
    .where('occurred_at', '=', change.occurredAt)
    .where((eb) =>
      change.businessPhoneNumberId === null ? eb('business_phone_number_id', 'is', null) : eb('business_phone_number_id', '=', change.businessPhoneNumberId),
    )
    .where((eb) => (change.evidence === null ? eb('evidence', 'is', null) : eb('evidence', '=', change.evidence)))
    .executeTakeFirst();
  if (duplicate) return false;
  const id = deps.ids.next();
  await exec
    .insertInto('consent_events')
    .values({
      id,
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
  await deps.publish?.(exec, [
    {
      type: 'consent.changed',
      id: `consent.changed:${id}`,
      contactId: change.contactId,
      businessPhoneNumberId: change.businessPhoneNumberId,
      category: change.category,
      action: change.action,
      source: change.source,
      occurredAt: change.occurredAt,
    },
  ]);
  return true;
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
    .orderBy('id', 'desc')
    .limit(ONE_ROW)
    .executeTakeFirst();
  return latest?.action === 'opt_out';
}

export type ConsentEventRow = ConsentEventTable;

export function toLedgerEvent(row: ConsentEventRow): LedgerEvent {
  return {
    id: row.id,
    category: row.category,
    businessPhoneNumberId: row.business_phone_number_id,
    action: row.action,
    source: row.source,
    occurredAt: Number(row.occurred_at),
    createdAt: Number(row.created_at),
  };
}

// Every API accept and every send asks (src/db/prepared-query.ts): the events for every number,
// and those for every number or the one sending.
const eventsForEveryNumber = preparedQuery((db, v: { contactId: string; category: ConsentCategory }) =>
  db.selectFrom('consent_events').selectAll().where('contact_id', '=', v.contactId).where('category', '=', v.category).where('business_phone_number_id', 'is', null),
);
const eventsForNumber = preparedQuery((db, v: { contactId: string; category: ConsentCategory; businessPhoneNumberId: string }) =>
  db
    .selectFrom('consent_events')
    .selectAll()
    .where('contact_id', '=', v.contactId)
    .where('category', '=', v.category)
    .where((eb) => eb.or([eb('business_phone_number_id', 'is', null), eb('business_phone_number_id', '=', v.businessPhoneNumberId)])),
);

export const consentRepository = {
  /** The contact's whole ledger, oldest first. */
  async ledger(exec: DbExecutor, contactId: string): Promise<ConsentEventRow[]> {
    return exec
      .selectFrom('consent_events')
      .selectAll()
      .where('contact_id', '=', contactId)
      .orderBy('occurred_at')
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  },

  /** The contact's events for one category that apply to `businessPhoneNumberId` (its own and the global ones). */
  async forNumber(exec: DbExecutor, contactId: string, category: ConsentCategory, businessPhoneNumberId: string | null): Promise<ConsentEventRow[]> {
    const { rows } =
      businessPhoneNumberId === null
        ? await eventsForEveryNumber.execute(exec, { contactId, category })
        : await eventsForNumber.execute(exec, { contactId, category, businessPhoneNumberId });
    return rows;
  },
};
