import { EventEmitter } from 'node:events';
import type { DbExecutor } from '../../../db/database.js';
import type { IdGenerator } from '../../../platform/ids.js';
import type { LiveBus } from './live-bus.js';
import type { LiveSignal, LiveSignalInput } from './live-signal.js';

type Connection = { readonly inTransaction: boolean };

/**
 * The in-process bus for SQLite (one process owns the database file). A signal published inside a
 * transaction is held until the connection has left it; a signal of a controlled transaction
 * (the worker's batches) that rolled back is dropped. A job rolled back to its savepoint inside a
 * batch that then commits cannot be told apart: its signals go out (they only make browsers
 * refetch).
 */
export class LocalLiveBus implements LiveBus {
  private readonly emitter = new EventEmitter();
  private held: { exec: DbExecutor; signals: LiveSignal[] }[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly ids: IdGenerator,
    private readonly connection: Connection | null,
  ) {
    this.emitter.setMaxListeners(0);
  }

  async publish(exec: DbExecutor, inputs: LiveSignalInput[]): Promise<void> {
    const signals = inputs.map((input) => ({ ...input, id: this.ids.next() }) as LiveSignal);
    if (signals.length === 0) return;
    if (!exec.isTransaction) {
      setImmediate(() => this.emit(signals));
      return;
    }
    this.held.push({ exec, signals });
    this.timer ??= setTimeout(() => this.flush(), 0);
  }

  private flush(): void {
    this.timer = null;
    if (this.connection?.inTransaction) {
      this.timer = setTimeout(() => this.flush(), 1);
      return;
    }
    const held = this.held;
    this.held = [];
    for (const { exec, signals } of held) {
      if ('isRolledBack' in exec && (exec as { isRolledBack: boolean }).isRolledBack) continue;
      this.emit(signals);
    }
  }

  private emit(signals: LiveSignal[]): void {
    for (const signal of signals) this.emitter.emit('signal', signal);
  }

  subscribe(listener: (signal: LiveSignal) => void): () => void {
    this.emitter.on('signal', listener);
    return () => this.emitter.off('signal', listener);
  }

  async start(): Promise<void> {}

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.held = [];
    this.emitter.removeAllListeners();
  }
}
