import { open, type FileHandle } from 'node:fs/promises';

/**
 * Makes SQLite commits durable without blocking the event loop. The inbox writer commits with
 * `synchronous = NORMAL` (the WAL frames reach the OS, no fsync), then awaits `sync()`, which
 * fsyncs the WAL file on libuv's thread pool. Only then are the webhooks acknowledged: as durable
 * as `synchronous = FULL`, but requests keep being read and parsed while the disk works.
 *
 * An fsync covers every write made before it started. A caller arriving while one is in flight
 * may have written after it started, so it waits for the next one; all such callers share it.
 */
export class WalSync {
  private handle: Promise<FileHandle> | null = null;
  private inFlight: Promise<void> | null = null;
  private next: Promise<void> | null = null;

  constructor(private readonly walPath: string) {}

  sync(): Promise<void> {
    if (!this.inFlight) return this.start();
    this.next ??= this.inFlight.then(
      () => this.afterInFlight(),
      () => this.afterInFlight(),
    );
    return this.next;
  }

  private afterInFlight(): Promise<void> {
    this.next = null;
    return this.start();
  }

  private start(): Promise<void> {
    const run = async () => {
      // The WAL file exists once the database is in WAL mode and written to; it keeps its inode
      // while the connection is open (checkpoints reuse it), so one handle serves for good.
      this.handle ??= open(this.walPath, 'r');
      await (await this.handle).sync();
    };
    this.inFlight = run().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    await (await handle)?.close();
  }
}
