import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001_inbound_pipeline.js';
import * as m0002 from './0002_outbound.js';
import * as m0003 from './0003_templates_consent.js';

/** Migrations are listed explicitly so that they run the same from source (tsx) and from `dist/`. */
const MIGRATIONS: Record<string, Migration> = {
  '0001_inbound_pipeline': m0001,
  '0002_outbound': m0002,
  '0003_templates_consent': m0003,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
