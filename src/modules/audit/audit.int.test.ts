import Fastify, { type FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors, serializerCompiler, validatorCompiler, type FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, SYNCHRONOUS, synchronousOf, type TestDatabase } from '../../../test/support/test-databases.js';
import type { Db } from '../../db/database.js';
import { bearerAuth } from '../../http/bearer-auth.js';
import { replyError } from '../../http/reply-error.js';
import { ManualClock } from '../../platform/clock.js';
import { uuidGenerator } from '../../platform/ids.js';
import { auditRoutes, listAudit, recordAudit, registerAuditHooks, targetTypeOf, type AuditRecorder } from './index.js';

const TOKEN = 'api-token-for-tests-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

/** A few routes shaped like the real API's. */
const thingsRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post('/contacts', { schema: { body: z.object({ name: z.string(), phone: z.string() }) } }, async (_request, reply) => reply.status(201).send({ id: 'contact-new', name: 'Ana Souza' }));
  app.patch('/contacts/:id', { schema: { params: z.object({ id: z.string() }) } }, async (request) => ({ id: request.params.id }));
  app.delete('/contacts/:id', { schema: { params: z.object({ id: z.string() }) } }, async (request, reply) => {
    if (request.params.id === 'missing') return replyError(reply, { code: 'CONTACT_NOT_FOUND', message: 'No contact.' });
    return reply.status(204).send();
  });
  app.post('/contacts/:id/consent', { schema: { params: z.object({ id: z.string() }) } }, async (_request, reply) => reply.status(201).send({ ok: true }));
  app.get('/contacts/:id', async () => ({ id: 'x' }));
};

describe.each(DIALECTS)('audit on %s', (dialect) => {
  let database: TestDatabase;
  let clock: ManualClock;
  let app: FastifyInstance;
  let recorder: AuditRecorder;
  /** SQLite: how many audit batches were committed through `withoutCommitFsync`, as the hub wires it. */
  let unsyncedBatches = 0;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    clock = new ManualClock(Date.UTC(2026, 10, 1));
    app = Fastify();
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    app.setErrorHandler((error, _request, reply) =>
      hasZodFastifySchemaValidationErrors(error) ? replyError(reply, { code: 'VALIDATION_FAILED', message: 'invalid' }) : replyError(reply, { code: 'INTERNAL', message: 'x' }),
    );
    // The same shape as src/http/app.ts: an authenticated scope under /api/v1.
    await app.register(
      async (api) => {
        await api.register(async (authed) => {
          authed.addHook('onRequest', bearerAuth(TOKEN));
          const withoutFsync = database.withoutCommitFsync;
          const commitWithoutFsync = withoutFsync
            ? <T>(work: (db: Db) => Promise<T>) => {
                unsyncedBatches++;
                return withoutFsync(work);
              }
            : undefined;
          recorder = registerAuditHooks(authed, { db: database.db, clock: { now: () => clock.now() }, ids: uuidGenerator, ...(commitWithoutFsync ? { commitWithoutFsync } : {}) });
          await authed.register(thingsRoutes);
          await authed.register(auditRoutes, { db: database.db });
        });
      },
      { prefix: '/api/v1' },
    );
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await database.drop();
  });
  beforeEach(async () => {
    await database.db.deleteFrom('audit_log').execute();
  });

  const entries = async () => {
    await recorder.idle();
    const page = await listAudit(database.db, { limit: 100 });
    if (!page.ok) throw page.error;
    return page.value.data;
  };

  it('records every mutating request after the response: actor, route, target, status and request id', async () => {
    clock.advance(1_000);
    await app.inject({ method: 'PATCH', url: '/api/v1/contacts/c-1', headers: auth, payload: {} });
    clock.advance(1_000);
    await app.inject({ method: 'DELETE', url: '/api/v1/contacts/missing', headers: auth });
    clock.advance(1_000);
    await app.inject({ method: 'POST', url: '/api/v1/contacts/c-1/consent', headers: auth, payload: {} });
    const [consent, deleted, patch] = await entries();
    expect(patch).toMatchObject({
      actor: 'api-token',
      action: 'PATCH /api/v1/contacts/:id',
      targetType: 'contacts',
      targetId: 'c-1',
      details: { statusCode: 200 },
      requestId: expect.stringMatching(/^req-/),
    });
    expect(deleted).toMatchObject({ action: 'DELETE /api/v1/contacts/:id', targetId: 'missing', details: { statusCode: 404 } });
    expect(consent).toMatchObject({ action: 'POST /api/v1/contacts/:id/consent', targetType: 'contacts', targetId: 'c-1', details: { statusCode: 201 } });
  });

  it.runIf(dialect === 'sqlite')('on SQLite commits its entries without an fsync of their own, and leaves the connection syncing every commit', async () => {
    const before = unsyncedBatches;
    await Promise.all(Array.from({ length: 5 }, (_, i) => app.inject({ method: 'PATCH', url: `/api/v1/contacts/c-${i}`, headers: auth, payload: {} })));
    expect(await entries()).toHaveLength(5);
    expect(unsyncedBatches).toBeGreaterThan(before);
    expect(synchronousOf(database)).toBe(SYNCHRONOUS.FULL);
  });

  it('takes the id of what a POST created from the answer, and never records the body', async () => {
    await app.inject({ method: 'POST', url: '/api/v1/contacts', headers: auth, payload: { name: 'Ana Souza', phone: '+5511987654321' } });
    const [created] = await entries();
    expect(created).toMatchObject({ action: 'POST /api/v1/contacts', targetType: 'contacts', targetId: 'contact-new', details: { statusCode: 201 } });
    const stored = JSON.stringify(await database.db.selectFrom('audit_log').selectAll().execute());
    expect(stored).not.toContain('Ana Souza');
    expect(stored).not.toContain('5511987654321');
  });

  it('records refused requests too (401 as unauthenticated, 400), and no reads', async () => {
    await app.inject({ method: 'DELETE', url: '/api/v1/contacts/c-2' });
    await app.inject({ method: 'POST', url: '/api/v1/contacts', headers: auth, payload: { name: 1 } });
    await app.inject({ method: 'GET', url: '/api/v1/contacts/c-2', headers: auth });
    const all = await entries();
    expect(all).toHaveLength(2);
    expect(all).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ actor: 'unauthenticated', action: 'DELETE /api/v1/contacts/:id', details: expect.objectContaining({ statusCode: 401 }) }),
        expect.objectContaining({ actor: 'api-token', action: 'POST /api/v1/contacts', targetId: null, details: expect.objectContaining({ statusCode: 400 }) }),
      ]),
    );
  });

  it('GET /audit pages newest first with a cursor and filters by actor and action', async () => {
    for (let i = 0; i < 5; i++) {
      clock.advance(1_000);
      await recordAudit(database.db, { actor: i % 2 === 0 ? 'cli' : 'api-token', action: `numbers add ${i}`, targetType: 'numbers', targetId: `n-${i}` }, { clock, ids: uuidGenerator });
    }
    const first = await app.inject({ url: '/api/v1/audit?limit=2', headers: auth });
    expect(first.statusCode).toBe(200);
    const page1 = first.json() as { data: { targetId: string }[]; nextCursor: string };
    expect(page1.data.map((e) => e.targetId)).toEqual(['n-4', 'n-3']);
    const page2 = (await app.inject({ url: `/api/v1/audit?limit=2&cursor=${page1.nextCursor}`, headers: auth })).json() as typeof page1;
    expect(page2.data.map((e) => e.targetId)).toEqual(['n-2', 'n-1']);
    const page3 = (await app.inject({ url: `/api/v1/audit?limit=2&cursor=${page2.nextCursor}`, headers: auth })).json() as { data: { targetId: string }[]; nextCursor: string | null };
    expect(page3).toMatchObject({ data: [{ targetId: 'n-0' }], nextCursor: null });

    const cli = (await app.inject({ url: '/api/v1/audit?actor=cli', headers: auth })).json() as typeof page1;
    expect(cli.data.map((e) => e.targetId)).toEqual(['n-4', 'n-2', 'n-0']);
    const one = (await app.inject({ url: `/api/v1/audit?action=${encodeURIComponent('numbers add 3')}`, headers: auth })).json() as typeof page1;
    expect(one.data.map((e) => e.targetId)).toEqual(['n-3']);

    const bad = await app.inject({ url: '/api/v1/audit?cursor=nonsense', headers: auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    expect((await app.inject({ url: '/api/v1/audit' })).statusCode).toBe(401);
  });
});

describe('targetTypeOf', () => {
  it('names what a route acts on', () => {
    expect(targetTypeOf('/api/v1/contacts/:id/consent')).toBe('contacts');
    expect(targetTypeOf('/api/v1/messages')).toBe('messages');
    expect(targetTypeOf('/api/v1/numbers/:phoneNumberId')).toBe('numbers');
    expect(targetTypeOf('/')).toBeNull();
  });
});
