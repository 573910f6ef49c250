import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import SQLite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectDatabase } from './connect.js';
import { WalCheckpointer } from './wal-checkpointer.js';

/** SQLite's WAL checkpoints run on a worker thread, not on the connection that commits. */
describe('WAL checkpoints in the background', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-checkpoint-'));
    path = join(dir, 'db.sqlite');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const autocheckpoint = (sqlite: SQLite.Database) => Number(sqlite.pragma('wal_autocheckpoint', { simple: true }));
  // ~2 MB in one commit: fewer pages than SQLite's own automatic checkpoint waits for (1,000).
  const writeTwoMegabytes = (sqlite: SQLite.Database) => {
    sqlite.exec('create table t (id integer primary key, body text not null)');
    const insert = sqlite.prepare('insert into t (body) values (?)');
    sqlite.transaction(() => {
      for (let i = 0; i < 1_000; i++) insert.run('x'.repeat(2_000));
    })();
  };
  const waitFor = async (condition: () => boolean) => {
    for (let waited = 0; waited < 5_000 && !condition(); waited += 25) await sleep(25);
    return condition();
  };

  it('copies committed pages into the database file without the committing connection doing it', async () => {
    const handle = connectDatabase(`sqlite:${path}`, { checkpointInBackground: { onError: (e) => expect.fail(e.message) } });
    try {
      const sqlite = handle.sqlite!;
      // The committing connection's own checkpoint only bounds the WAL now.
      expect(autocheckpoint(sqlite)).toBe(10_000);
      writeTwoMegabytes(sqlite);
      // Right after the commit the pages are in the WAL only: nobody on this thread checkpointed.
      expect(statSync(path).size).toBeLessThan(100_000);
      expect(await waitFor(() => statSync(path).size > 2_000_000)).toBe(true);
    } finally {
      await handle.close();
    }
    // Closing stops the thread first; every row is still there for the next process.
    const reopened = new SQLite(path, { readonly: true });
    expect(reopened.prepare('select count(*) as n from t').get()).toEqual({ n: 1_000 });
    reopened.close();
  });

  it('leaves checkpoints to the committing connection when not asked for the thread', async () => {
    const handle = connectDatabase(`sqlite:${path}`);
    try {
      expect(autocheckpoint(handle.sqlite!)).toBe(1_000);
      writeTwoMegabytes(handle.sqlite!);
      await sleep(600);
      expect(statSync(path).size).toBeLessThan(100_000);
    } finally {
      await handle.close();
    }
  });

  it('gives checkpoints back to the connection, and says why, when the thread fails', async () => {
    const sqlite = new SQLite(path);
    sqlite.pragma('journal_mode = WAL');
    const errors: Error[] = [];
    const checkpointer = new WalCheckpointer(sqlite, { path, driverModule: join(dir, 'no-such-driver.js'), onError: (e) => errors.push(e) });
    try {
      expect(await waitFor(() => errors.length > 0)).toBe(true);
      expect(errors[0]!.message).toMatch(/no-such-driver/);
      expect(autocheckpoint(sqlite)).toBe(1_000);
    } finally {
      await checkpointer.stop();
      sqlite.close();
    }
  });

  it('stops its thread, after which the connection checkpoints for itself again', async () => {
    const sqlite = new SQLite(path);
    sqlite.pragma('journal_mode = WAL');
    const checkpointer = new WalCheckpointer(sqlite, { path, intervalMs: 10 });
    expect(autocheckpoint(sqlite)).toBe(10_000);
    await checkpointer.stop();
    expect(autocheckpoint(sqlite)).toBe(1_000);
    await checkpointer.stop();
    sqlite.close();
  });
});
