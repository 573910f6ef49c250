import type { DbExecutor, DeadLetterSource, DeadLetterTable } from '../db/database.js';

export type DeadLetter = DeadLetterTable;

export type NewDeadLetter = {
  id: string;
  source: DeadLetterSource;
  code: string;
  reason: string;
  body: string;
  createdAt: number;
};

/** The dead-letter store: what could not be processed, kept for inspection and replay. */
export const deadLetterRepository = {
  async insert(exec: DbExecutor, letter: NewDeadLetter): Promise<void> {
    await exec
      .insertInto('dead_letters')
      .values({
        id: letter.id,
        source: letter.source,
        code: letter.code,
        reason: letter.reason,
        body: letter.body,
        job_id: null,
        job_name: null,
        created_at: letter.createdAt,
        replayed_at: null,
      })
      .execute();
  },

  async list(exec: DbExecutor, options: { includeReplayed: boolean; limit: number }): Promise<DeadLetter[]> {
    let query = exec.selectFrom('dead_letters').selectAll().orderBy('created_at', 'desc').orderBy('id').limit(options.limit);
    if (!options.includeReplayed) query = query.where('replayed_at', 'is', null);
    return query.execute();
  },

  async get(exec: DbExecutor, id: string): Promise<DeadLetter | undefined> {
    return exec.selectFrom('dead_letters').selectAll().where('id', '=', id).executeTakeFirst();
  },

  async markReplayed(exec: DbExecutor, id: string, at: number): Promise<void> {
    await exec.updateTable('dead_letters').set({ replayed_at: at }).where('id', '=', id).execute();
  },

  async count(exec: DbExecutor): Promise<number> {
    const row = await exec
      .selectFrom('dead_letters')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('replayed_at', 'is', null)
      .executeTakeFirst();
    return Number(row?.count ?? 0);
  },
};
