import type { DbExecutor } from '../../db/database.js';
import type { ConversationTable } from '../../db/inbox-tables.js';
import { everyColumn, preparedQuery } from '../../db/prepared-query.js';
import type { ConversationCore, ConversationState } from './core/conversation-state.js';

export type Conversation = ConversationCore & { id: string; contactId: string; phoneNumberId: string; createdAt: number; updatedAt: number };

export function toConversation(row: ConversationTable): Conversation {
  return {
    id: row.id,
    contactId: row.contact_id,
    phoneNumberId: row.business_phone_number_id,
    state: row.state,
    assigneeId: row.assignee_id,
    unread: Number(row.unread_count),
    lastMessage:
      row.last_message_at === null
        ? null
        : { text: row.last_message_text, direction: row.last_message_direction ?? 'inbound', type: row.last_message_type ?? 'text', at: Number(row.last_message_at) },
    lastInboundAt: row.last_inbound_at === null ? null : Number(row.last_inbound_at),
    resolvedAt: row.resolved_at === null ? null : Number(row.resolved_at),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function toColumns(core: ConversationCore): Omit<ConversationTable, 'id' | 'contact_id' | 'business_phone_number_id' | 'created_at' | 'updated_at'> {
  return {
    state: core.state,
    assignee_id: core.assigneeId,
    unread_count: core.unread,
    last_message_text: core.lastMessage?.text ?? null,
    last_message_direction: core.lastMessage?.direction ?? null,
    last_message_type: core.lastMessage?.type ?? null,
    last_message_at: core.lastMessage?.at ?? null,
    last_inbound_at: core.lastInboundAt,
    resolved_at: core.resolvedAt,
  };
}

type ConversationColumns = ReturnType<typeof toColumns>;
const STATE_COLUMNS: Record<keyof ConversationColumns, true> = {
  state: true,
  assignee_id: true,
  unread_count: true,
  last_message_text: true,
  last_message_direction: true,
  last_message_type: true,
  last_message_at: true,
  last_inbound_at: true,
  resolved_at: true,
};
const ALL_COLUMNS: Record<keyof ConversationTable, true> = { ...STATE_COLUMNS, id: true, contact_id: true, business_phone_number_id: true, created_at: true, updated_at: true };

// Every message in or out reads and writes its conversation: prepared once (src/db/prepared-query.ts).
const conversationByKey = preparedQuery((db, v: { contactId: string; phoneNumberId: string }) =>
  db.selectFrom('conversations').selectAll().where('contact_id', '=', v.contactId).where('business_phone_number_id', '=', v.phoneNumberId),
);
const insertConversation = preparedQuery((db, v: ConversationTable) =>
  db.insertInto('conversations').values(everyColumn(v, ALL_COLUMNS)).onConflict((oc) => oc.columns(['contact_id', 'business_phone_number_id']).doNothing()),
);
const saveConversation = preparedQuery((db, v: ConversationColumns & { updated_at: number; id: string }) =>
  db.updateTable('conversations').set({ ...everyColumn<ConversationColumns>(v, STATE_COLUMNS), updated_at: v.updated_at }).where('id', '=', v.id),
);

export const conversationRepository = {
  async findById(exec: DbExecutor, id: string): Promise<Conversation | undefined> {
    const row = await exec.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toConversation(row);
  },

  async findByKey(exec: DbExecutor, contactId: string, phoneNumberId: string): Promise<Conversation | undefined> {
    const row = await conversationByKey.first(exec, { contactId, phoneNumberId });
    return row && toConversation(row);
  },

  /** The contact's conversations, most recently active first. */
  async findByContact(exec: DbExecutor, contactId: string): Promise<Conversation[]> {
    const rows = await exec.selectFrom('conversations').selectAll().where('contact_id', '=', contactId).orderBy('updated_at', 'desc').execute();
    return rows.map(toConversation);
  },

  /**
   * Inserts the conversation unless one exists for its contact and number; undefined when one did
   * (another worker created it concurrently: the caller applies its change to that one instead).
   */
  async insert(exec: DbExecutor, key: { id: string; contactId: string; phoneNumberId: string }, core: ConversationCore, now: number): Promise<Conversation | undefined> {
    const added = await insertConversation.changed(exec, { id: key.id, contact_id: key.contactId, business_phone_number_id: key.phoneNumberId, ...toColumns(core), created_at: now, updated_at: now });
    if (added === 0) return undefined;
    return { ...core, ...key, createdAt: now, updatedAt: now };
  },

  /** `touch: false` keeps the list order (marking as read is not activity). */
  async save(exec: DbExecutor, conversation: Conversation, core: ConversationCore, now: number, touch = true): Promise<Conversation> {
    const updatedAt = touch ? Math.max(now, conversation.updatedAt) : conversation.updatedAt;
    await saveConversation.execute(exec, { ...toColumns(core), updated_at: updatedAt, id: conversation.id });
    return { ...conversation, ...core, updatedAt };
  },

  /** Open conversations per user, for limits and the fewest-open rule. */
  async openCounts(exec: DbExecutor): Promise<Map<string, number>> {
    const rows = await exec
      .selectFrom('conversations')
      .select(['assignee_id', (eb) => eb.fn.countAll<number>().as('count')])
      .where('state', '=', 'open' satisfies ConversationState)
      .where('assignee_id', 'is not', null)
      .groupBy('assignee_id')
      .execute();
    return new Map(rows.map((r) => [r.assignee_id!, Number(r.count)]));
  },

  async recordAssignment(
    exec: DbExecutor,
    entry: { id: string; conversationId: string; from: string | null; to: string | null; actor: string; reason: string; at: number },
  ): Promise<void> {
    await exec
      .insertInto('conversation_assignments')
      .values({ id: entry.id, conversation_id: entry.conversationId, from_user_id: entry.from, to_user_id: entry.to, actor: entry.actor, reason: entry.reason, at: entry.at })
      .execute();
  },

  async assignments(exec: DbExecutor, conversationId: string) {
    return exec.selectFrom('conversation_assignments').selectAll().where('conversation_id', '=', conversationId).orderBy('at').orderBy('id').execute();
  },

  async replaceTags(exec: DbExecutor, contactId: string, tags: readonly string[]): Promise<void> {
    await exec.deleteFrom('inbox_contact_tags').where('contact_id', '=', contactId).execute();
    const unique = [...new Set(tags.map((t) => t.trim()).filter((t) => t.length > 0))];
    if (unique.length > 0) await exec.insertInto('inbox_contact_tags').values(unique.map((tag) => ({ contact_id: contactId, tag }))).execute();
  },

  async tagsOf(exec: DbExecutor, contactIds: readonly string[]): Promise<Map<string, string[]>> {
    const tags = new Map<string, string[]>();
    if (contactIds.length === 0) return tags;
    const rows = await exec.selectFrom('inbox_contact_tags').select(['contact_id', 'tag']).where('contact_id', 'in', [...new Set(contactIds)]).orderBy('tag').execute();
    for (const row of rows) tags.set(row.contact_id, [...(tags.get(row.contact_id) ?? []), row.tag]);
    return tags;
  },
};
