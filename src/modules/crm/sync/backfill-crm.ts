import { CrmError } from '../crm-error.js';
import type { CrmPerson } from '../crm-connector.js';
import { applyCrmChange } from './apply-crm-change.js';
import type { CrmSyncDeps } from './crm-sync.deps.js';

export type BackfillCounts = {
  people: number;
  pages: number;
  /** Contacts created for CRM people. */
  created: number;
  /** People matched to an existing contact by our key or their number. */
  matched: number;
  alreadyLinked: number;
  keysWritten: number;
  skippedNoPhone: number;
  /** People whose number is another CRM record's contact already (a duplicate in the CRM). */
  skippedDuplicate: number;
  failed: number;
};

export type BackfillOptions = {
  sleep?: (ms: number) => Promise<void>;
  onPage?: (counts: BackfillCounts) => void;
  /** Attempts per CRM call on retryable errors. */
  attempts?: number;
};

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Imports every person of the CRM (all pages): numbers normalised (DEFAULT_REGION for national
 * formats), contacts linked or created, our key written back. Publishes no events: importing a
 * CRM must not greet everyone in it. Running it again finds everything linked and changes nothing.
 */
export async function backfillCrm(deps: CrmSyncDeps, options: BackfillOptions = {}): Promise<BackfillCounts> {
  const sleep = options.sleep ?? defaultSleep;
  const attempts = options.attempts ?? 6;
  const counts: BackfillCounts = { people: 0, pages: 0, created: 0, matched: 0, alreadyLinked: 0, keysWritten: 0, skippedNoPhone: 0, skippedDuplicate: 0, failed: 0 };

  const call = async <T>(work: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        if (!(error instanceof CrmError) || !error.retryable || attempt >= attempts) throw error;
        await sleep(Math.max(error.details.retryAfterMs ?? 0, 1_000 * 2 ** (attempt - 1)));
      }
    }
  };

  let cursor: string | null = null;
  do {
    const page: { items: CrmPerson[]; next: string | null } = await call(() => deps.connector.listPeople(cursor));
    counts.pages++;
    for (const person of page.items) {
      counts.people++;
      const applied = await deps.db.transaction().execute((trx) =>
        applyCrmChange(trx, { kind: 'person.updated', person, occurredAt: deps.clock.now() }, {
          connector: deps.connector.kind,
          fieldMap: deps.fieldMap,
          clock: deps.clock,
          ids: deps.ids,
          defaultRegion: deps.defaultRegion,
          publish: null,
        }),
      );
      if (applied.how === 'no_phone') counts.skippedNoPhone++;
      else if (applied.how === 'conflict') counts.skippedDuplicate++;
      else if (applied.how === 'created') counts.created++;
      else if (applied.how === 'linked') counts.alreadyLinked++;
      else counts.matched++;
      if (applied.writeKey && applied.contactId) {
        const contactId = applied.contactId;
        try {
          await call(() => deps.connector.updatePerson(person.crmId, { switchboardKey: contactId }));
          counts.keysWritten++;
        } catch (error) {
          if (!(error instanceof CrmError)) throw error;
          counts.failed++;
        }
      }
    }
    options.onPage?.(counts);
    cursor = page.next;
  } while (cursor !== null);
  return counts;
}
