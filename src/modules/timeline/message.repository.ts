import type { DbExecutor, MessageTable, ReactionTable } from '../../db/database.js';

export type MessageRow = MessageTable;
export type ReactionRow = ReactionTable;
export type EntryOwner = Pick<MessageRow, 'id' | 'contact_id' | 'business_phone_number_id'>;

/** Messages keyed by wamid: inserting one that exists changes nothing. */
export const messageRepository = {
  /** Returns whether the row was added (false: a row with its wamid was there already). */
  async insertIfAbsent(exec: DbExecutor, row: MessageRow): Promise<boolean> {
    const result = await exec.insertInto('messages').values(row).onConflict((oc) => oc.column('wamid').doNothing()).executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  },

  async findByWamid(exec: DbExecutor, wamid: string): Promise<MessageRow | undefined> {
    return exec.selectFrom('messages').selectAll().where('wamid', '=', wamid).executeTakeFirst();
  },

  /** The entry's id alone: not its raw JSON and the rest, which the worker would read for nothing. */
  async findIdByWamid(exec: DbExecutor, wamid: string): Promise<string | undefined> {
    return (await exec.selectFrom('messages').select('id').where('wamid', '=', wamid).executeTakeFirst())?.id;
  },

  /** The entry's id, whose it is and on which number: what an event about it names. */
  async findOwnerByWamid(exec: DbExecutor, wamid: string): Promise<EntryOwner | undefined> {
    return exec.selectFrom('messages').select(['id', 'contact_id', 'business_phone_number_id']).where('wamid', '=', wamid).executeTakeFirst();
  },

  /** Records a status event once per (wamid, status); returns false when it was already known. */
  async addStatusEvent(
    exec: DbExecutor,
    row: { wamid: string; status: string; wa_timestamp: number; errors: string | null; pricing: string | null; received_at: number },
  ): Promise<boolean> {
    const result = await exec
      .insertInto('message_statuses')
      .values(row)
      .onConflict((oc) => oc.columns(['wamid', 'status']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  },

  /**
   * What a new status changes on its entry: the status moves forward only (the rank comparison
   * is in the statement, so concurrent workers applying statuses in any order converge on the
   * highest one); an entry known only from its statuses sits on the timeline at its earliest
   * status time; the first pricing seen is kept (it arrives on either the sent or the delivered
   * webhook). Three plain statements: a single UPDATE with a CASE per column was tried and
   * measured no faster, rather slower, in two alternating bench:outbound pairs.
   */
  async applyStatus(
    exec: DbExecutor,
    wamid: string,
    change: { status: string; rank: number; waTimestamp: number; pricing: string | null },
    now: number,
  ): Promise<void> {
    const { status, rank, waTimestamp, pricing } = change;
    await exec.updateTable('messages').set({ status, status_rank: rank, updated_at: now }).where('wamid', '=', wamid).where('status_rank', '<', rank).execute();
    await exec
      .updateTable('messages')
      .set({ wa_timestamp: waTimestamp })
      .where('wamid', '=', wamid)
      .where('type', '=', 'unknown')
      .where('wa_timestamp', '>', waTimestamp)
      .execute();
    if (pricing !== null) {
      await exec.updateTable('messages').set({ pricing, updated_at: now }).where('wamid', '=', wamid).where('pricing', 'is', null).execute();
    }
  },

  async setError(exec: DbExecutor, wamid: string, error: { code: number; title: string; details: string | null }, now: number): Promise<void> {
    await exec
      .updateTable('messages')
      .set({ error_code: error.code, error_title: error.title, error_details: error.details, updated_at: now })
      .where('wamid', '=', wamid)
      .execute();
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
