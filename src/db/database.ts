import type { Kysely, Transaction } from 'kysely';

/**
 * The one typed view of the schema, shared by SQLite and PostgreSQL.
 * Portable column types only: text, integer/bigint (epoch milliseconds for times), JSON kept as text.
 */
export interface Database {
  inbox_events: InboxEventTable;
  jobs: JobTable;
  dead_letters: DeadLetterTable;
  contacts: ContactTable;
  messages: MessageTable;
  message_statuses: MessageStatusTable;
  reactions: ReactionTable;
}

/** Every signed webhook body, byte for byte, kept for processing and replay. */
export interface InboxEventTable {
  /**
   * sha256 (hex) of the raw body. Keying by content makes ingestion idempotent: Meta's redelivery
   * of a body already stored adds nothing.
   */
  id: string;
  received_at: number;
  body: string;
  /** The `field` values of the envelope's changes (`messages`, `user_preferences`, …), comma-separated. */
  fields: string;
}

export type JobState = 'pending' | 'done' | 'dead';

export interface JobTable {
  id: string;
  name: string;
  payload: string;
  dedupe_key: string | null;
  state: JobState;
  attempts: number;
  max_attempts: number;
  run_at: number;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

export type DeadLetterSource = 'webhook' | 'job';

export interface DeadLetterTable {
  id: string;
  source: DeadLetterSource;
  code: string;
  reason: string;
  /** The raw webhook body, or the job's payload. */
  body: string;
  job_id: string | null;
  job_name: string | null;
  created_at: number;
  replayed_at: number | null;
}

export interface ContactTable {
  id: string;
  name: string | null;
  /** E.164 with the leading `+`. */
  phone: string | null;
  /** The key under which WhatsApp's country variants of one number (BR ninth digit, MX 521, AR 549) meet. */
  phone_match_key: string | null;
  wa_id: string | null;
  bsuid: string | null;
  profile_name: string | null;
  created_at: number;
  updated_at: number;
}

export interface MessageTable {
  id: string;
  wamid: string;
  contact_id: string;
  business_phone_number_id: string | null;
  direction: 'inbound' | 'outbound';
  type: string;
  text: string | null;
  status: string | null;
  status_rank: number;
  error_code: number | null;
  error_title: string | null;
  error_details: string | null;
  /** WhatsApp's own time of the message, epoch ms; for an entry known only from statuses, its earliest status time. */
  wa_timestamp: number;
  media: string | null;
  /** Type-specific content (location, shared contacts, button or list reply, order, …) as JSON. */
  content: string | null;
  context: string | null;
  referral: string | null;
  pricing: string | null;
  raw: string | null;
  created_at: number;
  updated_at: number;
}

/** One row per (wamid, status): the history of a message's delivery, and the reason statuses are idempotent. */
export interface MessageStatusTable {
  wamid: string;
  status: string;
  wa_timestamp: number;
  errors: string | null;
  pricing: string | null;
  received_at: number;
}

/** A person's current reaction to one message (WhatsApp allows one per person and message). */
export interface ReactionTable {
  target_wamid: string;
  contact_id: string;
  /** The wamid of the latest reaction message, the one that set this state. */
  reaction_wamid: string;
  /** null when the reaction was removed. */
  emoji: string | null;
  wa_timestamp: number;
  created_at: number;
}

export type Db = Kysely<Database>;
/** A transaction or the database itself: repositories take either, callers decide the transaction. */
export type DbExecutor = Kysely<Database> | Transaction<Database>;
