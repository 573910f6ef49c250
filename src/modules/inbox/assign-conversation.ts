import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { DbExecutor } from '../../db/database.js';
import type { Clock } from '../../platform/clock.js';
import type { IdGenerator } from '../../platform/ids.js';
import { contactRepository } from '../contacts/index.js';
import { chooseAssignee, languageOf, type AssignmentStrategy, type Candidate } from './core/assignment.js';
import type { ConversationCore } from './core/conversation-state.js';
import { conversationRepository, type Conversation } from './conversation.repository.js';
import type { LiveBus } from './live/live-bus.js';
import { isOnline, userRepository } from './user.repository.js';

export type InboxDeps = {
  clock: Clock;
  ids: IdGenerator;
  bus: LiveBus;
  strategy: AssignmentStrategy;
};

/** Who the rules give the conversation to, from the active users, who is online, their load and the contact. */
export async function pickByRules(exec: DbExecutor, deps: InboxDeps, contactId: string): Promise<{ userId: string | null; reason: string }> {
  if (deps.strategy === 'manual') return { userId: null, reason: 'manual' };
  const now = deps.clock.now();
  const [users, counts, contact, tags] = [
    await userRepository.list(exec),
    await conversationRepository.openCounts(exec),
    await contactRepository.findById(exec, contactId),
    await conversationRepository.tagsOf(exec, [contactId]),
  ];
  const candidates: Candidate[] = users
    .filter((u) => u.active)
    .map((u) => ({
      id: u.id,
      online: isOnline(u, now),
      skills: u.skills,
      languages: u.languages,
      regions: u.regions,
      openCount: counts.get(u.id) ?? 0,
      maxOpen: u.maxOpen,
      lastAssignedAt: u.lastAssignedAt,
    }));
  const region = contact?.phone ? (parsePhoneNumberFromString(contact.phone)?.country ?? null) : null;
  const userId = chooseAssignee(deps.strategy, { language: languageOf(contact?.locale ?? null), region, tags: tags.get(contactId) ?? [] }, candidates);
  return { userId, reason: deps.strategy };
}

/**
 * Gives the conversation to `to` (null: nobody), records the hand-over in its history and moves
 * the round-robin turn. Returns the conversation as saved; unchanged when `to` already has it.
 */
export async function assignConversation(
  exec: DbExecutor,
  deps: InboxDeps,
  conversation: Conversation,
  to: string | null,
  by: { actor: string; reason: string },
): Promise<Conversation> {
  if (conversation.assigneeId === to) return conversation;
  const now = deps.clock.now();
  const core: ConversationCore = { ...conversation, assigneeId: to, unread: conversation.unread };
  const saved = await conversationRepository.save(exec, conversation, core, now);
  await conversationRepository.recordAssignment(exec, { id: deps.ids.next(), conversationId: conversation.id, from: conversation.assigneeId, to, actor: by.actor, reason: to === null ? 'unassigned' : by.reason, at: now });
  if (to !== null) await userRepository.markAssigned(exec, to, now);
  return saved;
}

/** Lets the rules pick an owner and records it; a conversation nobody is eligible for stays unassigned. */
export async function assignByRules(exec: DbExecutor, deps: InboxDeps, conversation: Conversation): Promise<Conversation> {
  const pick = await pickByRules(exec, deps, conversation.contactId);
  if (pick.userId === null) return conversation;
  return assignConversation(exec, deps, conversation, pick.userId, { actor: 'rules', reason: pick.reason });
}
