/** Tables of migration 0006_inbox (see database.ts for the conventions: epoch ms, JSON as text). */
export interface InboxTables {
  users: UserTable;
  sessions: SessionTable;
  login_failures: LoginFailureTable;
  conversations: ConversationTable;
  conversation_assignments: ConversationAssignmentTable;
  conversation_notes: ConversationNoteTable;
  quick_replies: QuickReplyTable;
  inbox_contact_tags: InboxContactTagTable;
}

export interface UserTable {
  id: string;
  /** Lower-cased. */
  email: string;
  name: string;
  role: 'admin' | 'agent';
  /** `scrypt$N$r$p$salt$hash` (base64). */
  password_hash: string;
  /** JSON arrays of strings; empty: takes any (assignment rules). */
  skills: string;
  /** Language codes (`es`, `pt`), matched against the language part of the contact's locale. */
  languages: string;
  /** ISO 3166-1 alpha-2 countries, matched against the country of the contact's phone. */
  regions: string;
  /** Most open conversations the rules give this user; null: no limit. */
  max_open: number | null;
  /** 0: cannot log in, gets nothing from the rules. */
  active: number;
  /** Last SSE heartbeat or presence ping: online while recent (60 s). */
  last_seen_at: number | null;
  /** Round-robin order: the user assigned longest ago goes next. */
  last_assigned_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface SessionTable {
  /** sha256 (hex) of the cookie's token: a stolen database does not give sessions away. */
  id_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: number;
  last_used_at: number;
  /** Absolute expiry; the idle expiry is `last_used_at` + the idle timeout. */
  expires_at: number;
}

/** One failed login, under `email:<address>` and under `ip:<address>`. */
export interface LoginFailureTable {
  id: string;
  throttle_key: string;
  at: number;
}

export interface ConversationTable {
  id: string;
  contact_id: string;
  /** '' when the number is unknown. */
  business_phone_number_id: string;
  state: 'open' | 'pending' | 'resolved';
  assignee_id: string | null;
  last_message_text: string | null;
  last_message_direction: 'inbound' | 'outbound' | null;
  last_message_type: string | null;
  last_message_at: number | null;
  last_inbound_at: number | null;
  /** Messages from the customer since the assignee last read the conversation. */
  unread_count: number;
  resolved_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface ConversationAssignmentTable {
  id: string;
  conversation_id: string;
  from_user_id: string | null;
  to_user_id: string | null;
  /** A user id, `api`, `rules` or `automation`. */
  actor: string;
  /** manual · round_robin · fewest_open · reopened · automation · unassigned */
  reason: string;
  at: number;
}

export interface ConversationNoteTable {
  id: string;
  conversation_id: string;
  /** null for notes written by automation. */
  author_id: string | null;
  author_name: string;
  body: string;
  created_at: number;
}

export interface QuickReplyTable {
  id: string;
  shortcut: string;
  text: string;
  created_at: number;
  updated_at: number;
}

/** The contact's tags as the CRM last told them (crm.person_changed), for the inbox's tag filter. */
export interface InboxContactTagTable {
  contact_id: string;
  tag: string;
}
