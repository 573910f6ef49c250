import type { Command } from 'commander';
import { connectDatabase, migrateToLatest } from '../db/connect.js';
import { loadStorageConfig } from '../platform/config.js';

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('Bring the database schema up to date (serve and worker also do this at start)')
    .action(async () => {
      const config = loadStorageConfig();
      const database = connectDatabase(config.DATABASE_URL);
      try {
        const applied = await migrateToLatest(database.db);
        console.log(applied.length === 0 ? 'Database is up to date.' : `Applied: ${applied.join(', ')}`);
      } finally {
        await database.close();
      }
    });
}
