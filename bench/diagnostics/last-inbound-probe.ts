/**
 * What "when did this contact last write, and to which number" costs (`lastInbound` once per API
 * accept that names no number, `lastInboundAt` otherwise and once per send) for contacts with a
 * long history: one inbound message, then `outbound` messages sent to them. The same functions,
 * on the real schema migrated up to 0008 (no `messages_last_inbound`) and to the latest migration.
 *
 *   npx tsx bench/diagnostics/last-inbound-probe.ts [outbound=5000] [contacts=100]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator } from 'kysely';
import { connectDatabase } from '../../src/db/connect.js';
import { migrationProvider } from '../../src/db/migrations/index.js';
import { lastInbound, lastInboundAt } from '../../src/modules/timeline/index.js';

const outbound = Number(process.argv[2] ?? 5_000);
const contacts = Number(process.argv[3] ?? 100);
const NUMBER = '1000001';

async function measure(migrateTo: string | null): Promise<{ at: number; number: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'last-inbound-'));
  const database = connectDatabase(`sqlite:${join(dir, 'probe.db')}`);
  try {
    const migrator = new Migrator({ db: database.db, provider: migrationProvider });
    const { error } = migrateTo ? await migrator.migrateTo(migrateTo) : await migrator.migrateToLatest();
    if (error) throw error;
    const insert = database.sqlite!.prepare(
      `insert into messages (id, wamid, contact_id, business_phone_number_id, direction, type, status_rank, wa_timestamp, created_at, updated_at)
       values (?, ?, ?, ?, ?, 'text', 0, ?, 0, 0)`,
    );
    database.sqlite!.pragma('foreign_keys = OFF');
    database.sqlite!.transaction(() => {
      let id = 0;
      for (let c = 0; c < contacts; c++) {
        insert.run(`m${++id}`, `w${id}`, `c${c}`, NUMBER, 'inbound', 1_000);
        for (let i = 0; i < outbound; i++) insert.run(`m${++id}`, `w${id}`, `c${c}`, NUMBER, 'outbound', 2_000 + i);
      }
    })();
    const time = async (ask: (contactId: string) => Promise<unknown>) => {
      const rounds = 2_000;
      const started = performance.now();
      for (let i = 0; i < rounds; i++) await ask(`c${i % contacts}`);
      return ((performance.now() - started) * 1_000) / rounds;
    };
    return {
      at: await time((contactId) => lastInboundAt(database.db, contactId, NUMBER)),
      number: await time((contactId) => lastInbound(database.db, contactId)),
    };
  } finally {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const without = await measure('0008_job_ordering_key');
const withIndex = await measure(null);
console.log(`${contacts} contacts, each 1 inbound message then ${outbound} outbound; µs per call (Kysely included)`);
console.log(`                       without messages_last_inbound   with it`);
console.log(`lastInboundAt          ${without.at.toFixed(1).padStart(29)}   ${withIndex.at.toFixed(1)}`);
console.log(`lastInbound            ${without.number.toFixed(1).padStart(29)}   ${withIndex.number.toFixed(1)}`);
