import { z } from 'zod';
import type { Db, DbExecutor } from '../../../db/database.js';
import type { JobDefinition, NewJob } from '../../../jobs/job-definition.js';
import type { CrmChange } from '../crm-connector.js';
import { crmCursorsRepository } from './crm-links.repository.js';
import type { CrmSyncDeps } from './crm-sync.deps.js';
import { applyCrmChange, type AppliedChange } from './apply-crm-change.js';
import { CRM_UPDATE_PERSON } from './crm-command.jobs.js';

export const CRM_POLL_CHANGES = 'crm.poll_changes';
const payload = z.object({ connector: z.string() });
/** Pages read per run: a backlog drains over several runs instead of holding one lease for long. */
const MAX_PAGES_PER_RUN = 20;

/**
 * Applies changes from the CRM in one transaction each: the contact found, linked or created,
 * fields copied, `crm.person_changed` published, and a key write-back queued where the record does
 * not hold our key yet. Shared by the poller and the webhook route.
 */
export async function applyCrmChanges(changes: CrmChange[], deps: CrmSyncDeps): Promise<AppliedChange[]> {
  const results: AppliedChange[] = [];
  for (const change of changes) {
    results.push(
      await deps.db.transaction().execute(async (trx) => {
        const applied = await applyCrmChange(trx, change, { connector: deps.connector.kind, fieldMap: deps.fieldMap, clock: deps.clock, ids: deps.ids, defaultRegion: deps.defaultRegion, publish: deps.publish });
        if (applied.writeKey && applied.contactId) await deps.enqueue(trx, [writeKeyJob(applied.contactId, change)]);
        return applied;
      }),
    );
  }
  return results;
}

function writeKeyJob(contactId: string, change: CrmChange): NewJob {
  const idempotencyKey = `key:${change.person.crmId}:${contactId}`;
  return { name: CRM_UPDATE_PERSON, payload: { contactId, idempotencyKey, generation: 0 }, dedupeKey: `${CRM_UPDATE_PERSON}:${idempotencyKey}` };
}

/**
 * Reads the CRM's change feed from the stored cursor, applies the changes, stores the new cursor
 * and schedules its next run — also when the CRM is down (the next run tries again), so polling
 * never stops. The first run starts from now (pollChanges(null)); `switchboard crm backfill`
 * imports what existed before.
 */
export function pollCrmChangesJob(deps: CrmSyncDeps, intervalMs: number): JobDefinition<typeof payload> {
  return {
    name: CRM_POLL_CHANGES,
    payload,
    mode: 'lease',
    leaseMs: 5 * 60_000,
    async handle({ connector }, ctx) {
      try {
        if (connector !== deps.connector.kind) return; // the configured CRM changed: this chain ends
        let cursor = await crmCursorsRepository.get(deps.db, connector);
        for (let page = 0; page < MAX_PAGES_PER_RUN; page++) {
          const result = await deps.connector.pollChanges(cursor);
          await applyCrmChanges(result.items, deps);
          const moved = result.next !== cursor;
          cursor = result.next;
          await crmCursorsRepository.set(deps.db, connector, cursor, deps.clock.now());
          if (result.items.length === 0 || !moved) break;
        }
      } catch (error) {
        ctx.log.warn({ err: error, connector }, 'CRM change poll failed; the next run tries again');
      } finally {
        if (connector === deps.connector.kind) await scheduleCrmPoll(deps.db, deps.enqueue, connector, deps.clock.now() + intervalMs);
      }
    },
  };
}

/** Enqueues the connector's next poll (one per due time). */
export async function scheduleCrmPoll(exec: DbExecutor, enqueue: CrmSyncDeps['enqueue'], connector: string, runAt: number): Promise<void> {
  await enqueue(exec, [{ name: CRM_POLL_CHANGES, payload: { connector }, dedupeKey: `${CRM_POLL_CHANGES}:${connector}:${runAt}`, runAt }]);
}

/**
 * At start: starts the polling chain unless one is already waiting or running. The first run is
 * due at the start of the current interval, so worker processes starting together share its
 * dedupe key and start one chain.
 */
export async function ensureCrmPolling(db: Db, enqueue: CrmSyncDeps['enqueue'], connector: string, now: number, intervalMs: number): Promise<void> {
  const waiting = await db
    .selectFrom('jobs')
    .select('id')
    .where('name', '=', CRM_POLL_CHANGES)
    .where('state', 'in', ['pending', 'running'])
    .where('payload', 'like', `%"${connector}"%`)
    .executeTakeFirst();
  if (!waiting) await scheduleCrmPoll(db, enqueue, connector, now - (now % intervalMs));
}
