/** Tables of migration 0005_automation (see database.ts for the conventions: epoch ms, JSON as text). */
export interface AutomationTables {
  automation_rules: AutomationRuleTable;
  automation_runs: AutomationRunTable;
  automation_action_results: AutomationActionResultTable;
  automation_handled_events: AutomationHandledEventTable;
  automation_contact_leases: AutomationContactLeaseTable;
  automation_crm_snapshots: AutomationCrmSnapshotTable;
}

/** A rule: its definition is the public JSON format (`core/rule.ts`), stored whole. */
export interface AutomationRuleTable {
  id: string;
  name: string;
  /** 0/1 */
  enabled: number;
  position: number;
  trigger_type: string;
  definition: string;
  /** `api` or `file` (AUTOMATION_RULES_FILE). */
  source: string;
  created_at: number;
  updated_at: number;
}

/**
 * One rule fired (or considered) for one event. Unique on (rule_id, event_id): inserted before
 * any action, so a rule fires at most once per event. `evaluation` holds the matched
 * conditions and the planned actions, which a resumed run carries out unchanged.
 */
export interface AutomationRunTable {
  id: string;
  rule_id: string;
  rule_name: string;
  event_id: string;
  event_type: string;
  contact_id: string;
  /** running · succeeded · failed · skipped (conditions not met) */
  status: string;
  evaluation: string;
  error_code: string | null;
  error_message: string | null;
  started_at: number;
  finished_at: number | null;
}

/** What one action of a run did: ok, failed (with a code) or skipped. Written once per (run, action). */
export interface AutomationActionResultTable {
  run_id: string;
  action_index: number;
  action_type: string;
  status: string;
  code: string | null;
  message: string | null;
  /** JSON: what was done (message id, rendered values, HTTP status, …). */
  detail: string | null;
  created_at: number;
}

/** Events whose rules have all been run: the per-contact ordering skips them. */
export interface AutomationHandledEventTable {
  event_id: string;
  contact_id: string;
  event_type: string;
  occurred_at: number;
  handled_at: number;
}

/** The per-contact lease: one handler at a time works on a contact's events. */
export interface AutomationContactLeaseTable {
  contact_id: string;
  holder: string;
  lease_until: number;
}

/** The last CRM state seen per contact (from crm.person_changed): tags, fields and owner for conditions, and `changed`. */
export interface AutomationCrmSnapshotTable {
  contact_id: string;
  connector: string;
  crm_id: string;
  tags: string;
  fields: string;
  owner_id: string | null;
  occurred_at: number;
  updated_at: number;
}
