import { sql } from 'kysely';
import type { DbExecutor } from '../../db/database.js';
import type { Logger } from '../../platform/logger.js';
import type { InboundEvent } from './core/inbound-event.js';
import { toInboundEvents, type WebhookEnvelope } from './core/parse-webhook.js';
import { applyInboundEvent, type InboundDeps } from './process-inbound-event.job.js';

/**
 * Delivery statuses are applied in the transaction that stores their webhook, instead of by an
 * `inbound.process` job.
 *
 * Every message sent brings at least three status webhooks (sent, delivered, read), each its own
 * POST. As jobs, each also cost a job row, a claim, a second read and parse of its body and a
 * share of another commit: `bench/diagnostics/outbound-path-probe.ts` measured 317–376 µs of CPU
 * per status webhook, acknowledged then processed by the worker, and 190–280 µs applied on
 * ingest. In `npm run bench:outbound` (runs alternated on one machine) the hub spent about 6%
 * less CPU per message during the run, and 9% less counting until every status webhook had been
 * applied. A status only changes this database (the timeline, the outbox, consent on
 * Meta's 131050), and its handling tolerates any order of arrival, so nothing is gained by
 * waiting for the worker. A body carrying anything else (messages reach contacts, consent
 * keywords, media downloads) stays a job.
 *
 * Applying is best effort: should it fail, it is rolled back to its savepoint and the body gets
 * its job as before, which the worker retries and in the end dead-letters. The webhook is stored,
 * and answered, either way.
 */
export type ApplyOnIngest = {
  /** `applyInboundEvent` with the worker's dependencies, in the storing transaction. */
  apply(exec: DbExecutor, events: InboundEvent[]): Promise<void>;
  /** Told why a body could not be applied on ingest (it was queued instead). */
  onError(error: unknown, eventId: string): void;
};

/** What `serve` applies with: the worker's own handling (`applyInboundEvent`) and dependencies. */
export function applyWithInboundDeps(deps: InboundDeps, log: Logger): ApplyOnIngest {
  return {
    async apply(exec, events) {
      for (const event of events) await applyInboundEvent(exec, event, deps, log);
    },
    onError: (error, eventId) => log.warn({ err: error, eventId }, 'statuses could not be applied as their webhook was stored; its job will apply them'),
  };
}

/** The events of a body that are applied as it is stored: only a body of statuses alone, else null. */
export function eventsAppliedOnIngest(envelope: WebhookEnvelope): InboundEvent[] | null {
  // A look at the raw changes first: any other body (an inbound message) is not parsed here
  // only to be parsed again by its job.
  if (!envelope.entry.every((entry) => entry.changes.every((change) => change.field === 'messages' && holdsStatusesAlone(change.value)))) return null;
  const events = toInboundEvents(envelope);
  return events.length > 0 && events.every((event) => event.kind === 'status_changed') ? events : null;
}

function holdsStatusesAlone(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  return Array.isArray((value as { statuses?: unknown }).statuses) && !('messages' in value) && !('errors' in value);
}

/**
 * The savepoint around one body's events, as plain statements: on SQLite they are prepared once
 * and run directly, like the inbox's own inserts (inbox-writer.ts), instead of being built by
 * Kysely for every body.
 */
export type Savepoint = { open(): Promise<void>; release(): Promise<void>; rollBack(): Promise<void> };

export const SAVEPOINT_SQL = {
  open: 'SAVEPOINT apply_on_ingest',
  release: 'RELEASE SAVEPOINT apply_on_ingest',
  rollBack: 'ROLLBACK TO SAVEPOINT apply_on_ingest',
} as const;

/** The savepoint as statements run by Kysely on `trx` (PostgreSQL). */
export function savepointOn(trx: DbExecutor): Savepoint {
  const run = async (statement: string) => void (await sql.raw(statement).execute(trx));
  return { open: () => run(SAVEPOINT_SQL.open), release: () => run(SAVEPOINT_SQL.release), rollBack: () => run(SAVEPOINT_SQL.rollBack) };
}

/**
 * Applies one stored body's events inside the storing transaction `trx`, in a savepoint of their
 * own so that a failure takes back nothing but them. True when applied; false when the body
 * needs its job.
 */
export async function appliedOnIngest(trx: DbExecutor, savepoint: Savepoint, eventId: string, events: InboundEvent[], applier: ApplyOnIngest): Promise<boolean> {
  await savepoint.open();
  try {
    await applier.apply(trx, events);
    await savepoint.release();
    return true;
  } catch (error) {
    // Rolled back to, the savepoint stays open inside the transaction: released, it leaves nothing.
    await savepoint.rollBack();
    await savepoint.release();
    applier.onError(error, eventId);
    return false;
  }
}
