import { sql, type SqlBool } from 'kysely';
import type { DbExecutor } from '../../db/database.js';
import type { ConversationTable } from '../../db/inbox-tables.js';
import { AppError, err, ok, type Result } from '../../platform/errors.js';
import type { ConversationState } from './core/conversation-state.js';
import { conversationRepository, toConversation } from './conversation.repository.js';

/** Meta's customer-service window: free-form replies for 24 hours after the customer's last message. */
const SERVICE_WINDOW_MS = 24 * 60 * 60 * 1000;

/** A conversation as the inbox UI shows it (times are epoch milliseconds). */
export type ConversationView = {
  id: string;
  contact: { id: string; name: string | null; phone: string | null; profileName: string | null; tags: string[]; locale: string | null };
  phoneNumberId: string;
  state: ConversationState;
  assignee: { id: string; name: string } | null;
  lastMessage: { text: string | null; direction: 'inbound' | 'outbound'; type: string; at: number } | null;
  unread: number;
  window: { open: boolean; closesAt: number | null };
  createdAt: number;
  updatedAt: number;
};

export type ConversationQuery = {
  view: 'mine' | 'unassigned' | 'all';
  state?: ConversationState | undefined;
  phoneNumberId?: string | undefined;
  tag?: string | undefined;
  q?: string | undefined;
  cursor?: string | undefined;
  limit: number;
};

type Row = ConversationTable & {
  contact_name: string | null;
  contact_phone: string | null;
  contact_profile_name: string | null;
  contact_locale: string | null;
  assignee_name: string | null;
};

function baseQuery(exec: DbExecutor) {
  return exec
    .selectFrom('conversations as c')
    .innerJoin('contacts as k', 'k.id', 'c.contact_id')
    .leftJoin('users as u', 'u.id', 'c.assignee_id')
    .selectAll('c')
    .select(['k.name as contact_name', 'k.phone as contact_phone', 'k.profile_name as contact_profile_name', 'k.locale as contact_locale', 'u.name as assignee_name']);
}

async function toViews(exec: DbExecutor, rows: Row[], now: number): Promise<ConversationView[]> {
  const tags = await conversationRepository.tagsOf(exec, rows.map((r) => r.contact_id));
  return rows.map((row) => {
    const c = toConversation(row);
    const closesAt = c.lastInboundAt === null ? null : c.lastInboundAt + SERVICE_WINDOW_MS;
    return {
      id: c.id,
      contact: {
        id: c.contactId,
        name: row.contact_name,
        phone: row.contact_phone,
        profileName: row.contact_profile_name,
        tags: tags.get(c.contactId) ?? [],
        locale: row.contact_locale,
      },
      phoneNumberId: c.phoneNumberId,
      state: c.state,
      assignee: c.assigneeId === null ? null : { id: c.assigneeId, name: row.assignee_name ?? 'Former user' },
      lastMessage: c.lastMessage,
      unread: c.unread,
      window: { open: closesAt !== null && now < closesAt, closesAt },
      createdAt: c.createdAt,
      updatedAt: c.updatedAt,
    };
  });
}

export async function getConversationView(exec: DbExecutor, id: string, now: number): Promise<ConversationView | undefined> {
  const row = await baseQuery(exec).where('c.id', '=', id).executeTakeFirst();
  return row ? (await toViews(exec, [row], now))[0] : undefined;
}

const encodeCursor = (row: { updated_at: number; id: string }) => Buffer.from(`${Number(row.updated_at)}:${row.id}`).toString('base64url');

function decodeCursor(cursor: string): { updatedAt: number; id: string } | null {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^(\d{1,16}):(.+)$/.exec(text);
  return match ? { updatedAt: Number(match[1]), id: match[2]! } : null;
}

/** `%`, `_` and the escape character itself match literally in what the user typed. */
const likePattern = (q: string) => `%${q.toLowerCase().replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;

/**
 * The inbox lists, most recently active first, in pages. `q` is a case-insensitive substring
 * search (LIKE) over the contact's name, profile name, phone and message texts: a scan, fine for
 * tens of thousands of messages; a full-text index is the next step beyond that.
 */
export async function listConversations(exec: DbExecutor, query: ConversationQuery, viewer: string, now: number): Promise<Result<{ items: ConversationView[]; next: string | null }>> {
  let select = baseQuery(exec);
  if (query.view === 'mine') select = select.where('c.assignee_id', '=', viewer);
  if (query.view === 'unassigned') select = select.where('c.assignee_id', 'is', null);
  if (query.state) select = select.where('c.state', '=', query.state);
  if (query.phoneNumberId) select = select.where('c.business_phone_number_id', '=', query.phoneNumberId);
  if (query.tag) {
    const tag = query.tag;
    select = select.where((eb) =>
      eb.exists(eb.selectFrom('inbox_contact_tags as t').select('t.tag').whereRef('t.contact_id', '=', 'c.contact_id').where('t.tag', '=', tag)),
    );
  }
  if (query.q && query.q.trim().length > 0) {
    const pattern = likePattern(query.q.trim());
    const digits = query.q.replace(/\D/g, '');
    // ESCAPE spelled out: SQLite has no default escape character for LIKE.
    const like = (column: 'k.name' | 'k.profile_name' | 'm.text') => sql<SqlBool>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`;
    select = select.where((eb) =>
      eb.or([
        like('k.name'),
        like('k.profile_name'),
        ...(digits.length >= 3 ? [eb('k.phone', 'like', `%${digits}%`)] : []),
        eb.exists(eb.selectFrom('messages as m').select('m.id').whereRef('m.contact_id', '=', 'c.contact_id').where(like('m.text'))),
      ]),
    );
  }
  if (query.cursor) {
    const after = decodeCursor(query.cursor);
    if (!after) return err(new AppError('CONVERSATION_CURSOR_INVALID', 'The cursor is not one this API gave.'));
    select = select.where((eb) => eb.or([eb('c.updated_at', '<', after.updatedAt), eb.and([eb('c.updated_at', '=', after.updatedAt), eb('c.id', '<', after.id)])]));
  }
  const rows = await select.orderBy('c.updated_at', 'desc').orderBy('c.id', 'desc').limit(query.limit + 1).execute();
  const page = rows.slice(0, query.limit);
  const next = rows.length > query.limit ? encodeCursor(page[page.length - 1]!) : null;
  return ok({ items: await toViews(exec, page, now), next });
}
