import type { DbExecutor } from '../../../db/database.js';
import type { LiveSignal, LiveSignalInput } from './live-signal.js';

/**
 * Fans live signals out to every server process. `publish` is transactional: signals published
 * inside a transaction reach listeners once it commits, and never if it rolls back (PostgreSQL
 * NOTIFY has exactly these semantics; the SQLite bus waits for the connection to leave the
 * transaction). Outside a transaction they go at once.
 */
export interface LiveBus {
  publish(exec: DbExecutor, signals: LiveSignalInput[]): Promise<void>;
  /** Local listeners: the SSE hub of this process. */
  subscribe(listener: (signal: LiveSignal) => void): () => void;
  /** Starts receiving (PostgreSQL: the dedicated LISTEN connection); only processes that serve SSE need it. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Marks signals this server made up itself (resync after a lost listener): not from the bus. */
export const RESYNC = 'resync';
