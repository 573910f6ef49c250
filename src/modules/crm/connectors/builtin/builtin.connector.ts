import type { Db, DbExecutor } from '../../../../db/database.js';
import type { AppError } from '../../../../platform/errors.js';
import { lookupPhone } from '../../../contacts/index.js';
import type { CrmActivityInput, CrmChange, CrmConnector, CrmPage, CrmPerson, CrmPersonInput, CrmTaskInput } from '../../crm-connector.js';
import { CrmError } from '../../crm-error.js';
import type { BuiltinCrmDeps } from './builtin-deps.js';
import { builtinPeopleRepository, type BuiltinPerson } from './builtin-people.repository.js';
import { builtinActivitiesRepository, builtinTasksRepository } from './builtin-tasks.repository.js';
import { createBuiltinPerson } from './create-builtin-person.js';
import { joinName, splitName } from './person-name.js';
import { updateBuiltinPerson, type BuiltinPersonPatch } from './update-builtin-person.js';

export type BuiltinConnectorOptions = BuiltinCrmDeps & {
  db: Db;
  /** People per listPeople page and changes per pollChanges page. */
  pageSize?: number;
};

/** A built-in person as the CrmPerson every connector speaks; the stage reads as the `lifecycle_stage` field. */
export function builtinCrmPerson(person: BuiltinPerson): CrmPerson {
  const { contact } = person;
  const fields: Record<string, string | null> = {};
  for (const [name, value] of Object.entries(contact.fields)) fields[name] = value === null || value === undefined ? null : typeof value === 'string' ? value : JSON.stringify(value);
  if (person.lifecycleStage !== null) fields['lifecycle_stage'] = person.lifecycleStage;
  return {
    crmId: contact.id,
    switchboardKey: person.switchboardKey,
    ...splitName(contact.name),
    phones: contact.phone ? [contact.phone] : [],
    email: person.email,
    ownerId: person.ownerId,
    tags: person.tags,
    fields,
    url: null,
    updatedAt: person.updatedAt,
  };
}

function rejected(error: AppError): CrmError {
  if (error.code === 'CRM_PERSON_NOT_FOUND') return new CrmError('CRM_NOT_FOUND', error.message);
  return new CrmError('CRM_REJECTED', error.message, { vendorCode: error.code });
}

function patchOf(input: CrmPersonInput): BuiltinPersonPatch {
  return {
    switchboardKey: input.switchboardKey,
    ...(input.firstName !== undefined ? { firstName: input.firstName } : {}),
    ...(input.lastName !== undefined ? { lastName: input.lastName } : {}),
    ...(input.phone ? { phone: input.phone } : {}),
    ...(input.email !== undefined ? { email: input.email } : {}),
    ...(input.ownerId !== undefined ? { ownerId: input.ownerId } : {}),
    ...(input.tags !== undefined ? { tags: input.tags } : {}),
    ...(input.fields !== undefined ? { fields: input.fields } : {}),
  };
}

/**
 * The built-in CRM behind the CrmConnector port: people are contacts, so nothing travels over a
 * network and no outbox is needed. It exists as a connector so that backfill, the contract suite
 * and tools treat every CRM alike; the hub itself reads and writes the built-in CRM directly.
 */
export class BuiltinCrmConnector implements CrmConnector {
  readonly kind = 'builtin' as const;
  private readonly pageSize: number;

  constructor(private readonly options: BuiltinConnectorOptions) {
    this.pageSize = options.pageSize ?? 200;
  }

  private get db(): Db {
    return this.options.db;
  }

  async findByKey(switchboardKey: string): Promise<CrmPerson | null> {
    const person = await builtinPeopleRepository.byKey(this.db, switchboardKey);
    return person && builtinCrmPerson(person);
  }

  async findByPhone(variants: string[]): Promise<CrmPerson[]> {
    const keys = new Set<string>();
    for (const variant of variants) {
      const parsed = lookupPhone(variant, this.options.defaultRegion);
      if (parsed.ok) keys.add(parsed.matchKey);
    }
    return (await builtinPeopleRepository.byMatchKeys(this.db, [...keys])).map(builtinCrmPerson);
  }

  async findByEmail(email: string): Promise<CrmPerson[]> {
    return (await builtinPeopleRepository.byEmail(this.db, email)).map(builtinCrmPerson);
  }

  async getPerson(crmId: string): Promise<CrmPerson | null> {
    const person = await builtinPeopleRepository.get(this.db, crmId);
    return person && builtinCrmPerson(person);
  }

  async upsertPerson(input: CrmPersonInput): Promise<CrmPerson> {
    return this.db.transaction().execute(async (trx) => {
      const existing = await builtinPeopleRepository.byKey(trx, input.switchboardKey);
      if (existing) return this.update(trx, existing.contact.id, input);
      if (!input.phone) throw new CrmError('CRM_REJECTED', 'A new person of the built-in CRM needs a phone number.');
      const created = await createBuiltinPerson(
        trx,
        {
          name: joinName(input.firstName, input.lastName),
          phone: input.phone,
          email: input.email ?? null,
          tags: input.tags ?? [],
          ownerId: input.ownerId ?? null,
          fields: input.fields ?? {},
          switchboardKey: input.switchboardKey,
        },
        this.options,
        { adoptExisting: true },
      );
      if (!created.ok) throw rejected(created.error);
      return builtinCrmPerson(created.value.person);
    });
  }

  async updatePerson(crmId: string, input: CrmPersonInput): Promise<CrmPerson> {
    return this.db.transaction().execute((trx) => this.update(trx, crmId, input));
  }

  private async update(exec: DbExecutor, crmId: string, input: CrmPersonInput): Promise<CrmPerson> {
    const updated = await updateBuiltinPerson(exec, crmId, patchOf(input), this.options);
    if (!updated.ok) throw rejected(updated.error);
    return builtinCrmPerson(updated.value);
  }

  async logActivity(input: CrmActivityInput): Promise<{ activityId: string }> {
    const person = await builtinPeopleRepository.get(this.db, input.crmId);
    if (!person) throw new CrmError('CRM_NOT_FOUND', `No person ${input.crmId}.`);
    const activityId = await builtinActivitiesRepository.insertOnce(this.db, {
      id: this.options.ids.next(),
      contactId: input.crmId,
      idempotencyKey: input.idempotencyKey,
      direction: input.direction,
      body: input.body,
      occurredAt: input.occurredAt,
      now: this.options.clock.now(),
    });
    return { activityId };
  }

  async createTask(input: CrmTaskInput): Promise<{ taskId: string }> {
    const person = await builtinPeopleRepository.get(this.db, input.crmId);
    if (!person) throw new CrmError('CRM_NOT_FOUND', `No person ${input.crmId}.`);
    const now = this.options.clock.now();
    const task = await builtinTasksRepository.insertOnce(this.db, {
      id: this.options.ids.next(),
      contactId: input.crmId,
      idempotencyKey: input.idempotencyKey,
      subject: input.subject,
      body: input.body,
      dueAt: input.dueAt,
      ownerId: input.ownerId,
      status: 'open',
      createdAt: now,
      updatedAt: now,
    });
    return { taskId: task.id };
  }

  async listPeople(cursor: string | null): Promise<CrmPage<CrmPerson>> {
    const rows = await builtinPeopleRepository.page(this.db, cursor, this.pageSize + 1);
    const items = rows.slice(0, this.pageSize).map(builtinCrmPerson);
    return { items, next: rows.length > this.pageSize ? (items.at(-1)?.crmId ?? null) : null };
  }

  /**
   * The change feed by sequence number. On PostgreSQL a sequence number is taken before its
   * transaction commits, so a reader could pass a change committed late; the hub itself does not
   * poll the built-in CRM (its changes are published where they are made), tools and tests do.
   */
  async pollChanges(cursor: string | null): Promise<CrmPage<CrmChange> & { next: string }> {
    if (cursor === null) return { items: [], next: String(await builtinPeopleRepository.lastChangeSeq(this.db)) };
    const after = Number(cursor);
    if (!Number.isInteger(after) || after < 0) throw new CrmError('CRM_REJECTED', 'The change cursor is not one this CRM gave.');
    const rows = await builtinPeopleRepository.changesAfter(this.db, after, this.pageSize);
    const items: CrmChange[] = [];
    for (const row of rows) {
      const person = await builtinPeopleRepository.get(this.db, row.contact_id);
      if (person) items.push({ kind: row.kind === 'person.created' ? 'person.created' : 'person.updated', person: builtinCrmPerson(person), occurredAt: row.occurred_at });
    }
    return { items, next: String(rows.at(-1)?.seq ?? after) };
  }
}
