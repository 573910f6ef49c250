import { sql } from 'kysely';
import { ONE_ROW } from '../../db/one-row.js';
import type {
  ConsentEventTable,
  ContactTable,
  DbExecutor,
  DeadLetterTable,
  InboxEventTable,
  MediaFileTable,
  MessageStatusTable,
  MessageTable,
  OutboundMessageTable,
  ReactionTable,
} from '../../db/database.js';
import { mentionTest, usableIdentifiers, type MentionTest } from './core/mentions.js';

/** Bound parameters per IN list: well under SQLite's and PostgreSQL's limits. */
const CHUNK = 500;

export async function inChunks<T, R>(values: readonly T[], work: (chunk: T[]) => Promise<R[]>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < values.length; i += CHUNK) out.push(...(await work(values.slice(i, i + CHUNK))));
  return out;
}

/** Everything stored about one contact, found through its rows and its identifiers. */
export type PersonData = {
  contact: ContactTable;
  /** Phone digits, wa_ids and BSUIDs the person has been seen with (for searching raw bodies). */
  identifiers: { phones: string[]; waIds: string[]; bsuids: string[]; all: string[] };
  mentions: MentionTest;
  messages: MessageTable[];
  statuses: MessageStatusTable[];
  /** Reactions the person made, and reactions others made to the person's messages (groups). */
  reactions: ReactionTable[];
  outbound: OutboundMessageTable[];
  consent: ConsentEventTable[];
  media: MediaFileTable[];
};

const MEDIA_KINDS = new Set(['image', 'video', 'audio', 'document', 'sticker']);

/** Media ids an outbound body sends (`image.id`, a template header's `document.id`, …). */
export function mediaIdsIn(node: unknown, parentKey: string | null = null, found = new Set<string>()): Set<string> {
  if (Array.isArray(node)) {
    for (const item of node) mediaIdsIn(item, parentKey, found);
  } else if (node !== null && typeof node === 'object') {
    const record = node as Record<string, unknown>;
    if (parentKey !== null && MEDIA_KINDS.has(parentKey) && typeof record['id'] === 'string') found.add(record['id']);
    for (const [key, value] of Object.entries(record)) mediaIdsIn(value, key, found);
  }
  return found;
}

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** The wa_ids and BSUIDs on the person's own raw messages (`from`, `from_user_id`, `to`, `to_user_id`). */
function observedIdentifiers(messages: readonly MessageTable[]): { waIds: string[]; bsuids: string[] } {
  const waIds = new Set<string>();
  const bsuids = new Set<string>();
  for (const message of messages) {
    const raw = parseJson(message.raw);
    if (raw === null || typeof raw !== 'object') continue;
    const r = raw as Record<string, unknown>;
    for (const key of ['from', 'to', 'recipient_id']) if (typeof r[key] === 'string' && /^\d{6,15}$/.test(r[key])) waIds.add(r[key]);
    for (const key of ['from_user_id', 'to_user_id', 'recipient_user_id']) if (typeof r[key] === 'string') bsuids.add(r[key]);
  }
  return { waIds: [...waIds], bsuids: [...bsuids] };
}

export async function collectPersonData(exec: DbExecutor, contactId: string): Promise<PersonData | null> {
  const contact = await exec.selectFrom('contacts').selectAll().where('id', '=', contactId).executeTakeFirst();
  if (!contact) return null;
  const messages = await exec.selectFrom('messages').selectAll().where('contact_id', '=', contactId).orderBy('wa_timestamp').orderBy('id').execute();
  const wamids = messages.flatMap((m) => (m.wamid === null ? [] : [m.wamid]));
  const statuses = await inChunks(wamids, (chunk) =>
    exec.selectFrom('message_statuses').selectAll().where('wamid', 'in', chunk).orderBy('wa_timestamp').execute(),
  );
  const reactionsOnTheirMessages = await inChunks(wamids, (chunk) =>
    exec.selectFrom('reactions').selectAll().where('target_wamid', 'in', chunk).where('contact_id', '!=', contactId).execute(),
  );
  const ownReactions = await exec.selectFrom('reactions').selectAll().where('contact_id', '=', contactId).execute();
  const outbound = await exec.selectFrom('outbound_messages').selectAll().where('contact_id', '=', contactId).orderBy('created_at').orderBy('id').execute();
  const consent = await exec
    .selectFrom('consent_events')
    .selectAll()
    .where('contact_id', '=', contactId)
    .orderBy('occurred_at')
    .orderBy('created_at')
    .orderBy('id')
    .execute();

  // Media: received from the person (their rows or their messages), and uploads sent only to them
  // (an upload also sent to others, such as a campaign's header image, is not theirs alone).
  const sentMediaIds = new Set<string>();
  for (const row of outbound) mediaIdsIn(parseJson(row.body), null, sentMediaIds);
  const media = new Map<string, MediaFileTable>();
  for (const row of await exec.selectFrom('media_files').selectAll().where('contact_id', '=', contactId).execute()) media.set(row.id, row);
  for (const row of await inChunks(wamids, (chunk) => exec.selectFrom('media_files').selectAll().where('message_wamid', 'in', chunk).execute())) media.set(row.id, row);
  for (const row of await inChunks([...sentMediaIds], (chunk) => exec.selectFrom('media_files').selectAll().where('whatsapp_media_id', 'in', chunk).execute())) {
    if (row.contact_id !== null && row.contact_id !== contactId) continue;
    const sharedWithOthers = await exec
      .selectFrom('outbound_messages')
      .select('id')
      .where('contact_id', '!=', contactId)
      .where((eb) => sql<boolean>`${eb.ref('body')} like ${likeContaining(`"${row.whatsapp_media_id}"`)} escape '!'`)
      .limit(ONE_ROW)
      .executeTakeFirst();
    if (!sharedWithOthers) media.set(row.id, row);
  }

  const observed = observedIdentifiers(messages);
  const phones = usableIdentifiers([contact.phone, contact.phone_match_key]);
  const waIds = usableIdentifiers([contact.wa_id, ...observed.waIds, ...outbound.filter((o) => o.recipient_kind === 'phone').map((o) => o.recipient)]);
  const bsuids = usableIdentifiers([contact.bsuid, ...observed.bsuids, ...outbound.filter((o) => o.recipient_kind === 'bsuid').map((o) => o.recipient)]);
  const all = usableIdentifiers([...phones, ...waIds, ...bsuids]);
  return {
    contact,
    identifiers: { phones, waIds, bsuids, all },
    mentions: mentionTest(all),
    messages,
    statuses,
    reactions: [...ownReactions, ...reactionsOnTheirMessages],
    outbound,
    consent,
    media: [...media.values()].sort((a, b) => Number(a.created_at) - Number(b.created_at) || a.id.localeCompare(b.id)),
  };
}

/** A LIKE pattern for "contains `value`", with `!` as the escape character (portable). */
export function likeContaining(value: string): string {
  return `%${value.replace(/[!%_]/g, (c) => `!${c}`)}%`;
}

/**
 * Raw webhook bodies that mention the person. The database narrows the search with
 * `body LIKE '%identifier%'` (a scan: erasure and export are rare, and no index helps a substring);
 * the exact test (a whole token, see `core/mentions.ts`) then runs on the parsed body. Meta escapes
 * non-ASCII as `\uXXXX`, which is why names are not searched: identifiers are ASCII.
 */
export async function inboxEventsMentioning(exec: DbExecutor, person: PersonData): Promise<InboxEventTable[]> {
  if (person.identifiers.all.length === 0) return [];
  const rows = await exec
    .selectFrom('inbox_events')
    .selectAll()
    .where((eb) => eb.or(person.identifiers.all.map((id) => sql<boolean>`${eb.ref('body')} like ${likeContaining(id)} escape '!'`)))
    .orderBy('received_at')
    .orderBy('id')
    .execute();
  return rows.filter((row) => person.mentions(row.body));
}

/** Dead letters (refused webhook bodies, dead jobs) whose body or reason mentions the person. */
export async function deadLettersMentioning(exec: DbExecutor, person: PersonData): Promise<DeadLetterTable[]> {
  if (person.identifiers.all.length === 0) return [];
  const rows = await exec
    .selectFrom('dead_letters')
    .selectAll()
    .where((eb) =>
      eb.or(
        person.identifiers.all.flatMap((id) => [
          sql<boolean>`${eb.ref('body')} like ${likeContaining(id)} escape '!'`,
          sql<boolean>`${eb.ref('reason')} like ${likeContaining(id)} escape '!'`,
        ]),
      ),
    )
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.filter((row) => person.mentions(row.body) || person.mentions(row.reason));
}

export { parseJson };

/** Epoch milliseconds as ISO 8601, null kept. */
export const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());
