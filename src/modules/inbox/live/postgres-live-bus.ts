import { EventEmitter } from 'node:events';
import { sql } from 'kysely';
import pg from 'pg';
import type { DbExecutor } from '../../../db/database.js';
import type { IdGenerator } from '../../../platform/ids.js';
import type { Logger } from '../../../platform/logger.js';
import type { LiveBus } from './live-bus.js';
import type { LiveSignal, LiveSignalInput } from './live-signal.js';

export const LIVE_CHANNEL = 'switchboard_inbox';
/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more. */
const MAX_PAYLOAD_BYTES = 7900;

function payloadOf(signal: LiveSignal): string {
  const payload = JSON.stringify(signal);
  if (Buffer.byteLength(payload) <= MAX_PAYLOAD_BYTES) return payload;
  // Only free text can grow (an alert's reason): cut it rather than lose the signal.
  const data = { ...signal.data, ...('reason' in signal.data ? { reason: signal.data.reason.slice(0, 500) } : {}) };
  return JSON.stringify({ ...signal, data });
}

/**
 * Fan-out across processes with PostgreSQL `LISTEN/NOTIFY`: `pg_notify` runs in the publisher's
 * transaction (delivered on commit, to every listening process including this one), and one
 * dedicated connection per server process listens. A lost listener reconnects with backoff and
 * tells local clients to resync, since notifications sent meanwhile are gone.
 */
export class PostgresLiveBus implements LiveBus {
  private readonly emitter = new EventEmitter();
  private client: pg.Client | null = null;
  private closed = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private started = false;

  constructor(
    private readonly url: string,
    private readonly ids: IdGenerator,
    private readonly log: Logger,
    /** Called after the listener came back: notifications may have been missed. */
    private readonly onReconnected: () => void = () => undefined,
  ) {
    this.emitter.setMaxListeners(0);
  }

  async publish(exec: DbExecutor, inputs: LiveSignalInput[]): Promise<void> {
    if (inputs.length === 0) return;
    const payloads = inputs.map((input) => payloadOf({ ...input, id: this.ids.next() } as LiveSignal));
    await sql`select pg_notify(${LIVE_CHANNEL}, payload) from unnest(${payloads}::text[]) as payload`.execute(exec);
  }

  subscribe(listener: (signal: LiveSignal) => void): () => void {
    this.emitter.on('signal', listener);
    return () => this.emitter.off('signal', listener);
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.connect();
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('notification', (message) => {
      if (message.channel !== LIVE_CHANNEL || !message.payload) return;
      try {
        this.emitter.emit('signal', JSON.parse(message.payload) as LiveSignal);
      } catch (error) {
        this.log.warn({ err: error }, 'ignored a malformed inbox notification');
      }
    });
    const lost = (error?: Error) => {
      if (this.client !== client) return;
      this.client = null;
      client.removeAllListeners('end');
      void client.end().catch(() => undefined);
      if (this.closed) return;
      this.log.warn({ err: error }, 'the inbox LISTEN connection was lost; reconnecting');
      this.scheduleReconnect(1_000);
    };
    client.on('error', lost);
    client.on('end', () => lost());
    await client.connect();
    await client.query(`LISTEN ${LIVE_CHANNEL}`);
    this.client = client;
  }

  private scheduleReconnect(delayMs: number): void {
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect().then(
        () => this.onReconnected(),
        (error: unknown) => {
          if (this.closed) return;
          this.log.warn({ err: error }, 'could not listen for inbox notifications; retrying');
          this.scheduleReconnect(Math.min(delayMs * 2, 15_000));
        },
      );
    }, delayMs);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    this.emitter.removeAllListeners();
    await client?.end().catch(() => undefined);
  }
}
