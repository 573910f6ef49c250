import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db, DbExecutor } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { ErrorResponse } from '../../http/error.schema.js';
import { replyError } from '../../http/reply-error.js';
import type { NewJob } from '../../jobs/job-definition.js';
import { AppError, err, ok } from '../../platform/errors.js';
import { contactResponse } from '../contacts/index.js';
import type { EventPublisher } from '../events/index.js';
import type { CrmCommands } from './crm-commands.js';
import type { CrmKind } from './crm-connector.js';
import type { BuiltinCrmDeps } from './connectors/builtin/builtin-deps.js';
import { builtinPeopleRepository, type BuiltinPerson } from './connectors/builtin/builtin-people.repository.js';
import { builtinTasksRepository, type BuiltinTask } from './connectors/builtin/builtin-tasks.repository.js';
import { createBuiltinPerson } from './connectors/builtin/create-builtin-person.js';
import { updateBuiltinPerson } from './connectors/builtin/update-builtin-person.js';
import { stringFields } from './sync/apply-crm-change.js';
import { CRM_UPDATE_PERSON } from './sync/crm-command.jobs.js';
import { crmLinksRepository } from './sync/crm-links.repository.js';

const Locale = z.string().regex(/^[a-z]{2,3}(_[A-Z]{2})?$/, 'a language code such as en, pt_BR or es_MX');
const FieldName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'letters, digits and _');
const Fields = z.record(FieldName, z.string().max(2000).nullable());
const Tag = z.string().trim().min(1).max(100);
const Tags = z.array(Tag).max(100);
const OwnerId = z.string().trim().min(1).max(200);
const Stage = z.string().trim().min(1).max(100);

const TaskResponse = z.object({
  id: z.string(),
  contactId: z.string(),
  subject: z.string(),
  body: z.string().nullable(),
  dueAt: z.string().nullable(),
  ownerId: z.string().nullable(),
  status: z.enum(['open', 'done']),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const PersonResponse = z.object({
  id: z.string(),
  name: z.string().nullable(),
  phone: z.string().nullable(),
  waId: z.string().nullable(),
  bsuid: z.string().nullable(),
  locale: z.string().nullable(),
  fields: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
  email: z.string().nullable(),
  tags: z.array(z.string()),
  ownerId: z.string().nullable().describe('The owner: a user id'),
  lifecycleStage: z.string().nullable(),
  tasks: z.array(TaskResponse),
  crm: z.object({ connector: z.string(), crmId: z.string(), url: z.string().nullable() }).nullable().describe('The linked record in the external CRM'),
});

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function taskResponse(task: BuiltinTask): z.infer<typeof TaskResponse> {
  return { ...task, dueAt: iso(task.dueAt), createdAt: iso(task.createdAt)!, updatedAt: iso(task.updatedAt)! };
}

export type CrmRouteOptions = {
  db: Db;
  deps: BuiltinCrmDeps;
  kind: CrmKind;
  publish: EventPublisher;
  commands: CrmCommands;
  enqueue: (exec: DbExecutor, jobs: NewJob[]) => Promise<void>;
};

/**
 * The built-in CRM's API beside the contact's: tags, owner, stage, fields and tasks of a contact.
 * With an external CRM these stay Switchboard's view of the person and every change is carried
 * to the CRM record. Creating and changing people tells automation (`crm.person_changed`).
 */
export const crmRoutes: FastifyPluginAsyncZod<CrmRouteOptions> = async (app, { db, deps, kind, publish, commands, enqueue }) => {
  async function view(exec: DbExecutor, person: BuiltinPerson): Promise<z.infer<typeof PersonResponse>> {
    const tasks = await builtinTasksRepository.list(exec, { contactId: person.contact.id, limit: 50 });
    const link = kind === 'builtin' ? null : await crmLinksRepository.byContact(exec, kind, person.contact.id);
    return {
      ...contactResponse(person.contact),
      email: person.email,
      tags: person.tags,
      ownerId: person.ownerId,
      lifecycleStage: person.lifecycleStage,
      tasks: tasks.map(taskResponse),
      crm: link ? { connector: link.connector, crmId: link.crmId, url: link.url } : null,
    };
  }

  async function announce(exec: DbExecutor, person: BuiltinPerson, change: 'created' | 'updated', previousTags: string[], fields: Record<string, string | null> | undefined): Promise<void> {
    const link = kind === 'builtin' ? null : await crmLinksRepository.byContact(exec, kind, person.contact.id);
    const now = deps.clock.now();
    await publish(exec, [
      {
        type: 'crm.person_changed',
        id: `crm:api:${deps.ids.next()}`,
        contactId: person.contact.id,
        change,
        connector: kind,
        // Before an external CRM has the record, the contact id stands for it.
        crmId: link?.crmId ?? person.contact.id,
        tags: person.tags,
        fields: { ...stringFields(person.contact.fields), ...(person.lifecycleStage !== null ? { lifecycle_stage: person.lifecycleStage } : {}) },
        ownerId: person.ownerId,
        occurredAt: now,
      },
    ]);
    if (kind !== 'builtin') {
      const addTags = person.tags.filter((t) => !previousTags.includes(t));
      const removeTags = previousTags.filter((t) => !person.tags.includes(t));
      const idempotencyKey = `api:${deps.ids.next()}`;
      await enqueue(exec, [
        {
          name: CRM_UPDATE_PERSON,
          payload: { contactId: person.contact.id, idempotencyKey, generation: 0, ...(fields ? { fields } : {}), ...(addTags.length ? { addTags } : {}), ...(removeTags.length ? { removeTags } : {}) },
          dedupeKey: `${CRM_UPDATE_PERSON}:${idempotencyKey}`,
        },
      ]);
    }
  }

  app.post(
    '/crm/people',
    {
      schema: {
        summary: 'Create a person (a lead) in the CRM; automation is told (crm.person_changed, created)',
        tags: ['crm'],
        body: z.object({
          name: z.string().trim().min(1).max(200),
          phone: z.string().min(1).max(64),
          email: z.email().max(320).nullable().optional(),
          locale: Locale.nullable().optional(),
          tags: Tags.optional(),
          ownerId: OwnerId.nullable().optional(),
          lifecycleStage: Stage.nullable().optional(),
          fields: Fields.optional(),
        }),
        response: { 201: PersonResponse, 400: ErrorResponse, 409: ErrorResponse },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const result = await inTransaction(db, async (trx) => {
        const created = await createBuiltinPerson(
          trx,
          {
            name: body.name,
            phone: body.phone,
            email: body.email ?? null,
            locale: body.locale ?? null,
            tags: body.tags ?? [],
            ownerId: body.ownerId ?? null,
            lifecycleStage: body.lifecycleStage ?? null,
            fields: body.fields ?? {},
          },
          deps,
        );
        if (!created.ok) return created;
        const { person } = created.value;
        await announce(trx, person, 'created', [], body.fields);
        return ok(await view(trx, person));
      });
      if (!result.ok) return replyError(reply, result.error);
      return reply.status(201).send(result.value);
    },
  );

  app.patch(
    '/crm/people/:contactId',
    {
      schema: {
        summary: "Change a person's tags, owner, stage, email or fields (fields are merged; null removes one)",
        tags: ['crm'],
        params: z.object({ contactId: z.string() }),
        body: z.object({
          name: z.string().trim().min(1).max(200).optional(),
          email: z.email().max(320).nullable().optional(),
          tags: Tags.optional(),
          addTags: Tags.optional(),
          removeTags: Tags.optional(),
          ownerId: OwnerId.nullable().optional(),
          lifecycleStage: Stage.nullable().optional(),
          fields: Fields.optional(),
        }),
        response: { 200: PersonResponse, 400: ErrorResponse, 404: ErrorResponse },
      },
    },
    async (request, reply) => {
      const result = await inTransaction(db, async (trx) => {
        const before = await builtinPeopleRepository.get(trx, request.params.contactId);
        if (!before) return err(new AppError('CRM_PERSON_NOT_FOUND', `No person ${request.params.contactId}.`));
        const updated = await updateBuiltinPerson(trx, before.contact.id, request.body, deps);
        if (!updated.ok) return updated;
        if (JSON.stringify(updated.value) !== JSON.stringify(before)) await announce(trx, updated.value, 'updated', before.tags, request.body.fields);
        return ok(await view(trx, updated.value));
      });
      if (!result.ok) return replyError(reply, result.error);
      return result.value;
    },
  );

  app.get(
    '/crm/people/:contactId',
    {
      schema: {
        summary: 'A person: the contact with tags, owner, stage, tasks and the linked CRM record',
        tags: ['crm'],
        params: z.object({ contactId: z.string() }),
        response: { 200: PersonResponse, 404: ErrorResponse },
      },
    },
    async (request, reply) => {
      const person = await builtinPeopleRepository.get(db, request.params.contactId);
      if (!person) return replyError(reply, { code: 'CRM_PERSON_NOT_FOUND', message: `No person ${request.params.contactId}.` });
      return view(db, person);
    },
  );

  app.get(
    '/crm/tasks',
    {
      schema: {
        summary: "Tasks, newest first: a person's, an owner's, open or done",
        tags: ['crm'],
        querystring: z.object({
          contactId: z.string().optional(),
          ownerId: z.string().optional(),
          status: z.enum(['open', 'done']).optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
        }),
        response: { 200: z.object({ data: z.array(TaskResponse) }) },
      },
    },
    async (request) => {
      const { contactId, ownerId, status, limit } = request.query;
      const tasks = await builtinTasksRepository.list(db, { ...(contactId ? { contactId } : {}), ...(ownerId ? { ownerId } : {}), ...(status ? { status } : {}), limit });
      return { data: tasks.map(taskResponse) };
    },
  );

  app.post(
    '/crm/tasks',
    {
      schema: {
        summary: 'Create a task for a person (and in the external CRM); an Idempotency-Key header makes retries safe',
        tags: ['crm'],
        headers: z.object({ 'idempotency-key': z.string().min(1).max(200).optional() }),
        body: z.object({
          contactId: z.string(),
          subject: z.string().trim().min(1).max(500),
          body: z.string().max(10_000).nullable().optional(),
          dueAt: z.iso.datetime({ offset: true }).nullable().optional(),
          ownerId: OwnerId.nullable().optional(),
        }),
        response: { 201: TaskResponse, 400: ErrorResponse, 404: ErrorResponse },
      },
    },
    async (request, reply) => {
      const { contactId, subject, body, dueAt, ownerId } = request.body;
      const key = request.headers['idempotency-key'];
      const idempotencyKey = key ? `api:${key}` : `api:${deps.ids.next()}`;
      const result = await inTransaction(db, async (trx) => {
        if (!(await builtinPeopleRepository.get(trx, contactId))) return err(new AppError('CRM_PERSON_NOT_FOUND', `No person ${contactId}.`));
        await commands.createTask(trx, { contactId, subject, body: body ?? null, dueAt: dueAt ? Date.parse(dueAt) : null, ownerId: ownerId ?? null, idempotencyKey });
        const [task] = await trx.selectFrom('crm_tasks').select('id').where('idempotency_key', '=', idempotencyKey).execute();
        return ok((await builtinTasksRepository.get(trx, task!.id))!);
      });
      if (!result.ok) return replyError(reply, result.error);
      return reply.status(201).send(taskResponse(result.value));
    },
  );

  app.patch(
    '/crm/tasks/:id',
    {
      schema: {
        summary: 'Mark a task done or open again',
        tags: ['crm'],
        params: z.object({ id: z.string() }),
        body: z.object({ status: z.enum(['open', 'done']) }),
        response: { 200: TaskResponse, 404: ErrorResponse },
      },
    },
    async (request, reply) => {
      const task = await builtinTasksRepository.get(db, request.params.id);
      if (!task) return replyError(reply, { code: 'CRM_TASK_NOT_FOUND', message: `No task ${request.params.id}.` });
      await builtinTasksRepository.setStatus(db, task.id, request.body.status, deps.clock.now());
      return taskResponse((await builtinTasksRepository.get(db, task.id))!);
    },
  );
};
