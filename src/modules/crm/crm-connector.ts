/**
 * The one port every CRM speaks through: the built-in CRM and the HubSpot, Salesforce, Zoho and
 * Pipedrive adapters implement it, and all of them pass the same contract suite
 * (`testing/connector-contract.ts`) against their local fake servers.
 *
 * Matching rule (see ../shared/research/peers.md §4): our stable key (`switchboardKey`, the
 * Switchboard contact id) is written on the CRM record and upserts go through it; phone search
 * with the country variants is only the fallback for a first match, because CRM search indexes lag.
 */
export type CrmKind = 'builtin' | 'hubspot' | 'salesforce' | 'zoho' | 'pipedrive';

/** A person record as any CRM holds it. */
export type CrmPerson = {
  /** The CRM's own record id. */
  crmId: string;
  /** Our key on the record; null for a record never linked to Switchboard. */
  switchboardKey: string | null;
  firstName: string | null;
  lastName: string | null;
  /** Phone numbers exactly as the CRM stores them (any format; callers normalise). */
  phones: string[];
  email: string | null;
  /** The CRM's owner (user) id. */
  ownerId: string | null;
  /** Tags / labels where the CRM has them. */
  tags: string[];
  /** CRM field values by the CRM's field name (api name). */
  fields: Record<string, string | null>;
  /** Where a user opens the record in the CRM's own UI; null when unknown. */
  url: string | null;
  /** Epoch ms of the record's last change, as the CRM reports it. */
  updatedAt: number | null;
};

/** What Switchboard writes to a person. Absent properties are left as they are in the CRM. */
export type CrmPersonInput = {
  switchboardKey: string;
  firstName?: string | null;
  lastName?: string | null;
  /** E.164 (`+5511987654321`). */
  phone?: string | null;
  email?: string | null;
  ownerId?: string | null;
  tags?: string[];
  fields?: Record<string, string | null>;
};

/** One WhatsApp message logged on the person's record (HubSpot communication, Salesforce Task, Zoho Note, Pipedrive note). */
export type CrmActivityInput = {
  crmId: string;
  /** Stable per message (the wamid or our message id): logging twice creates one activity. */
  idempotencyKey: string;
  direction: 'inbound' | 'outbound';
  body: string;
  occurredAt: number;
};

export type CrmTaskInput = {
  crmId: string;
  /** Stable per cause (rule run id, …): creating twice creates one task. */
  idempotencyKey: string;
  subject: string;
  body: string | null;
  /** Epoch ms; null = no due date. */
  dueAt: number | null;
  ownerId: string | null;
};

export type CrmChange = {
  kind: 'person.created' | 'person.updated';
  person: CrmPerson;
  /** Epoch ms. */
  occurredAt: number;
};

export type CrmPage<T> = { items: T[]; next: string | null };

export interface CrmConnector {
  readonly kind: CrmKind;
  findByKey(switchboardKey: string): Promise<CrmPerson | null>;
  /** Every person whose stored phone matches one of the variants (E.164, digits, national forms). */
  findByPhone(variants: string[]): Promise<CrmPerson[]>;
  findByEmail(email: string): Promise<CrmPerson[]>;
  getPerson(crmId: string): Promise<CrmPerson | null>;
  /** Creates or updates the person whose key is `input.switchboardKey`; never creates a second record for a key. */
  upsertPerson(input: CrmPersonInput): Promise<CrmPerson>;
  /** Updates a known record (writing our key onto a record first matched by phone, a mapped field, …). */
  updatePerson(crmId: string, input: CrmPersonInput): Promise<CrmPerson>;
  logActivity(input: CrmActivityInput): Promise<{ activityId: string }>;
  createTask(input: CrmTaskInput): Promise<{ taskId: string }>;
  /** Every person, page by page (backfill). `cursor` null = first page. */
  listPeople(cursor: string | null): Promise<CrmPage<CrmPerson>>;
  /**
   * Changes since `cursor` (null = from now on: returns no changes and a cursor to poll from).
   * Connectors whose CRM pushes webhooks also accept them through `parseWebhook`.
   */
  pollChanges(cursor: string | null): Promise<CrmPage<CrmChange> & { next: string }>;
  /** Translates the CRM's webhook request into changes; absent when the CRM has no webhooks we use. */
  parseWebhook?(request: { headers: Record<string, string | string[] | undefined>; rawBody: Buffer }): Promise<CrmChange[]>;
}
