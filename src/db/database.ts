import type { Kysely, Transaction } from 'kysely';
import type { AutomationTables } from './automation-tables.js';
import type { CrmTables } from './crm-tables.js';
import type { InboxTables } from './inbox-tables.js';

/**
 * The one typed view of the schema, shared by SQLite and PostgreSQL.
 * Portable column types only: text, integer/bigint (epoch milliseconds for times), JSON kept as text.
 */
export interface Database extends CrmTables, AutomationTables, InboxTables {
  inbox_events: InboxEventTable;
  jobs: JobTable;
  dead_letters: DeadLetterTable;
  contacts: ContactTable;
  messages: MessageTable;
  message_statuses: MessageStatusTable;
  reactions: ReactionTable;
  business_numbers: BusinessNumberTable;
  outbound_messages: OutboundMessageTable;
  consent_events: ConsentEventTable;
  media_files: MediaFileTable;
  templates: TemplateTable;
  template_events: TemplateEventTable;
  erased_identities: ErasedIdentityTable;
  audit_log: AuditLogTable;
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

/** `running`: a leased job (one that runs outside a transaction) is being worked on until `locked_until`. */
export type JobState = 'pending' | 'running' | 'done' | 'dead';

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
  locked_until: number | null;
  /** Shared by jobs handled in order relative to each other (NewJob.orderingKey). */
  ordering_key: string | null;
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
  /** BCP 47 / Meta language code such as `es_MX`, for picking a template variant. */
  locale: string | null;
  /** Custom fields as JSON (`{"balance": 120.5, "plan": "gold"}`), for template parameters. */
  fields: string | null;
  created_at: number;
  updated_at: number;
}

export interface MessageTable {
  id: string;
  /** Meta's message id; null for an outbound message not yet accepted by Meta. */
  wamid: string | null;
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

/** A WhatsApp business number configured in the database; its access token is sealed (SecretBox). */
export interface BusinessNumberTable {
  phone_number_id: string;
  display_phone_number: string | null;
  waba_id: string;
  access_token_sealed: string;
  throughput_mps: number;
  /** Set when Meta answered 190 (token expired); sending from the number stops until the token changes. */
  token_expired_at: number | null;
  created_at: number;
  updated_at: number;
}

/**
 * queued → sending → accepted (Meta answered 200 with a wamid) | failed.
 * in_doubt: a send whose outcome is unknown (timeout, crash); resent only if no status webhook
 * proves it went out within the in-doubt delay.
 */
export type OutboundState = 'queued' | 'sending' | 'in_doubt' | 'accepted' | 'failed';

/** The outbox: one row per message the business sends. Its id is also the timeline entry's id. */
export interface OutboundMessageTable {
  id: string;
  idempotency_key: string | null;
  contact_id: string;
  business_phone_number_id: string;
  /** Phone digits (wa_id form) or a BSUID, per `recipient_kind`. */
  recipient: string;
  recipient_kind: 'phone' | 'bsuid';
  type: string;
  /** service (free-form), marketing, utility or authentication. */
  category: string;
  /** The Cloud API message object without the routing fields (`to`, `recipient`). */
  body: string;
  state: OutboundState;
  attempts: number;
  /** How many times Meta answered 131056 (pair limit): the next wait is 4^n seconds. */
  pair_attempts: number;
  next_attempt_at: number;
  lease_until: number | null;
  wamid: string | null;
  /** accepted | held_for_quality_assessment | paused (template pacing). */
  message_status: string | null;
  error_code: string | null;
  error_message: string | null;
  created_at: number;
  updated_at: number;
}

/** The consent ledger: every opt-in and opt-out, with where it came from. The latest event wins. */
export interface ConsentEventTable {
  id: string;
  contact_id: string;
  /** null: applies to every sending number. */
  business_phone_number_id: string | null;
  category: string;
  action: 'opt_in' | 'opt_out';
  source: string;
  evidence: string | null;
  occurred_at: number;
  created_at: number;
}

export type MediaState = 'pending' | 'stored' | 'failed';

/** A media file received (downloaded from Meta) or uploaded for sending. */
export interface MediaFileTable {
  id: string;
  whatsapp_media_id: string;
  business_phone_number_id: string | null;
  message_wamid: string | null;
  contact_id: string | null;
  mime_type: string | null;
  /** Hex SHA-256 of the bytes. */
  sha256: string | null;
  size_bytes: number | null;
  filename: string | null;
  storage_path: string | null;
  state: MediaState;
  error: string | null;
  created_at: number;
  updated_at: number;
}

/** One language variant of a message template, as Meta knows it (and as authored here). */
export interface TemplateTable {
  id: string;
  meta_template_id: string | null;
  waba_id: string;
  name: string;
  language: string;
  /** MARKETING | UTILITY | AUTHENTICATION. */
  category: string;
  /** APPROVED | PENDING | REJECTED | PAUSED | DISABLED | … */
  status: string;
  /** GREEN | YELLOW | RED | UNKNOWN. */
  quality: string | null;
  /** POSITIONAL | NAMED. */
  parameter_format: string;
  /** Meta's components array as JSON. */
  components: string;
  rejection_reason: string | null;
  status_changed_at: number | null;
  synced_at: number | null;
  created_at: number;
  updated_at: number;
}

/** Every change to a template (status, category, quality, content), with its time and source. */
export interface TemplateEventTable {
  id: string;
  template_id: string;
  /** status | category | quality | created | synced */
  kind: string;
  previous_value: string | null;
  new_value: string | null;
  reason: string | null;
  /** webhook | sync | api */
  source: string;
  occurred_at: number;
  created_at: number;
}

/** What is left of an erased person: a salted hash of each identifier, so an opt-out outlives erasure. */
export interface ErasedIdentityTable {
  identity_hash: string;
  marketing_opted_out: number;
  erased_at: number;
}

/** Who did what through the API or the CLI, and when. */
export interface AuditLogTable {
  id: string;
  actor: string;
  action: string;
  target_type: string | null;
  target_id: string | null;
  details: string | null;
  request_id: string | null;
  occurred_at: number;
}
