import type { CrmConnector, CrmPersonInput } from '../crm-connector.js';

/**
 * What every local fake CRM server lets a test do besides answering the vendor's API. The
 * connector contract suite drives each fake through this, so one suite covers every vendor.
 */
export interface FakeCrmControls {
  /** Creates a record as a CRM user would (no Switchboard key unless given); returns its CRM id. */
  createPersonDirectly(person: { firstName?: string; lastName: string; phone?: string; email?: string; tags?: string[]; fields?: Record<string, string> }): Promise<string>;
  /** Changes a record as a CRM user would (shows up in the change feed / webhooks). */
  updatePersonDirectly(crmId: string, change: { fields?: Record<string, string>; tags?: string[]; phone?: string }): Promise<void>;
  /** The next `times` API calls answer with this status (429 with the vendor's headers/body, 500, 503 …). */
  failNext(status: number, times?: number): void;
  /** Records created or changed less than `ms` ago are invisible to search (the vendor's index lag). */
  setSearchLagMs(ms: number): void;
  /** Activities (notes/communications/tasks used for message logs) on a person, as the fake stores them. */
  activitiesOf(crmId: string): Promise<{ body: string }[]>;
  tasksOf(crmId: string): Promise<{ subject: string; ownerId: string | null }[]>;
  /** How many person records exist (duplicates show up here). */
  personCount(): Promise<number>;
  /** Every HTTP request the fake received (method and path), for counting calls. */
  requests(): { method: string; path: string }[];
}

/** What a contract-suite setup returns for one connector. */
export type ConnectorUnderTest = {
  connector: CrmConnector;
  fake: FakeCrmControls;
  /** An owner (user) id the CRM accepts for tasks; the suite uses '12345' when absent. */
  ownerId?: string;
  /** How many records one `listPeople` page holds (the suite creates more than that); 100 when absent. */
  pageSize?: number;
  /** Stops the fake server and releases the connector. */
  close(): Promise<void>;
};

export type { CrmPersonInput };
