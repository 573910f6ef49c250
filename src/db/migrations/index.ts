import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001_inbound_pipeline.js';
import * as m0002 from './0002_outbound.js';
import * as m0003 from './0003_templates_consent.js';
import * as m0004 from './0004_crm.js';
import * as m0005 from './0005_automation.js';
import * as m0006 from './0006_inbox.js';
import * as m0007 from './0007_crm_outbox.js';
import * as m0008 from './0008_job_ordering_key.js';
import * as m0009 from './0009_messages_last_inbound.js';

/** Migrations are listed explicitly so that they run the same from source (tsx) and from `dist/`. */
const MIGRATIONS: Record<string, Migration> = {
  '0001_inbound_pipeline': m0001,
  '0002_outbound': m0002,
  '0003_templates_consent': m0003,
  '0004_crm': m0004,
  '0005_automation': m0005,
  '0006_inbox': m0006,
  '0007_crm_outbox': m0007,
  '0008_job_ordering_key': m0008,
  '0009_messages_last_inbound': m0009,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
