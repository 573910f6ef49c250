export type GroupCommitOptions = {
  /** The most items one batch takes; the rest wait for the next. */
  maxBatchSize?: number;
  /**
   * Batches that may be written at once. With 2, the next batch is written while the previous
   * one waits for its fsync, and the two share the following fsync (WalSync): the disk's wait is
   * no longer added to every batch. 1 writes one batch after the other.
   */
  maxInFlight?: number;
};

type Waiter<T, R> = { item: T; resolve: (r: R) => void; reject: (e: unknown) => void };

/**
 * Group commit: items submitted while batches are being written wait for the next batch, and
 * every batch is written by one call (one transaction, one fsync). Each submitter's promise
 * settles only when its own batch has been written, so "resolved" means "durable".
 */
export class GroupCommitter<T, R> {
  private waiting: Waiter<T, R>[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly maxBatchSize: number;
  private readonly maxInFlight: number;

  constructor(
    private readonly writeBatch: (items: T[]) => Promise<R[]>,
    options: GroupCommitOptions = {},
  ) {
    this.maxBatchSize = options.maxBatchSize ?? 1_000;
    this.maxInFlight = options.maxInFlight ?? 1;
  }

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** setImmediate lets every request that arrived in this turn of the event loop join the batch. */
  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.waiting.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.startBatch();
    });
  }

  private startBatch(): void {
    if (this.inFlight >= this.maxInFlight || this.waiting.length === 0) return;
    const batch = this.waiting.splice(0, this.maxBatchSize);
    this.inFlight++;
    void this.write(batch).finally(() => {
      this.inFlight--;
      this.schedule();
    });
    this.schedule();
  }

  private async write(batch: Waiter<T, R>[]): Promise<void> {
    try {
      const results = await this.writeBatch(batch.map((w) => w.item));
      batch.forEach((w, i) => w.resolve(results[i] as R));
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  }
}
