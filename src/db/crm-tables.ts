import type { Generated } from 'kysely';

/** Tables of migration 0004_crm (see database.ts for the conventions: epoch ms, JSON as text). */
export interface CrmTables {
  crm_people: CrmPersonTable;
  crm_tasks: CrmTaskTable;
  crm_activities: CrmActivityTable;
  crm_changes: CrmChangeTable;
  crm_links: CrmLinkTable;
  crm_cursors: CrmCursorTable;
  crm_credentials: CrmCredentialTable;
  crm_outbox: CrmOutboxTable;
  crm_outbox_flushes: CrmOutboxFlushTable;
}

/** The built-in CRM's data beyond the contact row. */
export interface CrmPersonTable {
  contact_id: string;
  /** A key written by a sync client (the connector contract); Switchboard's own key is the contact id. */
  switchboard_key: string | null;
  /** Lower-cased. */
  email: string | null;
  /** JSON array of strings. */
  tags: string;
  owner_id: string | null;
  lifecycle_stage: string | null;
  created_at: number;
  updated_at: number;
}

export interface CrmTaskTable {
  id: string;
  contact_id: string;
  idempotency_key: string | null;
  subject: string;
  body: string | null;
  due_at: number | null;
  owner_id: string | null;
  /** open | done */
  status: string;
  created_at: number;
  updated_at: number;
}

/** A message logged on the built-in CRM's record; `message_id` is the timeline entry when known. */
export interface CrmActivityTable {
  id: string;
  contact_id: string;
  idempotency_key: string;
  message_id: string | null;
  direction: string;
  body: string;
  occurred_at: number;
  created_at: number;
}

export interface CrmChangeTable {
  seq: Generated<number>;
  contact_id: string;
  /** person.created | person.updated */
  kind: string;
  occurred_at: number;
}

export interface CrmLinkTable {
  connector: string;
  contact_id: string;
  crm_id: string;
  url: string | null;
  /** JSON of the mapped values last seen on the record (see the sync's echo suppression). */
  snapshot: string | null;
  created_at: number;
  updated_at: number;
}

export interface CrmCursorTable {
  connector: string;
  cursor: string;
  updated_at: number;
}

export interface CrmCredentialTable {
  connector: string;
  name: string;
  value_sealed: string;
  expires_at: number | null;
  updated_at: number;
}

/** Migration 0007: work waiting for the external CRM (see sync/crm-outbox.repository.ts). */
export interface CrmOutboxTable {
  seq: Generated<number>;
  connector: string;
  contact_id: string;
  /** activity | consent */
  kind: string;
  /** The domain event, JSON. */
  payload: string;
  /** connector + event id: an event delivered twice is one row. */
  dedupe_key: string;
  /** pending | dead (done rows are deleted). */
  state: string;
  /** Retryable failures so far (the retry "generation"). */
  attempts: number;
  next_attempt_at: number;
  /** Claimed by a flush until then. */
  locked_until: number | null;
  last_error: string | null;
  created_at: number;
}

export interface CrmOutboxFlushTable {
  connector: string;
  /** Names the waiting `crm.flush` job (its dedupe key); every claim moves it on. */
  generation: number;
}
