import type { DbExecutor } from '../../db/database.js';
import type { InboxDeps } from './assign-conversation.js';
import { noteRepository, type NoteView } from './note.repository.js';

/** Adds an internal note (never sent to the customer) and tells every inbox. `author` null: automation. */
export async function addNote(exec: DbExecutor, deps: InboxDeps, input: { conversationId: string; author: { id: string; name: string } | null; body: string }): Promise<NoteView> {
  const note = await noteRepository.insert(exec, {
    id: deps.ids.next(),
    conversationId: input.conversationId,
    authorId: input.author?.id ?? null,
    authorName: input.author?.name ?? 'Automation',
    body: input.body,
    at: deps.clock.now(),
  });
  await deps.bus.publish(exec, [{ event: 'note', data: { conversationId: input.conversationId, noteId: note.id } }]);
  return note;
}
