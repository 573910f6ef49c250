import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type SQLite from 'better-sqlite3';

/**
 * Moves SQLite's WAL checkpoints off the event loop. By default the connection that commits runs
 * the checkpoint itself whenever the WAL passes 1,000 pages: it copies those pages into the
 * database file and fsyncs it, synchronously, on the thread that serves HTTP. Under a stream of
 * webhooks that was more than half of what a commit cost and most of its slow tail
 * (bench/diagnostics/sqlite-insert-probe.ts).
 *
 * Here a worker thread with its own connection runs a PASSIVE checkpoint every `intervalMs`: it
 * never waits for the writer nor makes it wait. The serving connection's own automatic
 * checkpoint stays, at `boundPages`, as the bound on the WAL's size: under sustained writes the
 * WAL is rarely entirely checkpointed at the moment a write begins, which is when SQLite may
 * start it again from the top; the serving connection's checkpoint at the bound finds nearly
 * every page already copied. Should the thread fail, the serving connection goes back to
 * SQLite's default and `onError` hears why.
 */
export class WalCheckpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private stopped = false;

  constructor(
    private readonly sqlite: SQLite.Database,
    options: { path: string; intervalMs?: number; boundPages?: number; driverModule?: string; onError?: (error: Error) => void },
  ) {
    sqlite.pragma(`wal_autocheckpoint = ${options.boundPages ?? 10_000}`);
    this.worker = new Worker(CHECKPOINT_THREAD, {
      eval: true,
      workerData: {
        driver: options.driverModule ?? createRequire(import.meta.url).resolve('better-sqlite3'),
        path: options.path,
        intervalMs: options.intervalMs ?? 250,
      },
    });
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    // The thread must not keep a process alive that is otherwise done.
    this.worker.unref();
    this.worker.on('error', (error) => {
      if (this.handBack()) options.onError?.(error);
    });
  }

  /** Stops the thread; the connection checkpoints for itself again (and on close, as SQLite does). */
  async stop(): Promise<void> {
    if (!this.handBack()) return;
    // Referenced again until it has exited, or a process with nothing else to do would end first.
    this.worker.ref();
    this.worker.postMessage('stop');
    await this.exited;
  }

  /** Gives checkpoints back to the serving connection, once; false when that was done already. */
  private handBack(): boolean {
    if (this.stopped) return false;
    this.stopped = true;
    this.sqlite.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT}`);
    return true;
  }
}

const SQLITE_DEFAULT_AUTOCHECKPOINT = 1_000;

// CommonJS run by the worker thread (eval). Its connection only checkpoints: it reads and writes
// no rows, so it needs none of the serving connection's settings.
const CHECKPOINT_THREAD = `
const { workerData, parentPort } = require('node:worker_threads');
const SQLite = require(workerData.driver);
const db = new SQLite(workerData.path, { fileMustExist: true });
const timer = setInterval(() => db.pragma('wal_checkpoint(PASSIVE)'), workerData.intervalMs);
parentPort.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;
