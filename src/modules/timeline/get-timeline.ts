import type { DbExecutor } from '../../db/database.js';
import { AppError, err, ok, type Result } from '../../platform/errors.js';
import { messageRepository, type MessageRow, type ReactionRow } from './message.repository.js';

export type TimelineEntry = {
  id: string;
  /** null while an outbound message waits in the outbox. */
  wamid: string | null;
  direction: 'inbound' | 'outbound';
  type: string;
  text: string | null;
  status: string | null;
  error: { code: number; title: string; details: string | null } | null;
  /** ISO 8601, WhatsApp's own time. */
  timestamp: string;
  media: unknown;
  content: unknown;
  context: unknown;
  referral: unknown;
  pricing: unknown;
  reactions: { emoji: string; from: 'contact'; timestamp: string }[];
};

export type TimelinePage = { data: TimelineEntry[]; nextCursor: string | null };

const parse = (value: string | null): unknown => (value === null ? null : JSON.parse(value));

function toEntry(row: MessageRow, reactions: ReactionRow[]): TimelineEntry {
  return {
    id: row.id,
    wamid: row.wamid,
    direction: row.direction,
    type: row.type,
    text: row.text,
    status: row.status,
    error: row.error_code === null ? null : { code: row.error_code, title: row.error_title ?? '', details: row.error_details },
    timestamp: new Date(Number(row.wa_timestamp)).toISOString(),
    media: parse(row.media),
    content: parse(row.content),
    context: parse(row.context),
    referral: parse(row.referral),
    pricing: parse(row.pricing),
    reactions: reactions.map((r) => ({ emoji: r.emoji ?? '', from: 'contact' as const, timestamp: new Date(Number(r.wa_timestamp)).toISOString() })),
  };
}

function encodeCursor(row: MessageRow): string {
  return Buffer.from(JSON.stringify([Number(row.wa_timestamp), row.id])).toString('base64url');
}

function decodeCursor(cursor: string): { waTimestamp: number; id: string } | null {
  try {
    const [waTimestamp, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    return typeof waTimestamp === 'number' && typeof id === 'string' ? { waTimestamp, id } : null;
  } catch {
    return null;
  }
}

/**
 * A page of a contact's timeline, newest last. Without a cursor it is the latest `limit` entries;
 * `nextCursor` fetches the entries before them (like scrolling up in a chat), null at the start.
 */
export async function getTimeline(exec: DbExecutor, contactId: string, options: { limit: number; cursor?: string }): Promise<Result<TimelinePage>> {
  const before = options.cursor === undefined ? null : decodeCursor(options.cursor);
  if (options.cursor !== undefined && before === null) return err(new AppError('TIMELINE_CURSOR_INVALID', 'The cursor is not one this API returned.'));
  const rows = await messageRepository.page(exec, contactId, options.limit + 1, before);
  const hasMore = rows.length > options.limit;
  const oldestFirst = rows.slice(0, options.limit).reverse();
  const reactions = await messageRepository.reactionsFor(
    exec,
    oldestFirst.flatMap((r) => (r.wamid === null ? [] : [r.wamid])),
  );
  const entries = oldestFirst.map((row) => toEntry(row, reactions.filter((r) => r.target_wamid === row.wamid)));
  const oldest = oldestFirst[0];
  return ok({ data: entries, nextCursor: hasMore && oldest ? encodeCursor(oldest) : null });
}
