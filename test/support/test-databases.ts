import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Migrator } from 'kysely';
import { connectDatabase, migrateToLatest, type DatabaseHandle, type DialectName } from '../../src/db/connect.js';
import { migrationProvider } from '../../src/db/migrations/index.js';

/** The PostgreSQL server the suites use; CI starts it (`.ci/run`). Each suite gets a database of its own. */
export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export const DIALECTS: DialectName[] = process.env.SWITCHBOARD_TEST_SKIP_POSTGRES === '1' ? ['sqlite'] : ['sqlite', 'postgres'];

export type TestDatabase = DatabaseHandle & { url: string; drop(): Promise<void> };

/** SQLite's `synchronous` setting on a handle's connection (`SYNCHRONOUS.NORMAL` or `.FULL`). */
export const synchronousOf = (handle: DatabaseHandle): number => Number(handle.sqlite!.pragma('synchronous', { simple: true }));
export const SYNCHRONOUS = { NORMAL: 1, FULL: 2 } as const;

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * A fresh, migrated database: a temporary SQLite file, or a new PostgreSQL database. `migratedTo`
 * stops at that migration (for tests of the next one); the test then runs `migrateToLatest`.
 */
export async function createTestDatabase(dialect: DialectName, options: { migratedTo?: string } = {}): Promise<TestDatabase> {
  let url: string;
  let cleanup: () => Promise<void>;
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-test-'));
    url = `sqlite:${join(dir, 'test.db')}`;
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    const name = `switchboard_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    url = withDatabase(TEST_POSTGRES_URL, name);
    cleanup = async () => {
      const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    };
  }
  const handle = connectDatabase(url);
  if (options.migratedTo) {
    const { error } = await new Migrator({ db: handle.db, provider: migrationProvider }).migrateTo(options.migratedTo);
    if (error) throw error instanceof Error ? error : new Error(String(error));
  } else {
    await migrateToLatest(handle.db);
  }
  return {
    ...handle,
    url,
    async drop() {
      await handle.close().catch(() => undefined);
      await cleanup();
    },
  };
}
