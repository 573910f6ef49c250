import type { DbExecutor } from '../../db/database.js';
import type { ConversationNoteTable } from '../../db/inbox-tables.js';

/** An internal note on a conversation: for the team, never sent to the customer. */
export type NoteView = { id: string; conversationId: string; body: string; author: { id: string; name: string }; createdAt: number };

/** Notes written by automation (reopenAndAlert) have no user behind them. */
export const AUTOMATION_AUTHOR = { id: 'automation', name: 'Automation' } as const;

const toNote = (row: ConversationNoteTable): NoteView => ({
  id: row.id,
  conversationId: row.conversation_id,
  body: row.body,
  author: row.author_id === null ? { ...AUTOMATION_AUTHOR } : { id: row.author_id, name: row.author_name },
  createdAt: Number(row.created_at),
});

export const noteRepository = {
  async insert(exec: DbExecutor, note: { id: string; conversationId: string; authorId: string | null; authorName: string; body: string; at: number }): Promise<NoteView> {
    const row: ConversationNoteTable = {
      id: note.id,
      conversation_id: note.conversationId,
      author_id: note.authorId,
      author_name: note.authorName,
      body: note.body,
      created_at: note.at,
    };
    await exec.insertInto('conversation_notes').values(row).execute();
    return toNote(row);
  },

  async findById(exec: DbExecutor, id: string): Promise<NoteView | undefined> {
    const row = await exec.selectFrom('conversation_notes').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toNote(row);
  },

  async list(exec: DbExecutor, conversationId: string): Promise<NoteView[]> {
    const rows = await exec.selectFrom('conversation_notes').selectAll().where('conversation_id', '=', conversationId).orderBy('created_at').orderBy('id').execute();
    return rows.map(toNote);
  },
};
