import type { DialectName } from '../../db/connect.js';
import type { DbExecutor, OutboundMessageTable, OutboundState } from '../../db/database.js';
import { lockForClaim } from '../../db/dialect.js';
import { everyColumn, preparedQuery } from '../../db/prepared-query.js';

export type OutboxRow = OutboundMessageTable;

const OUTBOX_COLUMNS: Record<keyof OutboxRow, true> = {
  id: true,
  idempotency_key: true,
  contact_id: true,
  business_phone_number_id: true,
  recipient: true,
  recipient_kind: true,
  type: true,
  category: true,
  body: true,
  state: true,
  attempts: true,
  pair_attempts: true,
  next_attempt_at: true,
  lease_until: true,
  wamid: true,
  message_status: true,
  error_code: true,
  error_message: true,
  created_at: true,
  updated_at: true,
};
// Every accepted API send adds one (src/db/prepared-query.ts).
const insertRow = preparedQuery((db, v: OutboxRow) => db.insertInto('outbound_messages').values(everyColumn(v, OUTBOX_COLUMNS)));
// And the sender records most of them accepted.
const acceptRow = preparedQuery((db, v: { id: string; wamid: string; messageStatus: string | null; attempts: number; now: number }) =>
  db
    .updateTable('outbound_messages')
    .set({ state: 'accepted', wamid: v.wamid, message_status: v.messageStatus, lease_until: null, attempts: v.attempts, updated_at: v.now })
    .where('id', '=', v.id),
);

export const outboxRepository = {
  async insert(exec: DbExecutor, row: OutboxRow): Promise<void> {
    await insertRow.execute(exec, row);
  },

  async findById(exec: DbExecutor, id: string): Promise<OutboxRow | undefined> {
    return exec.selectFrom('outbound_messages').selectAll().where('id', '=', id).executeTakeFirst();
  },

  async findByIdempotencyKey(exec: DbExecutor, key: string): Promise<OutboxRow | undefined> {
    return exec.selectFrom('outbound_messages').selectAll().where('idempotency_key', '=', key).executeTakeFirst();
  },

  /**
   * Claims due messages for sending under a lease. On PostgreSQL the rows are locked while being
   * claimed, so senders in other processes take other rows.
   */
  async claimDue(exec: DbExecutor, dialect: DialectName, now: number, limit: number, leaseUntil: number): Promise<OutboxRow[]> {
    const due = await lockForClaim(
      exec
        .selectFrom('outbound_messages')
        .selectAll()
        .where('state', '=', 'queued')
        .where('next_attempt_at', '<=', now)
        .orderBy('next_attempt_at')
        .orderBy('created_at')
        .limit(limit),
      dialect,
    ).execute();
    if (due.length === 0) return [];
    await exec
      .updateTable('outbound_messages')
      .set({ state: 'sending', lease_until: leaseUntil, updated_at: now })
      .where('id', 'in', due.map((r) => r.id))
      .execute();
    return due.map((row) => ({ ...row, state: 'sending' as const, lease_until: leaseUntil }));
  },

  /**
   * Sends whose process died mid-call: Meta may have accepted them. They wait `inDoubtMs` for a
   * status webhook carrying their id before they are sent again.
   */
  async markAbandonedInDoubt(exec: DbExecutor, now: number, inDoubtMs: number): Promise<number> {
    const result = await exec
      .updateTable('outbound_messages')
      .set({ state: 'in_doubt', next_attempt_at: now + inDoubtMs, lease_until: null, updated_at: now })
      .where('state', '=', 'sending')
      .where('lease_until', '<', now)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  },

  /** In-doubt sends whose wait is over and that no status webhook confirmed: queue them again. */
  async requeueUnconfirmed(exec: DbExecutor, now: number): Promise<number> {
    const result = await exec
      .updateTable('outbound_messages')
      .set({ state: 'queued', next_attempt_at: now, updated_at: now })
      .where('state', '=', 'in_doubt')
      .where('next_attempt_at', '<=', now)
      .where('wamid', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  },

  /** Messages of a number waiting out a pause (its token had expired) become due now. */
  async wakeNumber(exec: DbExecutor, businessPhoneNumberId: string, now: number): Promise<number> {
    const result = await exec
      .updateTable('outbound_messages')
      .set({ next_attempt_at: now, updated_at: now })
      .where('business_phone_number_id', '=', businessPhoneNumberId)
      .where('state', '=', 'queued')
      .where('next_attempt_at', '>', now)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  },

  /** Meta took the message: the outcome every send hopes for. */
  async markAccepted(exec: DbExecutor, id: string, accepted: { wamid: string; messageStatus: string | null; attempts: number; now: number }): Promise<void> {
    await acceptRow.execute(exec, { id, ...accepted });
  },

  async update(exec: DbExecutor, id: string, changes: Partial<Omit<OutboxRow, 'id'>>, expectedState?: OutboundState): Promise<boolean> {
    let query = exec.updateTable('outbound_messages').set(changes).where('id', '=', id);
    if (expectedState) query = query.where('state', '=', expectedState);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  },

  async counts(exec: DbExecutor): Promise<Record<string, number>> {
    const rows = await exec
      .selectFrom('outbound_messages')
      .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('state')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
  },
};
