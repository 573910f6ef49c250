import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001_inbound_pipeline.js';

/** Migrations are listed explicitly so that they run the same from source (tsx) and from `dist/`. */
const MIGRATIONS: Record<string, Migration> = {
  '0001_inbound_pipeline': m0001,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
