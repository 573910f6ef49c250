import type { ServerResponse } from 'node:http';
import type { Db } from '../../../db/database.js';
import { messageRepository } from '../../timeline/index.js';
import type { Clock } from '../../../platform/clock.js';
import type { Logger } from '../../../platform/logger.js';
import { conversationRepository } from '../conversation.repository.js';
import { getConversationView } from '../conversation-view.js';
import { noteRepository } from '../note.repository.js';
import { ONLINE_WINDOW_MS, userRepository } from '../user.repository.js';
import type { LiveBus } from './live-bus.js';
import type { LiveSignal } from './live-signal.js';

/** The conversation a status belongs to: the contact's, on the number of the message. */
async function conversationIdOf(db: Db, status: { contactId: string; phoneNumberId: string | null; wamid: string | null }): Promise<string | null> {
  let phoneNumberId = status.phoneNumberId;
  if (phoneNumberId === null && status.wamid !== null) {
    const message = await messageRepository.findByWamid(db, status.wamid);
    phoneNumberId = message?.business_phone_number_id ?? null;
  }
  if (phoneNumberId === null) return null;
  return (await conversationRepository.findByKey(db, status.contactId, phoneNumberId))?.id ?? null;
}

export const HEARTBEAT_MS = 15_000;
/** Signals kept for `Last-Event-ID` resumption: a reconnect within a few seconds misses nothing. */
const BUFFER_SIZE = 1_000;

type Client = { response: ServerResponse; userId: string | null };

/**
 * The Server-Sent Events streams of this process. Every signal from the bus is written to every
 * stream (agents may read every conversation); `conversation` and `note` signals are filled in
 * from the database first, once per signal, so each stream gets the state as committed.
 * Streams also keep their users online: each heartbeat refreshes `last_seen_at`.
 */
export class SseHub {
  private readonly clients = new Set<Client>();
  private readonly buffer: LiveSignal[] = [];
  private unsubscribe: (() => void) | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  /** Signals are written in the order they arrived, each after the previous one's lookup. */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: { db: Db; bus: LiveBus; clock: Clock; log: Logger; heartbeatMs?: number },
  ) {}

  async start(): Promise<void> {
    this.unsubscribe = this.deps.bus.subscribe((signal) => this.receive(signal));
    await this.deps.bus.start();
    this.heartbeat = setInterval(() => void this.beat(), this.deps.heartbeatMs ?? HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** Ends every stream (shutdown), so that the server can close. */
  async close(): Promise<void> {
    this.unsubscribe?.();
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const client of this.clients) client.response.end();
    this.clients.clear();
    await this.chain;
  }

  get connections(): number {
    return this.clients.size;
  }

  /** Tells this process's streams to refetch (notifications were lost). */
  resync(): void {
    for (const client of this.clients) this.write(client, { id: null, event: 'resync', data: '{}' });
  }

  /**
   * Takes over an HTTP response as an event stream; replays what followed `lastEventId`.
   *
   * The user is recorded online before the stream opens, so whoever asks once it is open sees
   * them. The stream joins on the signal chain, at the point where the replay is taken: each
   * signal received before that point is replayed (if it followed `lastEventId`) or was already
   * committed when the stream opened, and each one after it is written live, after the replay.
   * Joining any later (after an await) lost the signals that arrived meanwhile.
   */
  async connect(response: ServerResponse, userId: string | null, lastEventId: string | null): Promise<void> {
    if (userId !== null) await this.touch([userId]);
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    response.write('retry: 2000\n\n');
    const client: Client = { response, userId };
    let closed = false;
    response.on('close', () => {
      closed = true;
      this.clients.delete(client);
      if (userId !== null && ![...this.clients].some((c) => c.userId === userId)) void this.markOffline(userId);
    });
    const missed = lastEventId === null ? [] : this.signalsAfter(lastEventId);
    const join = async () => {
      try {
        if (missed === null) this.write(client, { id: null, event: 'resync', data: '{}' });
        else for (const signal of missed) await this.send([client], signal);
      } catch (error) {
        // What it missed cannot be told: the browser refetches instead.
        this.deps.log.warn({ err: error }, 'could not replay inbox events to a stream');
        this.write(client, { id: null, event: 'resync', data: '{}' });
      }
      if (!closed) this.clients.add(client);
    };
    this.chain = this.chain.then(join);
    await this.chain;
  }

  /** The buffered signals that followed `id`; null when it is no longer (or never was) buffered. */
  private signalsAfter(id: string): LiveSignal[] | null {
    const index = this.buffer.findIndex((s) => s.id === id);
    return index === -1 ? null : this.buffer.slice(index + 1);
  }

  private receive(signal: LiveSignal): void {
    this.buffer.push(signal);
    if (this.buffer.length > BUFFER_SIZE) this.buffer.shift();
    this.chain = this.chain.then(() => (this.clients.size > 0 ? this.send([...this.clients], signal) : undefined)).catch((error: unknown) => this.deps.log.warn({ err: error }, 'could not send an inbox event'));
  }

  private async send(clients: Client[], signal: LiveSignal): Promise<void> {
    const data = await this.expand(signal);
    if (data === null) return;
    const text = JSON.stringify(data);
    for (const client of clients) this.write(client, { id: signal.id, event: signal.event, data: text });
  }

  /** What the browser receives for a signal; null when what it names is gone. */
  private async expand(signal: LiveSignal): Promise<unknown> {
    const { db, clock } = this.deps;
    if (signal.event === 'conversation') {
      const conversation = await getConversationView(db, signal.data.conversationId, clock.now());
      return conversation ? { conversation } : null;
    }
    if (signal.event === 'status' && signal.data.conversationId === null) {
      const conversationId = await conversationIdOf(db, signal.data);
      return conversationId ? { ...signal.data, conversationId } : null;
    }
    if (signal.event === 'note') {
      const note = await noteRepository.findById(db, signal.data.noteId);
      return note ? { conversationId: signal.data.conversationId, note } : null;
    }
    return signal.data;
  }

  private write(client: Client, message: { id: string | null; event: string; data: string }): void {
    if (client.response.writableEnded) return;
    client.response.write(`${message.id ? `id: ${message.id}\n` : ''}event: ${message.event}\ndata: ${message.data}\n\n`);
  }

  private async beat(): Promise<void> {
    for (const client of this.clients) if (!client.response.writableEnded) client.response.write(`: heartbeat ${this.deps.clock.now()}\n\n`);
    await this.touch([...new Set([...this.clients].map((c) => c.userId).filter((id): id is string => id !== null))]);
  }

  private async touch(userIds: string[]): Promise<void> {
    try {
      await userRepository.touchSeen(this.deps.db, userIds, this.deps.clock.now());
    } catch (error) {
      this.deps.log.warn({ err: error }, 'could not record who is online');
    }
  }

  /** The user's last stream here closed: offline, unless a stream elsewhere (or a ping) says otherwise within its heartbeat. */
  private async markOffline(userId: string): Promise<void> {
    try {
      await userRepository.touchSeen(this.deps.db, [userId], this.deps.clock.now() - ONLINE_WINDOW_MS);
    } catch (error) {
      this.deps.log.warn({ err: error }, 'could not record who is online');
    }
  }
}
