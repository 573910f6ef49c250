import type { DbExecutor } from '../../db/database.js';
import { messageRepository } from '../timeline/index.js';
import type { DomainEvent, DomainEventOf, EventSubscriber } from '../events/index.js';
import { receiveInbound, recordOutbound, type Change } from './core/conversation-state.js';
import { assignByRules, assignConversation, pickByRules, type InboxDeps } from './assign-conversation.js';
import { conversationRepository, type Conversation } from './conversation.repository.js';
import type { LiveSignalInput } from './live/live-signal.js';
import { userRepository } from './user.repository.js';

export const INBOX_SUBSCRIBER = 'inbox';

/**
 * Applies `apply` to the conversation of (contact, number), creating it when there is none. Two
 * workers may create one concurrently (PostgreSQL): the loser applies its change to the winner's.
 */
async function upsert(
  exec: DbExecutor,
  deps: InboxDeps,
  key: { contactId: string; phoneNumberId: string },
  apply: (current: Conversation | null) => Change,
): Promise<{ conversation: Conversation; change: Change }> {
  const now = deps.clock.now();
  for (;;) {
    const current = await conversationRepository.findByKey(exec, key.contactId, key.phoneNumberId);
    const change = apply(current ?? null);
    if (current) return { conversation: await conversationRepository.save(exec, current, change.next, now), change };
    const created = await conversationRepository.insert(exec, { id: deps.ids.next(), ...key }, change.next, now);
    if (created) return { conversation: created, change };
  }
}

async function onReceived(exec: DbExecutor, deps: InboxDeps, event: DomainEventOf<'message.received'>): Promise<LiveSignalInput[]> {
  const key = { contactId: event.contactId, phoneNumberId: event.businessPhoneNumberId ?? '' };
  const stored = await upsert(exec, deps, key, (current) => receiveInbound(current, { text: event.text ?? event.reply?.title ?? null, type: event.messageType, at: event.occurredAt }));
  const change = stored.change;
  let conversation = stored.conversation;
  const owner = change.reopened && conversation.assigneeId !== null ? await userRepository.findById(exec, conversation.assigneeId) : undefined;
  if (change.needsAssignment) conversation = await assignByRules(exec, deps, conversation);
  else if (owner && !owner.active) {
    // Its owner left the team: the rules find someone else, or it waits in "unassigned".
    const pick = await pickByRules(exec, deps, conversation.contactId);
    conversation = await assignConversation(exec, deps, conversation, pick.userId, { actor: 'rules', reason: pick.reason });
  } else if (owner) {
    // Back to its owner: recorded so that the history shows why they have it again.
    await conversationRepository.recordAssignment(exec, {
      id: deps.ids.next(),
      conversationId: conversation.id,
      from: conversation.assigneeId,
      to: conversation.assigneeId,
      actor: 'rules',
      reason: 'reopened',
      at: deps.clock.now(),
    });
  }
  const messageId = await messageRepository.findIdByWamid(exec, event.wamid);
  return [
    { event: 'message', data: { conversationId: conversation.id, contactId: event.contactId, wamid: event.wamid, direction: 'inbound', ...(messageId ? { messageId } : {}) } },
    { event: 'conversation', data: { conversationId: conversation.id } },
  ];
}

async function onQueued(exec: DbExecutor, deps: InboxDeps, event: DomainEventOf<'message.queued'>): Promise<LiveSignalInput[]> {
  const key = { contactId: event.contactId, phoneNumberId: event.businessPhoneNumberId };
  const { conversation } = await upsert(exec, deps, key, (current) => recordOutbound(current, { text: event.text ?? event.templateName, type: event.messageType, at: event.occurredAt }));
  return [
    { event: 'message', data: { conversationId: conversation.id, contactId: event.contactId, messageId: event.messageId, direction: 'outbound' } },
    { event: 'conversation', data: { conversationId: conversation.id } },
  ];
}

function onStatus(event: DomainEventOf<'message.status'>): LiveSignalInput[] {
  return [
    {
      event: 'status',
      data: {
        conversationId: null,
        contactId: event.contactId,
        phoneNumberId: event.businessPhoneNumberId,
        wamid: event.wamid,
        status: event.status,
        ...(event.outboundMessageId ? { messageId: event.outboundMessageId } : {}),
        ...(event.errors.length > 0 ? { errors: event.errors } : {}),
      },
    },
  ];
}

/** Something about the contact changed that the conversation shows (consent, tags): its views are refreshed. */
async function refreshContact(exec: DbExecutor, contactId: string, phoneNumberId: string | null): Promise<LiveSignalInput[]> {
  const conversations = await conversationRepository.findByContact(exec, contactId);
  return conversations
    .filter((c) => phoneNumberId === null || c.phoneNumberId === phoneNumberId)
    .map((c) => ({ event: 'conversation', data: { conversationId: c.id } }) as const);
}

/**
 * Keeps conversations current from the domain events (in the transaction of its job, so a
 * conversation never disagrees with the timeline for long) and publishes the live signals in
 * the same transaction: browsers hear of a change once it is committed.
 */
export function inboxSubscriber(deps: InboxDeps): EventSubscriber {
  const signalsFor = async (exec: DbExecutor, event: DomainEvent): Promise<LiveSignalInput[]> => {
    switch (event.type) {
      case 'message.received':
        return onReceived(exec, deps, event);
      case 'message.queued':
        return onQueued(exec, deps, event);
      case 'message.status':
        return onStatus(event);
      case 'consent.changed':
        return refreshContact(exec, event.contactId, event.businessPhoneNumberId);
      case 'crm.person_changed':
        await conversationRepository.replaceTags(exec, event.contactId, event.tags);
        return refreshContact(exec, event.contactId, null);
    }
  };
  return {
    name: INBOX_SUBSCRIBER,
    handles: ['message.received', 'message.queued', 'message.status', 'consent.changed', 'crm.person_changed'],
    // In the transaction of the change itself: a status costs no job of its own, and the
    // conversation commits together with the message that moved it.
    delivery: 'inline',
    mode: 'transaction',
    async handle(event, ctx) {
      await deps.bus.publish(ctx.trx, await signalsFor(ctx.trx, event));
    },
  };
}
