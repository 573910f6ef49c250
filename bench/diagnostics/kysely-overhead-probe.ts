/**
 * What Kysely adds to one small statement on SQLite: the same lookup by wamid built and compiled
 * per call (as most repositories do), compiled once and executed as a CompiledQuery, through
 * `preparedQuery` (src/db/prepared-query.ts), and run as a prepared better-sqlite3 statement.
 * µs per call, one process.
 *
 *   npx tsx bench/diagnostics/kysely-overhead-probe.ts [calls=20000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompiledQuery } from 'kysely';
import { connectDatabase, migrateToLatest } from '../../src/db/connect.js';
import { preparedQuery } from '../../src/db/prepared-query.js';

const calls = Number(process.argv[2] ?? 20_000);
const dir = mkdtempSync(join(tmpdir(), 'kysely-overhead-'));
const database = connectDatabase(`sqlite:${join(dir, 'probe.db')}`);
await migrateToLatest(database.db);
const db = database.db;
const sqlite = database.sqlite!;
const now = Date.now();
// The rows only need a wamid to be found by; no contact behind them.
sqlite.pragma('foreign_keys = OFF');
sqlite.transaction(() => {
  const insert = sqlite.prepare(
    `INSERT INTO messages (id, wamid, contact_id, direction, type, text, status, status_rank, wa_timestamp, created_at, updated_at, raw)
     VALUES (?, ?, 'c', 'outbound', 'text', 'hi', 'sent', 1, ?, ?, ?, '{}')`,
  );
  for (let i = 0; i < 10_000; i++) insert.run(`m${i}`, `wamid.${i}`, now, now, now);
})();

async function time(name: string, run: (i: number) => Promise<unknown>) {
  for (let i = 0; i < 2_000; i++) await run(i);
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) await run(i % 10_000);
  console.log(`${name.padEnd(48)} ${(((performance.now() - t0) * 1000) / calls).toFixed(1).padStart(7)} µs`);
}

await time('kysely: build + compile + execute', (i) =>
  db.selectFrom('messages').select(['id', 'contact_id', 'business_phone_number_id']).where('wamid', '=', `wamid.${i}`).executeTakeFirst(),
);
const compiled = db.selectFrom('messages').select(['id', 'contact_id', 'business_phone_number_id']).where('wamid', '=', '?').compile();
await time('kysely: CompiledQuery executed', (i) => db.executeQuery(CompiledQuery.raw(compiled.sql, [`wamid.${i}`])));
const owner = preparedQuery((exec, v: { wamid: string }) => exec.selectFrom('messages').select(['id', 'contact_id', 'business_phone_number_id']).where('wamid', '=', v.wamid));
await time('preparedQuery (src/db/prepared-query.ts)', (i) => owner.first(db, { wamid: `wamid.${i}` }));
await db.transaction().execute(async (trx) => {
  await time('  same inside a transaction: build + compile', (i) =>
    trx.selectFrom('messages').select(['id', 'contact_id', 'business_phone_number_id']).where('wamid', '=', `wamid.${i}`).executeTakeFirst(),
  );
  await time('  same inside a transaction: CompiledQuery', (i) => trx.executeQuery(CompiledQuery.raw(compiled.sql, [`wamid.${i}`])));
  await time('  same inside a transaction: preparedQuery', (i) => owner.first(trx, { wamid: `wamid.${i}` }));
});
const statement = sqlite.prepare(compiled.sql);
await time('better-sqlite3 prepared statement', async (i) => statement.get(`wamid.${i}`));
await time('kysely: compile only (no execute)', async (i) =>
  db.selectFrom('messages').select(['id', 'contact_id', 'business_phone_number_id']).where('wamid', '=', `wamid.${i}`).compile(),
);
await database.close();
rmSync(dir, { recursive: true, force: true });
