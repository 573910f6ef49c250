/**
 * What storing one webhook costs SQLite on the ack path (one inbox row and its job, 40 per
 * transaction, as the group commit writes them at saturation), on the real schema, for the
 * choices that decide it: random (v4) or time-ordered (v7) job ids, a unique key on the job or
 * none, and the committing connection checkpointing the WAL itself or a thread doing it
 * (WalCheckpointer). The process is pinned to one CPU, like the hub in bench:ingest.
 *
 *   npx tsx bench/diagnostics/sqlite-insert-probe.ts [transactions=1500]
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { connectDatabase, migrateToLatest } from '../../src/db/connect.js';
import { WalCheckpointer } from '../../src/db/wal-checkpointer.js';

type Variant = { name: string; ids: () => string; uniqueJobKey: boolean; checkpointThread: boolean };

const VARIANTS: Variant[] = [
  { name: 'v4 ids, unique job key, checkpoint on commit (before)', ids: randomUUID, uniqueJobKey: true, checkpointThread: false },
  { name: 'v7 ids', ids: uuidv7, uniqueJobKey: true, checkpointThread: false },
  { name: 'v7 ids, no job key', ids: uuidv7, uniqueJobKey: false, checkpointThread: false },
  { name: 'v7 ids, no job key, checkpoint thread (now)', ids: uuidv7, uniqueJobKey: false, checkpointThread: true },
];
const transactions = Number(process.argv[2] ?? 1_500);
const PER_TRANSACTION = 40;
const body = JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'messages', value: { text: 'x'.repeat(1_300) } }] }] });

spawnSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });

async function probe(variant: Variant) {
  const dir = mkdtempSync(join(tmpdir(), 'sqlite-insert-probe-'));
  const path = join(dir, 'probe.db');
  const handle = connectDatabase(`sqlite:${path}`);
  await migrateToLatest(handle.db);
  const sqlite = handle.sqlite!;
  // Like the inbox writer: NORMAL for the commit, the fsync comes after, off the event loop.
  sqlite.pragma('synchronous = NORMAL');
  const checkpointer = variant.checkpointThread ? new WalCheckpointer(sqlite, { path }) : null;
  const insertEvent = sqlite.prepare('INSERT INTO inbox_events (id, received_at, body, fields) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING');
  const insertJob = sqlite.prepare(
    `INSERT INTO jobs (id, name, payload, dedupe_key, state, attempts, max_attempts, run_at, created_at, updated_at)
     VALUES (?, 'inbound.process', ?, ?, 'pending', 0, 8, ?, ?, ?) ON CONFLICT DO NOTHING`,
  );
  const times: number[] = [];
  let n = 0;
  for (let t = 0; t < transactions; t++) {
    const now = Date.now();
    const rows = Array.from({ length: PER_TRANSACTION }, () => createHash('sha256').update(`${n++}:${Math.random()}`).digest('hex'));
    const started = performance.now();
    sqlite.transaction(() => {
      for (const id of rows) {
        insertEvent.run(id, now, body, 'messages');
        insertJob.run(variant.ids(), JSON.stringify({ eventId: id }), variant.uniqueJobKey ? `inbound.process:${id}` : null, now, now, now);
      }
    })();
    times.push(performance.now() - started);
    // A server's event loop turns between batches; the checkpoint thread runs meanwhile.
    if (t % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  const walBytes = statSync(`${path}-wal`).size;
  await checkpointer?.stop();
  await handle.close();
  rmSync(dir, { recursive: true, force: true });
  times.sort((a, b) => a - b);
  const total = times.reduce((a, b) => a + b, 0);
  return {
    perSecond: (transactions * PER_TRANSACTION) / (total / 1000),
    p50: times[Math.floor(times.length / 2)]!,
    p99: times[Math.floor(times.length * 0.99)]!,
    walMb: walBytes / 1e6,
  };
}

console.log(`${transactions} transactions of ${PER_TRANSACTION} webhooks (inbox row + job), one CPU\n`);
for (const variant of VARIANTS) {
  const r = await probe(variant);
  console.log(
    `${variant.name.padEnd(56)} ${Math.round(r.perSecond).toLocaleString('en-US').padStart(7)} webhooks/s in transactions   p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  WAL ${r.walMb.toFixed(1)} MB`,
  );
}
