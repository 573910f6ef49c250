import type { DbExecutor, MessageStatusTable, MessageTable, ReactionTable } from '../../db/database.js';
import { everyColumn, preparedQuery } from '../../db/prepared-query.js';

export type MessageRow = MessageTable;
export type ReactionRow = ReactionTable;
export type EntryOwner = Pick<MessageRow, 'id' | 'contact_id' | 'business_phone_number_id'>;
/**
 * What a status may change on its entry, as last read. Each of these columns only ever moves one
 * way (the rank up, an unknown entry's time earlier, the pricing from none to some; the type never
 * back to `unknown`), so a read, even one another worker has since overtaken, can tell which of a
 * status's updates would change nothing.
 */
export type StatusState = Pick<MessageRow, 'type' | 'status_rank' | 'wa_timestamp' | 'pricing'>;
/** The entry a status is about: whose it is (for the events it raises) and its status state. */
export type StatusTarget = EntryOwner & StatusState;

const MESSAGE_COLUMNS: Record<keyof MessageRow, true> = {
  id: true,
  wamid: true,
  contact_id: true,
  business_phone_number_id: true,
  direction: true,
  type: true,
  text: true,
  status: true,
  status_rank: true,
  error_code: true,
  error_title: true,
  error_details: true,
  wa_timestamp: true,
  media: true,
  content: true,
  context: true,
  referral: true,
  pricing: true,
  raw: true,
  created_at: true,
  updated_at: true,
};
const STATUS_COLUMNS: Record<keyof MessageStatusTable, true> = { wamid: true, status: true, wa_timestamp: true, errors: true, pricing: true, received_at: true };

// The statements every inbound message and every status runs: prepared once (src/db/prepared-query.ts).
const insertMessage = preparedQuery((db, v: MessageRow) => db.insertInto('messages').values(everyColumn(v, MESSAGE_COLUMNS)).onConflict((oc) => oc.column('wamid').doNothing()));
const messageById = preparedQuery((db, v: { id: string }) => db.selectFrom('messages').selectAll().where('id', '=', v.id));
const messageByWamid = preparedQuery((db, v: { wamid: string }) => db.selectFrom('messages').selectAll().where('wamid', '=', v.wamid));
const idByWamid = preparedQuery((db, v: { wamid: string }) => db.selectFrom('messages').select('id').where('wamid', '=', v.wamid));
const statusTargetByWamid = preparedQuery((db, v: { wamid: string }) =>
  db.selectFrom('messages').select(['id', 'contact_id', 'business_phone_number_id', 'type', 'status_rank', 'wa_timestamp', 'pricing']).where('wamid', '=', v.wamid),
);
const insertStatus = preparedQuery((db, v: MessageStatusTable) =>
  db.insertInto('message_statuses').values(everyColumn(v, STATUS_COLUMNS)).onConflict((oc) => oc.columns(['wamid', 'status']).doNothing()),
);
const raiseStatus = preparedQuery((db, v: { wamid: string; status: string; rank: number; now: number }) =>
  db.updateTable('messages').set({ status: v.status, status_rank: v.rank, updated_at: v.now }).where('wamid', '=', v.wamid).where('status_rank', '<', v.rank),
);
const moveUnknownEarlier = preparedQuery((db, v: { wamid: string; waTimestamp: number }) =>
  db.updateTable('messages').set({ wa_timestamp: v.waTimestamp }).where('wamid', '=', v.wamid).where('type', '=', 'unknown').where('wa_timestamp', '>', v.waTimestamp),
);
const keepFirstPricing = preparedQuery((db, v: { wamid: string; pricing: string; now: number }) =>
  db.updateTable('messages').set({ pricing: v.pricing, updated_at: v.now }).where('wamid', '=', v.wamid).where('pricing', 'is', null),
);
const setMessageError = preparedQuery((db, v: { wamid: string; code: number; title: string; details: string | null; now: number }) =>
  db.updateTable('messages').set({ error_code: v.code, error_title: v.title, error_details: v.details, updated_at: v.now }).where('wamid', '=', v.wamid),
);

/** Messages keyed by wamid: inserting one that exists changes nothing. */
export const messageRepository = {
  /** Returns whether the row was added (false: a row with its wamid was there already). */
  async insertIfAbsent(exec: DbExecutor, row: MessageRow): Promise<boolean> {
    return (await insertMessage.changed(exec, row)) > 0;
  },

  async findById(exec: DbExecutor, id: string): Promise<MessageRow | undefined> {
    return messageById.first(exec, { id });
  },

  async findByWamid(exec: DbExecutor, wamid: string): Promise<MessageRow | undefined> {
    return messageByWamid.first(exec, { wamid });
  },

  /** The entry's id alone: not its raw JSON and the rest, which the worker would read for nothing. */
  async findIdByWamid(exec: DbExecutor, wamid: string): Promise<string | undefined> {
    return (await idByWamid.first(exec, { wamid }))?.id;
  },

  /**
   * The entry a status for `wamid` applies to: whose it is and on which number (what an event
   * about it names), with what `applyStatus` needs to skip updates that would change nothing.
   */
  async findStatusTarget(exec: DbExecutor, wamid: string): Promise<StatusTarget | undefined> {
    return statusTargetByWamid.first(exec, { wamid });
  },

  /** Records a status event once per (wamid, status); returns false when it was already known. */
  async addStatusEvent(
    exec: DbExecutor,
    row: MessageStatusTable,
  ): Promise<boolean> {
    return (await insertStatus.changed(exec, row)) > 0;
  },

  /**
   * What a new status changes on its entry: the status moves forward only (the rank comparison
   * is in the statement, so concurrent workers applying statuses in any order converge on the
   * highest one); an entry known only from its statuses sits on the timeline at its earliest
   * status time; the first pricing seen is kept (it arrives on either the sent or the delivered
   * webhook). Three plain statements: a single UPDATE with a CASE per column was tried and
   * measured no faster, rather slower, in two alternating bench:outbound pairs.
   *
   * `current`, the entry as the caller read it (`findStatusTarget`), skips the statements it
   * shows would change nothing: most statuses are for entries whose type is known and whose
   * pricing has arrived. A stale read is safe (StatusState): it can only run a statement that then
   * changes nothing.
   */
  async applyStatus(
    exec: DbExecutor,
    wamid: string,
    change: { status: string; rank: number; waTimestamp: number; pricing: string | null },
    now: number,
    current: StatusState,
  ): Promise<void> {
    const { status, rank, waTimestamp, pricing } = change;
    if (current.status_rank < rank) await raiseStatus.execute(exec, { wamid, status, rank, now });
    if (current.type === 'unknown' && current.wa_timestamp > waTimestamp) await moveUnknownEarlier.execute(exec, { wamid, waTimestamp });
    if (pricing !== null && current.pricing === null) await keepFirstPricing.execute(exec, { wamid, pricing, now });
  },

  async setError(exec: DbExecutor, wamid: string, error: { code: number; title: string; details: string | null }, now: number): Promise<void> {
    await setMessageError.execute(exec, { wamid, ...error, now });
  },

  /** The latest reaction per person and message wins, whatever order they arrive in. */
  async upsertReaction(exec: DbExecutor, row: ReactionRow): Promise<void> {
    await exec
      .insertInto('reactions')
      .values(row)
      .onConflict((oc) =>
        oc
          .columns(['target_wamid', 'contact_id'])
          .doUpdateSet((eb) => ({
            emoji: eb.ref('excluded.emoji'),
            reaction_wamid: eb.ref('excluded.reaction_wamid'),
            wa_timestamp: eb.ref('excluded.wa_timestamp'),
          }))
          // WhatsApp times are in seconds: on a tie the later arrival wins, so a quick removal is not lost.
          .where('reactions.wa_timestamp', '<=', (eb) => eb.ref('excluded.wa_timestamp')),
      )
      .execute();
  },

  async page(
    exec: DbExecutor,
    contactId: string,
    limit: number,
    before: { waTimestamp: number; id: string } | null,
  ): Promise<MessageRow[]> {
    let query = exec
      .selectFrom('messages')
      .selectAll()
      .where('contact_id', '=', contactId)
      .orderBy('wa_timestamp', 'desc')
      .orderBy('id', 'desc')
      .limit(limit);
    if (before) {
      query = query.where((eb) =>
        eb.or([
          eb('wa_timestamp', '<', before.waTimestamp),
          eb.and([eb('wa_timestamp', '=', before.waTimestamp), eb('id', '<', before.id)]),
        ]),
      );
    }
    return query.execute();
  },

  async reactionsFor(exec: DbExecutor, wamids: string[]): Promise<ReactionRow[]> {
    if (wamids.length === 0) return [];
    return exec.selectFrom('reactions').selectAll().where('target_wamid', 'in', wamids).where('emoji', 'is not', null).execute();
  },

  async moveToContact(exec: DbExecutor, fromContactId: string, toContactId: string): Promise<void> {
    await exec.updateTable('messages').set({ contact_id: toContactId }).where('contact_id', '=', fromContactId).execute();
    // A person has one reaction per message; if both contacts reacted, the survivor's stays.
    const kept = await exec.selectFrom('reactions').select('target_wamid').where('contact_id', '=', toContactId).execute();
    let moving = exec.updateTable('reactions').set({ contact_id: toContactId }).where('contact_id', '=', fromContactId);
    if (kept.length > 0) moving = moving.where('target_wamid', 'not in', kept.map((r) => r.target_wamid));
    await moving.execute();
    await exec.deleteFrom('reactions').where('contact_id', '=', fromContactId).execute();
  },
};
