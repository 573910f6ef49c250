import { z } from 'zod';
import type { JobContext, JobDefinition } from '../../../jobs/job-definition.js';
import { contactRepository } from '../../contacts/index.js';
import { toCrmFields } from '../core/field-mapping.js';
import { crmLinksRepository } from './crm-links.repository.js';
import { runCrmWork } from './crm-retry.js';
import type { CrmSyncDeps } from './crm-sync.deps.js';
import { ensureCrmLink } from './ensure-crm-link.js';
import { recordSnapshot } from './snapshot.js';

export const CRM_UPDATE_PERSON = 'crm.update_person';
export const CRM_CREATE_TASK = 'crm.create_task';

export const updatePersonPayload = z.object({
  contactId: z.string(),
  fields: z.record(z.string(), z.string().nullable()).optional(),
  addTags: z.array(z.string()).optional(),
  removeTags: z.array(z.string()).optional(),
  idempotencyKey: z.string(),
  generation: z.number().int().min(0).default(0),
});

export const createTaskPayload = z.object({
  contactId: z.string(),
  subject: z.string(),
  body: z.string().nullable(),
  dueAt: z.number().nullable(),
  ownerId: z.string().nullable(),
  idempotencyKey: z.string(),
  generation: z.number().int().min(0).default(0),
});

async function withRetry<P extends { generation: number; idempotencyKey: string }>(
  name: string,
  payload: P,
  work: () => Promise<void>,
  deps: CrmSyncDeps,
  ctx: JobContext,
): Promise<void> {
  const decision = await runCrmWork(work, { generation: payload.generation, now: deps.clock.now(), random: deps.random ?? Math.random });
  if (decision.kind === 'done') return;
  const generation = payload.generation + 1;
  ctx.log.warn({ job: name, generation, runAt: decision.runAt, reason: decision.reason }, 'CRM command postponed');
  await deps.enqueue(deps.db, [{ name, payload: { ...payload, generation }, dedupeKey: `${name}:${payload.idempotencyKey}:${generation}`, runAt: decision.runAt }]);
}

/**
 * Writes mapped fields and tags to the contact's CRM record (linking it first; with no fields it
 * only writes our key). The record's new state becomes the link's snapshot, so the CRM's echo of
 * this write is not taken for a change made by a person.
 */
export function updatePersonJob(deps: CrmSyncDeps): JobDefinition<typeof updatePersonPayload> {
  return {
    name: CRM_UPDATE_PERSON,
    payload: updatePersonPayload,
    mode: 'lease',
    leaseMs: 2 * 60_000,
    handle: (payload, ctx) =>
      withRetry(
        CRM_UPDATE_PERSON,
        payload,
        async () => {
          const contact = await contactRepository.findById(deps.db, payload.contactId);
          if (!contact) return;
          const { link } = await ensureCrmLink(contact, deps);
          let tags: string[] | undefined;
          if (payload.addTags?.length || payload.removeTags?.length) {
            const current = await deps.connector.getPerson(link.crmId);
            const removed = new Set(payload.removeTags ?? []);
            tags = [...new Set([...(current?.tags ?? []), ...(payload.addTags ?? [])])].filter((t) => !removed.has(t));
          }
          const fields = payload.fields ? toCrmFields(deps.fieldMap, payload.fields, deps.defaultRegion) : undefined;
          const updated = await deps.connector.updatePerson(link.crmId, {
            switchboardKey: contact.id,
            ...(fields && Object.keys(fields).length > 0 ? { fields } : {}),
            ...(tags ? { tags } : {}),
          });
          await crmLinksRepository.setSnapshot(deps.db, deps.connector.kind, contact.id, recordSnapshot(updated, deps.fieldMap, deps.defaultRegion), deps.clock.now());
        },
        deps,
        ctx,
      ),
  };
}

export function createTaskJob(deps: CrmSyncDeps): JobDefinition<typeof createTaskPayload> {
  return {
    name: CRM_CREATE_TASK,
    payload: createTaskPayload,
    mode: 'lease',
    leaseMs: 2 * 60_000,
    handle: (payload, ctx) =>
      withRetry(
        CRM_CREATE_TASK,
        payload,
        async () => {
          const contact = await contactRepository.findById(deps.db, payload.contactId);
          if (!contact) return;
          const { link } = await ensureCrmLink(contact, deps);
          await deps.connector.createTask({
            crmId: link.crmId,
            idempotencyKey: payload.idempotencyKey,
            subject: payload.subject,
            body: payload.body,
            dueAt: payload.dueAt,
            ownerId: payload.ownerId,
          });
        },
        deps,
        ctx,
      ),
  };
}
