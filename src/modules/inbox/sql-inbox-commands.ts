import type { DbExecutor } from '../../db/database.js';
import { reopen } from './core/conversation-state.js';
import { addNote } from './add-note.js';
import { assignConversation, pickByRules, type InboxDeps } from './assign-conversation.js';
import { conversationRepository, type Conversation } from './conversation.repository.js';
import type { InboxCommands } from './inbox-commands.js';
import { userRepository } from './user.repository.js';

/** The contact's conversation on that number; without a number, their most recently active one. */
async function conversationOf(exec: DbExecutor, contactId: string, phoneNumberId: string | null): Promise<Conversation | undefined> {
  if (phoneNumberId !== null) return conversationRepository.findByKey(exec, contactId, phoneNumberId);
  return (await conversationRepository.findByContact(exec, contactId))[0];
}

/** What automation may do to the inbox, in its own transaction. */
export function sqlInboxCommands(deps: InboxDeps): InboxCommands {
  return {
    async assign(exec, command) {
      let conversation = await conversationOf(exec, command.contactId, command.phoneNumberId);
      if (!conversation) {
        if (command.phoneNumberId === null) return;
        // Automation may route a contact before they ever wrote on this number.
        const key = { id: deps.ids.next(), contactId: command.contactId, phoneNumberId: command.phoneNumberId };
        const empty = { state: 'open', assigneeId: null, unread: 0, lastMessage: null, lastInboundAt: null, resolvedAt: null } as const;
        conversation = (await conversationRepository.insert(exec, key, empty, deps.clock.now())) ?? (await conversationOf(exec, command.contactId, command.phoneNumberId))!;
      }
      let to: string | null;
      let reason = 'automation';
      if (command.userId === undefined) {
        const pick = await pickByRules(exec, { ...deps, strategy: deps.strategy === 'manual' ? 'round_robin' : deps.strategy }, command.contactId);
        if (pick.userId === null) return;
        to = pick.userId;
        reason = pick.reason;
      } else if (command.userId === null) {
        to = null;
      } else {
        const user = await userRepository.findById(exec, command.userId);
        if (!user?.active) return;
        to = user.id;
      }
      const saved = await assignConversation(exec, deps, conversation, to, { actor: 'automation', reason });
      await deps.bus.publish(exec, [{ event: 'conversation', data: { conversationId: saved.id } }]);
    },

    async reopenAndAlert(exec, command) {
      const conversation = await conversationOf(exec, command.contactId, command.phoneNumberId);
      if (!conversation) return;
      const next = reopen(conversation);
      const saved = next ? await conversationRepository.save(exec, conversation, next, deps.clock.now()) : conversation;
      await addNote(exec, deps, { conversationId: saved.id, author: null, body: command.reason });
      await deps.bus.publish(exec, [
        { event: 'conversation', data: { conversationId: saved.id } },
        { event: 'alert', data: { conversationId: saved.id, userId: saved.assigneeId, reason: command.reason.slice(0, 500) } },
      ]);
    },
  };
}
