import type { DbExecutor } from '../../db/database.js';

export type QuickReply = { id: string; shortcut: string; text: string };

export const quickReplyRepository = {
  async list(exec: DbExecutor): Promise<QuickReply[]> {
    return exec.selectFrom('quick_replies').select(['id', 'shortcut', 'text']).orderBy('shortcut').execute();
  },

  /** false when the shortcut is taken (unique). */
  async insert(exec: DbExecutor, reply: QuickReply, now: number): Promise<boolean> {
    const result = await exec
      .insertInto('quick_replies')
      .values({ ...reply, created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('shortcut').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  },

  async delete(exec: DbExecutor, id: string): Promise<boolean> {
    const result = await exec.deleteFrom('quick_replies').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  },
};
