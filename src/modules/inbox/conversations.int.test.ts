import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../../test/support/test-databases.js';
import { subscriberJobName, type DomainEvent } from '../events/index.js';
import { bearer, NUMBER_ID, startInboxHub, type InboxHub, type Session } from './testing/inbox-hub.js';

type Conversation = {
  id: string;
  contact: { id: string; name: string | null; phone: string | null; tags: string[]; locale: string | null };
  state: string;
  assignee: { id: string; name: string } | null;
  lastMessage: { text: string | null; direction: string } | null;
  unread: number;
  window: { open: boolean; closesAt: number | null };
};

describe.each(DIALECTS)('conversations (%s)', (dialect) => {
  let database: TestDatabase;
  let hub: InboxHub;
  let ana: Session;
  let ben: Session;
  let admin: Session;
  const ids: Record<string, string> = {};

  const list = async (session: Session, query = 'view=all'): Promise<Conversation[]> => {
    const res = await hub.as(session, 'GET', `/conversations?${query}`);
    expect(res.statusCode).toBe(200);
    return res.json().items;
  };
  const conversationOf = async (phone: string) => (await list(admin, `q=${phone.slice(-7)}`))[0]!;
  const setOnline = async (...sessions: Session[]) => {
    await hub.db.updateTable('users').set({ last_seen_at: null }).execute();
    for (const s of sessions) await hub.as(s, 'POST', '/presence');
  };
  /** Delivers a domain event to the inbox subscriber, as the inbound pipeline and the outbox publish it. */
  const deliver = async (event: DomainEvent) => {
    await hub.switchboard.storage.queue.enqueue(hub.db, [{ name: subscriberJobName({ name: 'inbox' }), payload: event, dedupeKey: `test:${event.id}` }]);
    await hub.drain();
  };

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    hub = await startInboxHub(database.url);
    ids.admin = (await hub.addUser('admin@example.com', 'admin')).id;
    ids.ana = (await hub.addUser('ana@example.com', 'agent')).id;
    ids.ben = (await hub.addUser('ben@example.com', 'agent')).id;
    ids.cat = (await hub.addUser('cat@example.com', 'agent', { languages: ['es'] })).id;
    [admin, ana, ben] = [await hub.login('admin@example.com'), await hub.login('ana@example.com'), await hub.login('ben@example.com')];
  });
  afterAll(async () => {
    await hub.close();
    await database.drop();
  });

  it('gives new conversations round-robin to the agents who are online', async () => {
    await setOnline(ana, ben);
    const owners: (string | undefined)[] = [];
    for (const phone of ['14155550001', '14155550002', '14155550003']) {
      await hub.customerWrites(phone, `hello from ${phone}`);
      await hub.drain();
      owners.push((await conversationOf(phone)).assignee?.id);
    }
    expect(new Set(owners.slice(0, 2))).toEqual(new Set([ids.ana, ids.ben]));
    expect(owners[2]).toBe(owners[0]);
    const first = await conversationOf('14155550001');
    expect(first).toMatchObject({ state: 'open', unread: 1, lastMessage: { text: 'hello from 14155550001', direction: 'inbound' }, window: { open: true } });
    expect(first.window.closesAt).toBeGreaterThan(Date.now() + 23 * 3_600_000);
  });

  it('leaves a new conversation unassigned when nobody eligible is online', async () => {
    await setOnline();
    await hub.customerWrites('14155550004', 'anyone?');
    await hub.drain();
    expect((await conversationOf('14155550004')).assignee).toBeNull();
    expect((await list(ana, 'view=unassigned')).map((c) => c.contact.phone)).toContain('+14155550004');
  });

  it("routes by the contact's language to the agents who speak it", async () => {
    await setOnline(ana, await hub.login('cat@example.com'));
    await hub.app.inject({ method: 'POST', url: '/api/v1/contacts', headers: bearer, payload: { name: 'Lupe', phone: '+52 55 1234 5678', locale: 'es_MX' } });
    await hub.customerWrites('525512345678', 'hola');
    await hub.drain();
    // ana declares no language (takes any) but cat, who declares es, was never assigned: round-robin goes to her first.
    expect((await conversationOf('525512345678')).assignee?.id).toBe(ids.cat);
    await hub.db.updateTable('users').set({ languages: JSON.stringify(['pt']) }).where('id', '=', ids.cat!).execute();
    await hub.app.inject({ method: 'POST', url: '/api/v1/contacts', headers: bearer, payload: { name: 'Rosa', phone: '+52 55 8765 4321', locale: 'es_MX' } });
    await hub.customerWrites('525587654321', 'hola');
    await hub.drain();
    expect((await conversationOf('525587654321')).assignee?.id).toBe(ids.ana);
  });

  it('lists mine, unassigned and all, counts unread, and clears it on read', async () => {
    const mine = await list(ana, 'view=mine');
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((c) => c.assignee?.id === ids.ana)).toBe(true);
    expect((await list(ana, 'view=unassigned')).every((c) => c.assignee === null)).toBe(true);
    const target = mine[0]!;
    await hub.customerWrites(target.contact.phone!.slice(1), 'are you there?');
    await hub.drain();
    const unread = (await hub.as(ana, 'GET', `/conversations/${target.id}`)).json();
    expect(unread.unread).toBe(target.unread + 1);
    expect(unread.consent).toMatchObject({ contactId: target.contact.id, state: expect.any(Object) });
    const read = await hub.as(ana, 'POST', `/conversations/${target.id}/read`);
    expect(read.json()).toMatchObject({ id: target.id, unread: 0 });
  });

  it('hands a conversation over to another agent, who then sees it in mine, with its history', async () => {
    const target = (await list(ana, 'view=mine'))[0]!;
    const res = await hub.as(ana, 'POST', `/conversations/${target.id}/assign`, { userId: ids.ben });
    expect(res.json()).toMatchObject({ assignee: { id: ids.ben, name: 'ben' } });
    expect((await list(ben, 'view=mine')).map((c) => c.id)).toContain(target.id);
    expect((await list(ana, 'view=mine')).map((c) => c.id)).not.toContain(target.id);
    const history = (await hub.as(ana, 'GET', `/conversations/${target.id}/assignments`)).json().items;
    expect(history.at(-1)).toMatchObject({ from: ids.ana, to: ids.ben, actor: ids.ana, reason: 'manual' });
    expect((await hub.as(ana, 'POST', `/conversations/${target.id}/assign`, { userId: 'nobody' })).json().error.code).toBe('ASSIGNEE_INVALID');
    expect((await hub.as(ana, 'POST', '/conversations/nope/assign', { userId: null })).json().error.code).toBe('CONVERSATION_NOT_FOUND');
    const unassigned = await hub.as(ben, 'POST', `/conversations/${target.id}/assign`, { userId: null });
    expect(unassigned.json().assignee).toBeNull();
    await hub.as(ben, 'POST', `/conversations/${target.id}/assign`, { userId: ids.ben });
  });

  it('keeps internal notes on the conversation, never on the customer timeline', async () => {
    const target = (await list(ben, 'view=mine'))[0]!;
    const added = await hub.as(ben, 'POST', `/conversations/${target.id}/notes`, { body: '  Called them, waiting on payment  ' });
    expect(added.statusCode).toBe(201);
    expect(added.json()).toEqual({ id: expect.any(String), body: 'Called them, waiting on payment', author: { id: ids.ben, name: 'ben' }, createdAt: expect.any(Number) });
    expect((await hub.as(ana, 'GET', `/conversations/${target.id}/notes`)).json().items.map((n: { body: string }) => n.body)).toEqual(['Called them, waiting on payment']);
    expect((await hub.as(ben, 'POST', `/conversations/${target.id}/notes`, { body: '   ' })).statusCode).toBe(400);
    const timeline = (await hub.as(ben, 'GET', `/contacts/${target.contact.id}/timeline`)).json().data;
    expect(JSON.stringify(timeline)).not.toContain('waiting on payment');
  });

  it("reopens a resolved conversation when the customer writes again, back to its owner", async () => {
    const target = (await list(ben, 'view=mine'))[0]!;
    const resolved = await hub.as(ben, 'POST', `/conversations/${target.id}/state`, { state: 'resolved' });
    expect(resolved.json()).toMatchObject({ state: 'resolved', assignee: { id: ids.ben } });
    expect((await list(ben, 'view=mine&state=resolved')).map((c) => c.id)).toContain(target.id);
    expect((await list(ben, 'view=mine&state=open')).map((c) => c.id)).not.toContain(target.id);
    await setOnline(ana);
    await hub.customerWrites(target.contact.phone!.slice(1), 'one more thing');
    await hub.drain();
    const reopened = (await hub.as(ben, 'GET', `/conversations/${target.id}`)).json();
    expect(reopened).toMatchObject({ state: 'open', assignee: { id: ids.ben }, lastMessage: { text: 'one more thing' } });
    const history = (await hub.as(ben, 'GET', `/conversations/${target.id}/assignments`)).json().items;
    expect(history.at(-1)).toMatchObject({ from: ids.ben, to: ids.ben, reason: 'reopened' });
    expect((await hub.as(ben, 'POST', `/conversations/${target.id}/state`, { state: 'closed' })).statusCode).toBe(400);
  });

  it("gives a reopened conversation to the rules when its owner has been deactivated", async () => {
    const temp = await hub.addUser('temp@example.com', 'agent');
    const target = (await list(ben, 'view=mine'))[0]!;
    await hub.as(admin, 'POST', `/conversations/${target.id}/assign`, { userId: temp.id });
    await hub.as(admin, 'POST', `/conversations/${target.id}/state`, { state: 'resolved' });
    await hub.as(admin, 'PATCH', `/users/${temp.id}`, { active: false });
    await setOnline(ben);
    await hub.customerWrites(target.contact.phone!.slice(1), 'hello again');
    await hub.drain();
    expect((await hub.as(ben, 'GET', `/conversations/${target.id}`)).json()).toMatchObject({ state: 'open', assignee: { id: ids.ben } });
  });

  it('records an agent reply as the last message and starts a conversation with a new contact as pending', async () => {
    const target = (await list(ben, 'view=mine'))[0]!;
    const sent = await hub.as(ben, 'POST', '/messages', { contactId: target.contact.id, from: NUMBER_ID, type: 'text', text: { body: 'On it!' } });
    expect(sent.statusCode).toBe(202);
    await hub.drain();
    expect((await hub.as(ben, 'GET', `/conversations/${target.id}`)).json()).toMatchObject({ lastMessage: { text: 'On it!', direction: 'outbound' }, unread: 0 });
    const template = await hub.app.inject({ method: 'POST', url: '/api/v1/contacts', headers: bearer, payload: { name: 'Cold', phone: '+1 415 555 0999' } });
    // Free-form to someone who never wrote is refused: no conversation either.
    const refused = await hub.as(ben, 'POST', '/messages', { contactId: template.json().id, from: NUMBER_ID, type: 'text', text: { body: 'hi' } });
    expect(refused.json().error.code).toBe('WINDOW_CLOSED');
    await hub.drain();
    expect((await list(ben, 'q=0999')).length).toBe(0);
  });

  it('filters by state, number and tag, and searches names, phones and message texts', async () => {
    const all = await list(admin, 'view=all&limit=200');
    expect((await list(admin, `phoneNumberId=${NUMBER_ID}&limit=200`)).length).toBe(all.length);
    expect(await list(admin, 'phoneNumberId=999')).toEqual([]);
    // Found by an earlier message: the last one is the agent's reply.
    expect((await list(admin, 'q=ONE%20MORE')).map((c) => c.lastMessage?.text)).toEqual(['On it!']);
    expect((await list(admin, 'q=lupe')).map((c) => c.contact.name)).toEqual(['Lupe']);
    expect((await list(admin, 'q=%25')).length).toBe(0);
    const tagged = all.find((c) => c.contact.name === 'Lupe')!;
    await deliver({ type: 'crm.person_changed', id: 'crm-1', contactId: tagged.contact.id, change: 'updated', connector: 'builtin', crmId: 'p1', tags: ['vip', 'billing'], fields: {}, ownerId: null, occurredAt: Date.now() });
    const vip = await list(admin, 'tag=vip');
    expect(vip.map((c) => c.id)).toEqual([tagged.id]);
    expect(vip[0]!.contact.tags).toEqual(['billing', 'vip']);
    expect(await list(admin, 'tag=none')).toEqual([]);
    expect((await hub.as(admin, 'GET', '/conversations?state=closed')).statusCode).toBe(400);
  });

  it('pages through the list with a cursor, newest activity first', async () => {
    const all = await list(admin, 'limit=200');
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await hub.as(admin, 'GET', `/conversations?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...res.json().items.map((c: Conversation) => c.id));
      cursor = res.json().next;
    } while (cursor);
    expect(seen).toEqual(all.map((c) => c.id));
    expect((await hub.as(admin, 'GET', '/conversations?cursor=garbage')).json().error.code).toBe('CONVERSATION_CURSOR_INVALID');
  });

  it('lets automation assign by rules or to a user, and reopen with an alert note', async () => {
    const target = (await list(admin, 'q=lupe'))[0]!;
    const commands = hub.switchboard.inbox.commands;
    await hub.db.transaction().execute((trx) => commands.assign(trx, { contactId: target.contact.id, phoneNumberId: NUMBER_ID, userId: ids.admin }));
    expect((await conversationOf('525512345678')).assignee?.id).toBe(ids.admin);
    await hub.as(admin, 'POST', `/conversations/${target.id}/state`, { state: 'resolved' });
    await hub.db.transaction().execute((trx) => commands.reopenAndAlert(trx, { contactId: target.contact.id, phoneNumberId: null, reason: 'Payment failed' }));
    expect(await conversationOf('525512345678')).toMatchObject({ state: 'open', assignee: { id: ids.admin } });
    const notes = (await hub.as(admin, 'GET', `/conversations/${target.id}/notes`)).json().items;
    expect(notes.at(-1)).toMatchObject({ body: 'Payment failed', author: { id: 'automation', name: 'Automation' } });
    await setOnline(ana);
    await hub.db.transaction().execute((trx) => commands.assign(trx, { contactId: target.contact.id, phoneNumberId: NUMBER_ID }));
    expect((await conversationOf('525512345678')).assignee?.id).toBe(ids.ana);
    await hub.db.transaction().execute((trx) => commands.assign(trx, { contactId: target.contact.id, phoneNumberId: NUMBER_ID, userId: null }));
    expect((await conversationOf('525512345678')).assignee).toBeNull();
  });

  it('keeps quick replies that admins manage and agents read', async () => {
    const created = await hub.as(admin, 'POST', '/quick-replies', { shortcut: 'Thanks', text: 'Thank you for writing!' });
    expect(created.json()).toEqual({ id: expect.any(String), shortcut: 'thanks', text: 'Thank you for writing!' });
    expect((await hub.as(admin, 'POST', '/quick-replies', { shortcut: 'thanks', text: 'again' })).json().error.code).toBe('QUICK_REPLY_SHORTCUT_TAKEN');
    expect((await hub.as(admin, 'POST', '/quick-replies', { shortcut: 'no spaces', text: 'x' })).statusCode).toBe(400);
    expect((await hub.as(ana, 'GET', '/quick-replies')).json().items).toEqual([created.json()]);
    expect((await hub.as(admin, 'DELETE', `/quick-replies/${created.json().id}`)).statusCode).toBe(204);
    expect((await hub.as(admin, 'DELETE', `/quick-replies/${created.json().id}`)).json().error.code).toBe('QUICK_REPLY_NOT_FOUND');
    expect((await hub.as(ana, 'GET', '/quick-replies')).json().items).toEqual([]);
  });
});
