/**
 * What one commit costs on this disk, with the hub's pragmas (WAL), at both levels the hub uses:
 * `synchronous = FULL` (fsync on commit: the floor under any "answer only once stored" latency)
 * and `synchronous = NORMAL` (the WAL frames written to the OS, no fsync: what a commit costs the
 * event loop when its fsync runs elsewhere, WalSync). Two writes per WAL frame, page and header,
 * so a commit's cost grows with the pages it touches, not only with its fsync. Each figure is the
 * whole transaction (inserts and commit); the p99s include SQLite's own automatic checkpoint, run
 * by the committing connection every 1,000 WAL pages, which the hub moves to a thread
 * (WalCheckpointer).
 *
 *   npx tsx bench/diagnostics/sqlite-commit-probe.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

const dir = mkdtempSync(join(tmpdir(), 'sqlite-probe-'));
try {
  for (const level of ['FULL', 'NORMAL']) {
    const db = new Database(join(dir, `probe-${level}.db`));
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${level}`);
    db.exec('create table t (id text primary key, body text not null)');
    const insert = db.prepare('insert into t (id, body) values (?, ?)');
    const body = 'x'.repeat(1500);
    for (const rows of [1, 10, 100, 500]) {
      const batch = db.transaction((start: number) => {
        for (let i = 0; i < rows; i++) insert.run(`${rows}-${start + i}`, body);
      });
      const times: number[] = [];
      for (let round = 0; round < 100; round++) {
        const t0 = performance.now();
        batch(round * rows);
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      const p = (q: number) => times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)]!.toFixed(2);
      console.log(
        `synchronous=${level.padEnd(6)} ${String(rows).padStart(4)} rows of 1.5 KB per commit: p50 ${p(0.5)} ms  p99 ${p(0.99)} ms  → ${Math.round((rows * 1000) / Number(p(0.5)))} rows/s if commits ran back to back`,
      );
    }
    db.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
