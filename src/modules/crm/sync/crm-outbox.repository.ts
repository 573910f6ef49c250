import { PostgresAdapter, sql } from 'kysely';
import type { DbExecutor } from '../../../db/database.js';
import type { CrmOutboxTable } from '../../../db/crm-tables.js';
import type { NewJob } from '../../../jobs/job-definition.js';
import type { IdGenerator } from '../../../platform/ids.js';
import type { DomainEvent } from '../../events/index.js';

export const CRM_FLUSH = 'crm.flush';
/** A dead-lettered outbox item; `switchboard dlq replay` revives this job, which puts the item back in line. */
export const CRM_OUTBOX_REPLAY = 'crm.outbox_replay';

export type OutboxKind = 'activity' | 'consent';
export type OutboxItem = {
  seq: number;
  connector: string;
  contactId: string;
  kind: OutboxKind;
  event: DomainEvent;
  attempts: number;
};

const toItem = (row: Pick<CrmOutboxTable, 'connector' | 'contact_id' | 'kind' | 'payload' | 'attempts'> & { seq: number | string }): OutboxItem => ({
  seq: Number(row.seq),
  connector: row.connector,
  contactId: row.contact_id,
  kind: row.kind as OutboxKind,
  event: JSON.parse(row.payload) as DomainEvent,
  attempts: Number(row.attempts),
});

const isPostgres = (exec: DbExecutor) => exec.getExecutor().adapter instanceof PostgresAdapter;

/**
 * The CRM sync outbox. Appends happen in the transaction of the event that causes them, together
 * with the wake-up of the connector's `crm.flush` job. One flush job at a time waits per
 * connector: its dedupe key carries the connector's generation, and every claim moves the
 * generation on (under a row lock that the appenders share on PostgreSQL), so an append either
 * lands before a claim that sees it, or after it and wakes a new flush. Done items are deleted;
 * dead ones stay (state `dead`) until replayed.
 */
export const crmOutboxRepository = {
  /** Appends the work and returns the flush job to enqueue in the same transaction. */
  async append(
    exec: DbExecutor,
    item: { connector: string; contactId: string; kind: OutboxKind; event: DomainEvent },
    now: number,
  ): Promise<NewJob> {
    await exec
      .insertInto('crm_outbox')
      .values({
        connector: item.connector,
        contact_id: item.contactId,
        kind: item.kind,
        payload: JSON.stringify(item.event),
        dedupe_key: `${item.connector}:${item.event.id}`,
        state: 'pending',
        attempts: 0,
        next_attempt_at: now,
        locked_until: null,
        last_error: null,
        created_at: now,
      })
      .onConflict((oc) => oc.column('dedupe_key').doNothing())
      .execute();
    return this.wake(exec, item.connector, now);
  },

  /** The job that flushes the connector's outbox; enqueue it in `exec`'s transaction. */
  async wake(exec: DbExecutor, connector: string, now: number): Promise<NewJob> {
    await exec.insertInto('crm_outbox_flushes').values({ connector, generation: now }).onConflict((oc) => oc.column('connector').doNothing()).execute();
    let query = exec.selectFrom('crm_outbox_flushes').select('generation').where('connector', '=', connector);
    // Held until commit: a claim (which moves the generation on) waits for this append to commit, so it sees it.
    if (isPostgres(exec)) query = query.forShare();
    const { generation } = await query.executeTakeFirstOrThrow();
    return { name: CRM_FLUSH, payload: { connector }, dedupeKey: `${CRM_FLUSH}:${connector}:${generation}`, runAt: now };
  },

  /**
   * Claims up to `limit` due items in order, leasing them until `now + leaseMs`. An item waits
   * while an earlier item of its contact is leased or waiting for a retry, so a contact's work
   * arrives in order. Claims of one connector run one at a time (the generation row's lock).
   */
  async claim(exec: DbExecutor, connector: string, limit: number, now: number, leaseMs: number): Promise<OutboxItem[]> {
    await exec
      .updateTable('crm_outbox_flushes')
      .set((eb) => ({ generation: eb('generation', '+', 1) }))
      .where('connector', '=', connector)
      .execute();
    const rows = await exec
      .selectFrom('crm_outbox as o')
      .select(['o.seq', 'o.connector', 'o.contact_id', 'o.kind', 'o.payload', 'o.attempts'])
      .where('o.connector', '=', connector)
      .where('o.state', '=', 'pending')
      .where('o.next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('o.locked_until', 'is', null), eb('o.locked_until', '<', now)]))
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('crm_outbox as p')
              .select('p.seq')
              .whereRef('p.connector', '=', 'o.connector')
              .whereRef('p.contact_id', '=', 'o.contact_id')
              .whereRef('p.seq', '<', 'o.seq')
              .where('p.state', '=', 'pending')
              .where((eb) => eb.or([eb('p.next_attempt_at', '>', now), eb('p.locked_until', '>=', now)])),
          ),
        ),
      )
      .orderBy('o.seq')
      .limit(limit)
      .execute();
    if (rows.length === 0) return [];
    await exec
      .updateTable('crm_outbox')
      .set({ locked_until: now + leaseMs })
      .where('seq', 'in', rows.map((r) => Number(r.seq)))
      .execute();
    return rows.map(toItem);
  },

  async remove(exec: DbExecutor, seqs: number[]): Promise<void> {
    if (seqs.length === 0) return;
    await exec.deleteFrom('crm_outbox').where('seq', 'in', seqs).execute();
  },

  async reschedule(exec: DbExecutor, seq: number, update: { attempts: number; runAt: number; error: string }): Promise<void> {
    await exec
      .updateTable('crm_outbox')
      .set({ attempts: update.attempts, next_attempt_at: update.runAt, locked_until: null, last_error: update.error })
      .where('seq', '=', seq)
      .execute();
  },

  /**
   * Gives an item up: it stays in the outbox as `dead`, and a dead `crm.outbox_replay` job with
   * its dead letter makes it visible to `switchboard dlq list` and replayable with `dlq replay`.
   */
  async kill(exec: DbExecutor, item: OutboxItem, reason: string, now: number, ids: IdGenerator): Promise<void> {
    await exec.updateTable('crm_outbox').set({ state: 'dead', locked_until: null, last_error: reason }).where('seq', '=', item.seq).execute();
    const jobId = ids.next();
    const payload = JSON.stringify({ connector: item.connector, seq: item.seq, event: item.event });
    await exec
      .insertInto('jobs')
      .values({
        id: jobId,
        name: CRM_OUTBOX_REPLAY,
        payload,
        dedupe_key: null,
        state: 'dead',
        attempts: 1,
        max_attempts: 1,
        run_at: now,
        last_error: reason,
        locked_until: null,
        ordering_key: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await exec
      .insertInto('dead_letters')
      .values({ id: ids.next(), source: 'job', code: 'CRM_SYNC_FAILED', reason, body: payload, job_id: jobId, job_name: CRM_OUTBOX_REPLAY, created_at: now, replayed_at: null })
      .execute();
  },

  /** Puts a dead item back in line with fresh attempts; false when it is not dead (any more). */
  async revive(exec: DbExecutor, seq: number, now: number): Promise<boolean> {
    const result = await exec
      .updateTable('crm_outbox')
      .set({ state: 'pending', attempts: 0, next_attempt_at: now, locked_until: null, last_error: null })
      .where('seq', '=', seq)
      .where('state', '=', 'dead')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  },

  /**
   * When the connector's next pending item that is waiting (for a retry, or for a lease to run
   * out) falls due; null when none is. Items due already but held back behind an earlier item of
   * their contact move when that one does.
   */
  async nextWakeAt(exec: DbExecutor, connector: string, now: number): Promise<number | null> {
    const due = sql<number | string | null>`case when locked_until is not null and locked_until > next_attempt_at then locked_until else next_attempt_at end`;
    const row = await exec
      .selectFrom('crm_outbox')
      .select(sql<number | string | null>`min(${due})`.as('next'))
      .where('connector', '=', connector)
      .where('state', '=', 'pending')
      .where(sql<boolean>`${due} > ${now}`)
      .executeTakeFirst();
    return row?.next == null ? null : Number(row.next);
  },

  async count(exec: DbExecutor, connector: string, state: 'pending' | 'dead'): Promise<number> {
    const row = await exec
      .selectFrom('crm_outbox')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('connector', '=', connector)
      .where('state', '=', state)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },
};
