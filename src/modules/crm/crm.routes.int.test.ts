import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiWith } from '../../../test/support/api-with.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../../test/support/test-databases.js';
import { SqlJobQueue } from '../../jobs/sql-job-queue.js';
import { ManualClock } from '../../platform/clock.js';
import { uuidGenerator } from '../../platform/ids.js';
import { createContact } from '../contacts/index.js';
import { eventPublisher } from '../events/index.js';
import { createCrmCommands } from './crm-commands.impl.js';
import { crmRoutes } from './crm.routes.js';

const T0 = Date.UTC(2026, 10, 1, 9);

describe.each(DIALECTS)('built-in CRM API on %s', (dialect) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let clock: ManualClock;
  let queue: SqlJobQueue;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await app?.close();
    await database.drop();
  });
  beforeEach(async () => {
    for (const table of ['jobs', 'crm_tasks', 'crm_changes', 'crm_people', 'contacts'] as const) await database.db.deleteFrom(table).execute();
    clock = new ManualClock(T0);
    queue = new SqlJobQueue(database.db, database.dialect, clock, uuidGenerator, 8);
    const deps = { clock, ids: uuidGenerator, defaultRegion: 'US' };
    const enqueue = (exec: Parameters<SqlJobQueue['enqueue']>[0], jobs: Parameters<SqlJobQueue['enqueue']>[1]) => queue.enqueue(exec, jobs);
    const publish = eventPublisher([{ name: 'automation', handles: ['crm.person_changed'], handle: async () => {} }], enqueue);
    await app?.close();
    app = await apiWith((a) =>
      a.register(crmRoutes, { prefix: '/api/v1', db: database.db, deps, kind: 'builtin', publish, commands: createCrmCommands({ ...deps, kind: 'builtin', enqueue }), enqueue }),
    );
  });

  const events = async () =>
    (await database.db.selectFrom('jobs').select('payload').where('name', '=', 'event.automation').orderBy('created_at').execute()).map((j) => JSON.parse(j.payload) as Record<string, unknown>);
  const createLead = (body: Record<string, unknown>) => app.inject({ method: 'POST', url: '/api/v1/crm/people', payload: body });

  it('creates a lead with tags and owner, and tells automation it was created', async () => {
    const res = await createLead({ name: 'Lia Moreno', phone: '(415) 555-0177', email: 'Lia@Example.com', tags: ['Hot Lead – High Priority'], ownerId: 'user-7', fields: { budget_hint: 'high' } });
    expect(res.statusCode).toBe(201);
    const person = res.json();
    expect(person).toMatchObject({ name: 'Lia Moreno', phone: '+14155550177', email: 'lia@example.com', tags: ['Hot Lead – High Priority'], ownerId: 'user-7', lifecycleStage: null, fields: { budget_hint: 'high' }, tasks: [], crm: null });
    expect(await events()).toEqual([
      expect.objectContaining({ type: 'crm.person_changed', change: 'created', connector: 'builtin', contactId: person.id, crmId: person.id, tags: ['Hot Lead – High Priority'], ownerId: 'user-7', fields: { budget_hint: 'high' } }),
    ]);
  });

  it('refuses a lead whose number is already a contact, or is not a number, and changes nothing', async () => {
    await createContact(database.db, { name: 'Existing', phone: '+14155550177' }, { clock, ids: uuidGenerator, defaultRegion: 'US' });
    const taken = await createLead({ name: 'Lia', phone: '415 555 0177' });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error.code).toBe('CONTACT_PHONE_TAKEN');
    const bad = await createLead({ name: 'Lia', phone: 'call me' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'CONTACT_PHONE_INVALID', message: expect.stringContaining('letters') });
    const invalid = await createLead({ name: 'Lia', phone: '+14155550178', tags: [''] });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().error.code).toBe('VALIDATION_FAILED');
    expect(await events()).toEqual([]);
    expect(await database.db.selectFrom('crm_people').select('contact_id').execute()).toEqual([]);
  });

  it('changes tags, owner, stage and fields; a change that changes nothing tells nobody', async () => {
    const { id } = (await createLead({ name: 'Lia Moreno', phone: '+14155550177', tags: ['Lead'] })).json();
    clock.advance(1_000);
    const patched = await app.inject({ method: 'PATCH', url: `/api/v1/crm/people/${id}`, payload: { addTags: ['Hot Lead'], removeTags: ['Lead'], ownerId: 'user-9', lifecycleStage: 'opportunity', fields: { budget: '$1M – $2M' } } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ tags: ['Hot Lead'], ownerId: 'user-9', lifecycleStage: 'opportunity', fields: { budget: '$1M – $2M' } });
    const same = await app.inject({ method: 'PATCH', url: `/api/v1/crm/people/${id}`, payload: { ownerId: 'user-9' } });
    expect(same.statusCode).toBe(200);
    const all = await events();
    expect(all.map((e) => e['change'])).toEqual(['created', 'updated']);
    expect(all[1]).toMatchObject({ tags: ['Hot Lead'], fields: { budget: '$1M – $2M', lifecycle_stage: 'opportunity' } });

    const gone = await app.inject({ method: 'PATCH', url: '/api/v1/crm/people/nope', payload: { ownerId: 'x' } });
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error.code).toBe('CRM_PERSON_NOT_FOUND');
  });

  it('shows a WhatsApp contact as a person, and creates, lists and completes tasks once per idempotency key', async () => {
    const contact = await createContact(database.db, { name: 'Dora', phone: '+14155550142' }, { clock, ids: uuidGenerator, defaultRegion: 'US' });
    if (!contact.ok) throw contact.error;
    const id = contact.value.id;
    expect((await app.inject({ method: 'GET', url: `/api/v1/crm/people/${id}` })).json()).toMatchObject({ id, name: 'Dora', tags: [], ownerId: null, tasks: [] });

    const task = { contactId: id, subject: 'Call Dora back', dueAt: '2026-11-02T09:00:00Z', ownerId: 'user-7' };
    const first = await app.inject({ method: 'POST', url: '/api/v1/crm/tasks', headers: { 'idempotency-key': 'abc' }, payload: task });
    const second = await app.inject({ method: 'POST', url: '/api/v1/crm/tasks', headers: { 'idempotency-key': 'abc' }, payload: task });
    expect(first.statusCode).toBe(201);
    expect(second.json().id).toBe(first.json().id);
    expect(first.json()).toMatchObject({ subject: 'Call Dora back', dueAt: '2026-11-02T09:00:00.000Z', ownerId: 'user-7', status: 'open' });

    const mine = await app.inject({ method: 'GET', url: '/api/v1/crm/tasks?ownerId=user-7&status=open' });
    expect(mine.json().data.map((t: { id: string }) => t.id)).toEqual([first.json().id]);
    const done = await app.inject({ method: 'PATCH', url: `/api/v1/crm/tasks/${first.json().id}`, payload: { status: 'done' } });
    expect(done.json().status).toBe('done');
    expect((await app.inject({ method: 'GET', url: '/api/v1/crm/tasks?ownerId=user-7&status=open' })).json().data).toEqual([]);
    expect((await app.inject({ method: 'GET', url: `/api/v1/crm/people/${id}` })).json().tasks).toHaveLength(1);

    const orphan = await app.inject({ method: 'POST', url: '/api/v1/crm/tasks', payload: { ...task, contactId: 'nope' } });
    expect(orphan.statusCode).toBe(404);
    const badDate = await app.inject({ method: 'POST', url: '/api/v1/crm/tasks', payload: { ...task, dueAt: 'tomorrow' } });
    expect(badDate.statusCode).toBe(400);
    expect((await app.inject({ method: 'PATCH', url: '/api/v1/crm/tasks/nope', payload: { status: 'done' } })).statusCode).toBe(404);
  });
});
