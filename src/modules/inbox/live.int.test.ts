import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../../test/support/test-databases.js';
import { openSse, type SseEvent, type SseStream } from './testing/sse-client.js';
import { bearer, startInboxHub, type InboxHub, type Session } from './testing/inbox-hub.js';

const isEvent = (name: string, where: (data: Record<string, unknown>) => boolean = () => true) => (e: SseEvent) => e.event === name && where(e.data as Record<string, unknown>);

describe.each(DIALECTS)('live updates over Server-Sent Events (%s)', (dialect) => {
  let database: TestDatabase;
  let hub: InboxHub;
  let ana: Session;
  let ben: Session;
  const streams: SseStream[] = [];
  const stream = async (session: Session | null, headers: Record<string, string> = {}) => {
    const s = await openSse(`${hub.baseUrl}/api/v1/events`, { ...(session ? { cookie: session.cookie } : {}), ...headers });
    streams.push(s);
    return s;
  };

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    hub = await startInboxHub(database.url);
    await hub.addUser('ana@example.com', 'agent');
    await hub.addUser('ben@example.com', 'agent');
    [ana, ben] = [await hub.login('ana@example.com'), await hub.login('ben@example.com')];
  });
  afterAll(async () => {
    for (const s of streams) s.close();
    await hub.close();
    await database.drop();
  });

  it('refuses a stream without a session or the API token', async () => {
    const res = await hub.app.inject({ url: '/api/v1/events' });
    expect(res.statusCode).toBe(401);
  });

  it('pushes a new customer message and the conversation it changed, and keeps the streaming user online', async () => {
    const live = await stream(ana);
    expect(live.status).toBe(200);
    const team = (await hub.as(ben, 'GET', '/users')).json().items;
    expect(team.find((u: { name: string }) => u.name === 'ana').online).toBe(true);
    expect(team.find((u: { name: string }) => u.name === 'ben').online).toBe(false);

    await hub.customerWrites('14155550201', 'is my order shipped?');
    await hub.drain();
    const message = await live.next(isEvent('message'));
    expect(message.data).toMatchObject({ conversationId: expect.any(String), contactId: expect.any(String), messageId: expect.any(String), direction: 'inbound' });
    const conversation = await live.next(isEvent('conversation'));
    expect(conversation.data).toMatchObject({
      conversation: { id: (message.data as { conversationId: string }).conversationId, state: 'open', assignee: { name: 'ana' }, unread: 1, lastMessage: { text: 'is my order shipped?' } },
    });
    expect(message.id).toMatch(/.+/);
  });

  it('tells every stream who is typing, about new notes, and about state changes', async () => {
    const anaLive = await stream(ana);
    const apiLive = await stream(null, bearer);
    const conversationId = (await hub.as(ben, 'GET', '/conversations')).json().items[0].id;
    expect((await hub.as(ben, 'POST', `/conversations/${conversationId}/typing`)).statusCode).toBe(204);
    for (const live of [anaLive, apiLive]) {
      expect((await live.next(isEvent('typing'))).data).toEqual({ conversationId, userId: ben.user.id, name: 'ben' });
    }
    // A keystroke is not a change: the audit log does not fill up with them.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const audit = await hub.app.inject({ url: `/api/v1/audit?action=${encodeURIComponent('POST /api/v1/conversations/:id/typing')}`, headers: bearer });
    expect(audit.json().data).toEqual([]);
    await hub.as(ben, 'POST', `/conversations/${conversationId}/notes`, { body: 'VIP, be quick' });
    expect((await anaLive.next(isEvent('note'))).data).toMatchObject({ conversationId, note: { body: 'VIP, be quick', author: { name: 'ben' } } });
    await hub.as(ben, 'POST', `/conversations/${conversationId}/state`, { state: 'pending' });
    expect((await anaLive.next(isEvent('conversation', (d) => (d.conversation as { state: string }).state === 'pending'))).data).toMatchObject({ conversation: { id: conversationId } });
  });

  it('replays what a reconnecting stream missed after its Last-Event-ID, and asks an unknown one to resync', async () => {
    const first = await stream(ana);
    const conversationId = (await hub.as(ben, 'GET', '/conversations')).json().items[0].id;
    await hub.as(ben, 'POST', `/conversations/${conversationId}/typing`);
    const seen = await first.next(isEvent('typing'));
    first.close();
    await hub.as(ben, 'POST', `/conversations/${conversationId}/notes`, { body: 'while you were away' });
    await hub.as(ben, 'POST', `/conversations/${conversationId}/state`, { state: 'open' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const resumed = await stream(ana, { 'last-event-id': seen.id! });
    expect((await resumed.next(isEvent('note'))).data).toMatchObject({ note: { body: 'while you were away' } });
    await resumed.next(isEvent('conversation', (d) => (d.conversation as { state: string }).state === 'open'));
    const stale = await stream(ana, { 'last-event-id': 'from-long-ago' });
    await stale.next(isEvent('resync'));
  });

  it('shows a customer message to an agent within a second of the webhook (worker running)', async () => {
    hub.switchboard.worker!.start();
    const live = await stream(ana);
    const latencies: number[] = [];
    for (let i = 0; i < 10; i++) {
      const waId = `1415555030${i}`;
      const started = performance.now();
      await hub.customerWrites(waId, `latency ${i}`);
      const conversation = await live.next(isEvent('conversation', (d) => (d.conversation as { lastMessage: { text: string } }).lastMessage.text === `latency ${i}`), 3_000);
      latencies.push(conversation.at - started);
    }
    latencies.sort((a, b) => a - b);
    // An agent's reply reaches the streams as fast: the send wakes the worker that runs its events.
    const conversation = (await hub.as(ana, 'GET', '/conversations?view=mine')).json().items[0];
    const sentAt = performance.now();
    const sent = await hub.as(ana, 'POST', '/messages', { contactId: conversation.contact.id, from: conversation.phoneNumberId, type: 'text', text: { body: 'on my way' } });
    expect(sent.statusCode).toBe(202);
    const reply = await live.next(isEvent('message', (d) => d.messageId === sent.json().id), 3_000);
    console.log(`[inbox ${dialect}] POST /messages → SSE message event: ${(reply.at - sentAt).toFixed(0)} ms`);
    expect(reply.at - sentAt).toBeLessThan(1_000);
    console.log(`[inbox ${dialect}] webhook → SSE conversation event: median ${latencies[5]!.toFixed(0)} ms, max ${latencies[9]!.toFixed(0)} ms`);
    expect(latencies[9]).toBeLessThan(1_000);
  });
});

describe.runIf(DIALECTS.includes('postgres'))('live updates across server processes on PostgreSQL', () => {
  let database: TestDatabase;
  let one: InboxHub;
  let two: InboxHub;
  let stream: SseStream;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    one = await startInboxHub(database.url);
    two = await startInboxHub(database.url, {}, { http: true, worker: false });
    one.switchboard.worker!.start();
    await one.addUser('ana@example.com', 'agent');
  });
  afterAll(async () => {
    stream?.close();
    await two.close();
    await one.close();
    await database.drop();
  });

  it('delivers an event committed through one instance to an SSE client of the other', async () => {
    const ana = await two.login('ana@example.com');
    stream = await openSse(`${two.baseUrl}/api/v1/events`, { cookie: ana.cookie });
    const started = performance.now();
    await one.customerWrites('14155550401', 'hello, other server');
    const event = await stream.next(isEvent('conversation', (d) => (d.conversation as { lastMessage: { text: string } }).lastMessage.text === 'hello, other server'), 3_000);
    console.log(`[inbox postgres] webhook on one process → SSE on another: ${(event.at - started).toFixed(0)} ms`);
    expect(event.at - started).toBeLessThan(1_000);
    // Typing, published by the second process, reaches a stream on the first.
    const onOne = await openSse(`${one.baseUrl}/api/v1/events`, bearer);
    const conversationId = (event.data as { conversation: { id: string } }).conversation.id;
    await two.as(ana, 'POST', `/conversations/${conversationId}/typing`);
    expect((await onOne.next(isEvent('typing'))).data).toMatchObject({ conversationId, name: 'ana' });
    onOne.close();
  });
});
