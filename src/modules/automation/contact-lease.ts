import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../../db/database.js';
import type { Clock } from '../../platform/clock.js';

/** Another handler is working on the contact's events: the job is retried shortly. */
export class ContactBusyError extends Error {
  override readonly name = 'ContactBusyError';
}

/**
 * One handler at a time per contact, across processes: a row per contact with a holder and an
 * expiry. Taking it is one statement (insert, or take over an expired lease), so two handlers
 * never both hold it; a handler that dies leaves a lease that expires after `leaseMs`.
 */
export async function withContactLease<T>(
  db: Db,
  clock: Clock,
  lease: { contactId: string; holder: string; leaseMs: number; waitMs: number },
  work: () => Promise<T>,
): Promise<T> {
  const deadline = clock.now() + lease.waitMs;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    const now = clock.now();
    await db
      .insertInto('automation_contact_leases')
      .values({ contact_id: lease.contactId, holder: lease.holder, lease_until: now + lease.leaseMs })
      .onConflict((oc) =>
        oc
          .column('contact_id')
          .doUpdateSet({ holder: lease.holder, lease_until: now + lease.leaseMs })
          .where((eb) => eb.or([eb('automation_contact_leases.lease_until', '<', now), eb('automation_contact_leases.holder', '=', lease.holder)])),
      )
      .execute();
    const row = await db.selectFrom('automation_contact_leases').select('holder').where('contact_id', '=', lease.contactId).executeTakeFirst();
    if (row?.holder === lease.holder) break;
    if (clock.now() >= deadline) throw new ContactBusyError(`contact ${lease.contactId} is being handled by another job`);
    await sleep(delay);
  }
  try {
    return await work();
  } finally {
    await db.deleteFrom('automation_contact_leases').where('contact_id', '=', lease.contactId).where('holder', '=', lease.holder).execute();
  }
}
