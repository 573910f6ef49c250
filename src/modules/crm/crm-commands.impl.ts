import type { DbExecutor } from '../../db/database.js';
import type { NewJob } from '../../jobs/job-definition.js';
import { AppError } from '../../platform/errors.js';
import type { CrmCommands } from './crm-commands.js';
import type { CrmKind } from './crm-connector.js';
import type { BuiltinCrmDeps } from './connectors/builtin/builtin-deps.js';
import { builtinTasksRepository } from './connectors/builtin/builtin-tasks.repository.js';
import { updateBuiltinPerson } from './connectors/builtin/update-builtin-person.js';
import { CRM_CREATE_TASK, CRM_UPDATE_PERSON } from './sync/crm-command.jobs.js';

export type CrmCommandsDeps = BuiltinCrmDeps & {
  kind: CrmKind;
  enqueue: (exec: DbExecutor, jobs: NewJob[]) => Promise<void>;
};

/**
 * CrmCommands for the configured CRM. The built-in CRM takes effect in the caller's transaction.
 * With an external CRM the contact's own view (fields, tags, tasks) changes in the caller's
 * transaction too, and a job carries the change to the CRM (retried through outages, idempotent
 * on the command's key). Commands publish no `crm.person_changed`: a rule's own write must not
 * trigger rules again.
 */
export function createCrmCommands(deps: CrmCommandsDeps): CrmCommands {
  const external = deps.kind !== 'builtin';
  return {
    async updatePerson(exec, command) {
      const updated = await updateBuiltinPerson(
        exec,
        command.contactId,
        {
          ...(command.fields ? { fields: command.fields } : {}),
          ...(command.addTags ? { addTags: command.addTags } : {}),
          ...(command.removeTags ? { removeTags: command.removeTags } : {}),
        },
        deps,
      );
      if (!updated.ok) throw updated.error;
      if (external) {
        await deps.enqueue(exec, [{ name: CRM_UPDATE_PERSON, payload: { ...command, generation: 0 }, dedupeKey: `${CRM_UPDATE_PERSON}:${command.idempotencyKey}` }]);
      }
    },

    async createTask(exec, command) {
      const contact = await exec.selectFrom('contacts').select('id').where('id', '=', command.contactId).executeTakeFirst();
      if (!contact) throw new AppError('CRM_PERSON_NOT_FOUND', `No person ${command.contactId}.`);
      const now = deps.clock.now();
      await builtinTasksRepository.insertOnce(exec, {
        id: deps.ids.next(),
        contactId: command.contactId,
        idempotencyKey: command.idempotencyKey,
        subject: command.subject,
        body: command.body,
        dueAt: command.dueAt,
        ownerId: command.ownerId,
        status: 'open',
        createdAt: now,
        updatedAt: now,
      });
      if (external) {
        await deps.enqueue(exec, [{ name: CRM_CREATE_TASK, payload: { ...command, generation: 0 }, dedupeKey: `${CRM_CREATE_TASK}:${command.idempotencyKey}` }]);
      }
    },
  };
}
