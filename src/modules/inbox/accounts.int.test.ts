import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../../test/support/test-databases.js';
import { bearer, startInboxHub, type InboxHub, type Session } from './testing/inbox-hub.js';

describe.each(DIALECTS)('accounts, sessions and roles (%s)', (dialect) => {
  let database: TestDatabase;
  let hub: InboxHub;
  let agent: Session;
  let admin: Session;
  let contactId: string;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    hub = await startInboxHub(database.url);
    await hub.addUser('boss@example.com', 'admin');
    await hub.addUser('agent@example.com', 'agent');
    admin = await hub.login('boss@example.com');
    agent = await hub.login('Agent@Example.com ');
    await hub.customerWrites('14155550101', 'hello');
    await hub.drain();
    contactId = (await hub.db.selectFrom('contacts').select('id').executeTakeFirstOrThrow()).id;
  });
  afterAll(async () => {
    await hub.close();
    await database.drop();
  });

  it('logs in with an httpOnly, SameSite=Strict cookie and answers who is logged in', async () => {
    const res = await hub.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'boss@example.com', password: 'password-123' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ user: { id: expect.any(String), email: 'boss@example.com', name: 'boss', role: 'admin' }, csrfToken: expect.any(String) });
    const cookie = String(res.headers['set-cookie']);
    const [pair, ...attributes] = cookie.split('; ');
    expect(pair).toMatch(/^sb_session=[A-Za-z0-9_-]{43}$/);
    expect(attributes.sort()).toEqual(expect.arrayContaining(['HttpOnly', 'Path=/', 'SameSite=Strict']));
    expect(attributes.some((a) => /^Max-Age=\d+$/.test(a))).toBe(true);
    expect(attributes).not.toContain('Secure');
    const me = await hub.app.inject({ url: '/api/v1/auth/me', headers: { cookie: cookie.split(';')[0]! } });
    expect(me.json()).toEqual(res.json());
  });

  it('marks the cookie Secure when the browser came over HTTPS through a proxy', async () => {
    const res = await hub.app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'x-forwarded-proto': 'https' }, payload: { email: 'boss@example.com', password: 'password-123' } });
    expect(String(res.headers['set-cookie']).split('; ')).toContain('Secure');
  });

  it('stores sessions hashed, never the cookie token itself', async () => {
    const token = agent.cookie.split('=')[1]!;
    const rows = await hub.db.selectFrom('sessions').select('id_hash').execute();
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.map((r) => r.id_hash)).not.toContain(token);
  });

  it('answers 401 INVALID_CREDENTIALS alike for a wrong password and an unknown email', async () => {
    for (const payload of [{ email: 'boss@example.com', password: 'wrong-password' }, { email: 'nobody@example.com', password: 'password-123' }]) {
      const res = await hub.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload, remoteAddress: '10.0.0.9' });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ error: { code: 'INVALID_CREDENTIALS', message: expect.any(String) } });
      expect(res.headers['set-cookie']).toBeUndefined();
    }
  });

  it('answers 401 UNAUTHENTICATED on /auth/me without a valid session, and 401 on the API', async () => {
    for (const headers of [{}, { cookie: 'sb_session=forged' }]) {
      expect((await hub.app.inject({ url: '/api/v1/auth/me', headers })).json()).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
      const api = await hub.app.inject({ url: '/api/v1/conversations', headers });
      expect(api.statusCode).toBe(401);
      expect(api.json().error.code).toBe('UNAUTHORIZED');
    }
  });

  it('refuses a state-changing request made with the cookie but without the session CSRF token', async () => {
    const conversation = (await hub.as(agent, 'GET', '/conversations')).json().items[0];
    for (const headers of [{ cookie: agent.cookie }, { cookie: agent.cookie, 'x-csrf-token': admin.csrf }, { cookie: agent.cookie, 'x-csrf-token': '' }]) {
      const res = await hub.app.inject({ method: 'POST', url: `/api/v1/conversations/${conversation.id}/notes`, headers, payload: { body: 'forged' } });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('CSRF_TOKEN_INVALID');
    }
    expect((await hub.as(agent, 'GET', `/conversations/${conversation.id}/notes`)).json().items).toEqual([]);
    expect((await hub.as(agent, 'POST', `/conversations/${conversation.id}/notes`, { body: 'real' })).statusCode).toBe(201);
  });

  it('keeps the API token working beside sessions, as an admin, without CSRF', async () => {
    expect((await hub.app.inject({ url: '/api/v1/audit', headers: bearer })).statusCode).toBe(200);
    expect((await hub.app.inject({ method: 'POST', url: '/api/v1/quick-replies', headers: bearer, payload: { shortcut: 'hi', text: 'Hello!' } })).statusCode).toBe(201);
    expect((await hub.app.inject({ url: '/api/v1/conversations', headers: { authorization: 'Bearer wrong-token-0123456789' } })).statusCode).toBe(401);
  });

  it('gives an agent 403 FORBIDDEN on every admin area, and changes nothing', async () => {
    const forbidden: [method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown][] = [
      ['GET', '/audit'],
      ['GET', '/numbers'],
      ['POST', '/numbers', { phoneNumberId: '1', wabaId: '2', accessToken: 't' }],
      ['GET', `/contacts/${contactId}/export`],
      ['DELETE', `/contacts/${contactId}`],
      ['POST', '/templates', { name: 'x', language: 'en_US', category: 'UTILITY', components: [] }],
      ['POST', '/templates/sync', {}],
      ['POST', '/users', { email: 'x@example.com', password: 'password-123', name: 'X', role: 'admin' }],
      ['PATCH', `/users/${agent.user.id}`, { role: 'admin' }],
      ['POST', '/quick-replies', { shortcut: 'bye', text: 'Bye' }],
      ['DELETE', '/quick-replies/whatever'],
      ['POST', '/rules', { name: 'x' }],
      ['DELETE', '/rules/whatever'],
    ];
    for (const [method, url, payload] of forbidden) {
      const res = await hub.as(agent, method, url, payload);
      expect({ url, method, status: res.statusCode }).toEqual({ url, method, status: 403 });
      expect(res.json()).toMatchObject({ error: { code: 'FORBIDDEN', message: expect.stringContaining('admin') } });
    }
    expect((await hub.as(agent, 'GET', '/auth/me')).json().user.role).toBe('agent');
    expect((await hub.db.selectFrom('contacts').select('id').where('id', '=', contactId).execute()).length).toBe(1);
    expect((await hub.db.selectFrom('users').select('id').where('email', '=', 'x@example.com').execute()).length).toBe(0);
  });

  it('lets an agent use conversations, contacts, timelines, templates, consent, the team list and quick replies', async () => {
    const conversation = (await hub.as(agent, 'GET', '/conversations')).json().items[0];
    for (const url of [
      '/conversations',
      `/conversations/${conversation.id}`,
      `/conversations/${conversation.id}/notes`,
      `/contacts/${contactId}`,
      `/contacts/${contactId}/timeline`,
      `/contacts/${contactId}/consent`,
      '/templates',
      '/users',
      '/quick-replies',
      '/inbox/numbers',
    ]) {
      const res = await hub.as(agent, 'GET', url);
      expect({ url, status: res.statusCode }).toEqual({ url, status: 200 });
    }
    expect((await hub.as(agent, 'PATCH', `/contacts/${contactId}`, { locale: 'es_MX' })).statusCode).toBe(200);
    expect((await hub.as(agent, 'POST', `/conversations/${conversation.id}/state`, { state: 'pending' })).statusCode).toBe(200);
    expect((await hub.as(agent, 'POST', '/presence')).statusCode).toBe(204);
    // Free-form inside the window (the customer wrote a moment ago).
    const sent = await hub.as(agent, 'POST', '/messages', { contactId, from: '118274650392817', type: 'text', text: { body: 'Hi!' } });
    expect(sent.statusCode).toBe(202);
  });

  it('records who did what on the audit log: the user behind a session, or the API token', async () => {
    const conversation = (await hub.as(agent, 'GET', '/conversations')).json().items[0];
    await hub.as(agent, 'POST', `/conversations/${conversation.id}/read`);
    await hub.app.inject({ method: 'POST', url: `/api/v1/conversations/${conversation.id}/read`, headers: bearer });
    // Entries are written after the response: asked for until they are there (a loaded machine
    // took more than 100 ms to write them).
    await vi.waitFor(
      async () => {
        const audit = await hub.app.inject({ url: `/api/v1/audit?action=${encodeURIComponent('POST /api/v1/conversations/:id/read')}`, headers: bearer });
        const actors = audit.json().data.map((e: { actor: string }) => e.actor);
        expect(actors).toEqual(expect.arrayContaining([`user:${agent.user.id}`, 'api-token']));
      },
      { timeout: 5_000, interval: 20 },
    );
  });

  it('lists the team with who is online; admins add and change users, deactivation ends sessions', async () => {
    const team = (await hub.as(agent, 'GET', '/users')).json().items;
    expect(team.map((u: { email: string }) => u.email).sort()).toEqual(['agent@example.com', 'boss@example.com']);
    expect(team.find((u: { email: string }) => u.email === 'agent@example.com').online).toBe(true);
    const taken = await hub.as(admin, 'POST', '/users', { email: 'AGENT@example.com', password: 'password-123', name: 'Dup', role: 'agent' });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error.code).toBe('USER_EMAIL_TAKEN');
    const short = await hub.as(admin, 'POST', '/users', { email: 'new@example.com', password: 'short', name: 'New', role: 'agent' });
    expect(short.statusCode).toBe(400);
    const created = await hub.as(admin, 'POST', '/users', { email: 'temp@example.com', password: 'password-123', name: 'Temp', role: 'agent', languages: ['ES'], regions: ['br'] });
    expect(created.json()).toMatchObject({ email: 'temp@example.com', languages: ['es'], regions: ['BR'], active: true, online: false });
    const temp = await hub.login('temp@example.com');
    const patched = await hub.as(admin, 'PATCH', `/users/${created.json().id}`, { active: false, skills: ['billing'] });
    expect(patched.json()).toMatchObject({ active: false, skills: ['billing'], languages: ['es'] });
    expect((await hub.as(temp, 'GET', '/conversations')).statusCode).toBe(401);
    const again = await hub.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'temp@example.com', password: 'password-123' } });
    expect(again.json().error.code).toBe('INVALID_CREDENTIALS');
    expect((await hub.as(admin, 'PATCH', '/users/nope', { name: 'X' })).json().error.code).toBe('USER_NOT_FOUND');
    const lastAdmin = await hub.as(admin, 'PATCH', `/users/${admin.user.id}`, { role: 'agent' });
    expect(lastAdmin.statusCode).toBe(409);
    expect(lastAdmin.json().error.code).toBe('USER_LAST_ADMIN');
    expect((await hub.as(admin, 'GET', '/auth/me')).json().user.role).toBe('admin');
  });

  it('logs out: the session is gone and the cookie cleared', async () => {
    const session = await hub.login('agent@example.com');
    const res = await hub.as(session, 'POST', '/auth/logout');
    expect(res.statusCode).toBe(204);
    expect(String(res.headers['set-cookie'])).toMatch(/^sb_session=; .*Max-Age=0/);
    expect((await hub.as(session, 'GET', '/auth/me')).statusCode).toBe(401);
    expect((await hub.as(agent, 'GET', '/auth/me')).statusCode).toBe(200);
  });

  it('limits failed logins per email (any address) and per address (any email) with 429 LOGIN_RATE_LIMITED', async () => {
    await hub.addUser('target@example.com', 'agent');
    for (let i = 0; i < 5; i++) {
      const res = await hub.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'target@example.com', password: `guess-${i}` }, remoteAddress: `10.1.0.${i}` });
      expect(res.statusCode).toBe(401);
    }
    const blocked = await hub.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'target@example.com', password: 'password-123' }, remoteAddress: '10.1.0.99' });
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json()).toMatchObject({ error: { code: 'LOGIN_RATE_LIMITED' } });
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);

    for (let i = 0; i < 5; i++) {
      await hub.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: `spray-${i}@example.com`, password: 'x' }, remoteAddress: '10.2.0.1' });
    }
    const fromSprayer = await hub.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'agent@example.com', password: 'password-123' }, remoteAddress: '10.2.0.1' });
    expect(fromSprayer.statusCode).toBe(429);
    expect((await hub.login('agent@example.com', 'password-123', '10.3.0.1')).user.email).toBe('agent@example.com');
  });

  it('behind a trusted proxy (TRUST_PROXY) limits by the forwarded client address, and believes no one else\'s header', async () => {
    const proxied = await startInboxHub(database.url, { TRUST_PROXY: '10.9.0.1' }, { http: true, worker: false });
    try {
      const attempt = (from: string, forwardedFor: string, email: string) =>
        proxied.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: 'wrong' }, remoteAddress: from, headers: { 'x-forwarded-for': forwardedFor } });
      // Through the proxy, one client's failures do not lock out the others behind the same proxy.
      for (let i = 0; i < 5; i++) expect((await attempt('10.9.0.1', '198.51.100.7', `proxied-${i}@example.com`)).statusCode).toBe(401);
      expect((await attempt('10.9.0.1', '198.51.100.7', 'proxied-5@example.com')).statusCode).toBe(429);
      expect((await attempt('10.9.0.1', '198.51.100.8', 'proxied-6@example.com')).statusCode).toBe(401);
      // A client that is not the proxy cannot choose its address by sending the header itself.
      for (let i = 0; i < 5; i++) expect((await attempt('203.0.113.5', `192.0.2.${i}`, `forger-${i}@example.com`)).statusCode).toBe(401);
      expect((await attempt('203.0.113.5', '192.0.2.99', 'forger-5@example.com')).statusCode).toBe(429);
    } finally {
      await proxied.close();
    }
  });
});
