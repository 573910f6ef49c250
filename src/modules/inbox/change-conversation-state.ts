import type { DbExecutor } from '../../db/database.js';
import { changeState, type ConversationState } from './core/conversation-state.js';
import type { InboxDeps } from './assign-conversation.js';
import { conversationRepository, type Conversation } from './conversation.repository.js';

/** Moves the ticket to `state` (a repeat changes nothing) and tells every inbox. */
export async function changeConversationState(exec: DbExecutor, deps: InboxDeps, conversation: Conversation, state: ConversationState): Promise<Conversation> {
  const next = changeState(conversation, state, deps.clock.now());
  if (next === null) return conversation;
  const saved = await conversationRepository.save(exec, conversation, next, deps.clock.now());
  await deps.bus.publish(exec, [{ event: 'conversation', data: { conversationId: saved.id } }]);
  return saved;
}
