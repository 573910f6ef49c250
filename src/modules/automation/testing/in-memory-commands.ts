import type { CrmCommands } from '../../crm/crm-commands.js';
import type { InboxCommands } from '../../inbox/inbox-commands.js';

/**
 * In-memory fakes of the CRM and inbox ports, for tests of the engine alone. Like the real ones
 * they honour the idempotency key: a command repeated with the same key changes nothing.
 */

export type FakePerson = { fields: Record<string, string | null>; tags: string[] };
export type FakeTask = { contactId: string; subject: string; body: string | null; dueAt: number | null; ownerId: string | null; idempotencyKey: string };

export class InMemoryCrmCommands implements CrmCommands {
  readonly people = new Map<string, FakePerson>();
  readonly tasks: FakeTask[] = [];
  readonly keys = new Set<string>();
  /** Makes the next command throw this error (once). */
  failNext: Error | null = null;

  person(contactId: string): FakePerson {
    let person = this.people.get(contactId);
    if (!person) this.people.set(contactId, (person = { fields: {}, tags: [] }));
    return person;
  }

  private take(): void {
    const error = this.failNext;
    this.failNext = null;
    if (error) throw error;
  }

  async updatePerson(_exec: unknown, command: Parameters<CrmCommands['updatePerson']>[1]): Promise<void> {
    this.take();
    if (this.keys.has(command.idempotencyKey)) return;
    this.keys.add(command.idempotencyKey);
    const person = this.person(command.contactId);
    Object.assign(person.fields, command.fields ?? {});
    for (const tag of command.addTags ?? []) if (!person.tags.includes(tag)) person.tags.push(tag);
    person.tags = person.tags.filter((t) => !(command.removeTags ?? []).includes(t));
  }

  async createTask(_exec: unknown, command: Parameters<CrmCommands['createTask']>[1]): Promise<void> {
    this.take();
    if (this.keys.has(command.idempotencyKey)) return;
    this.keys.add(command.idempotencyKey);
    this.tasks.push({ ...command });
  }
}

export class InMemoryInboxCommands implements InboxCommands {
  readonly assignments: { contactId: string; phoneNumberId: string | null; userId: string | null }[] = [];
  readonly alerts: { contactId: string; phoneNumberId: string | null; reason: string }[] = [];

  async assign(_exec: unknown, command: Parameters<InboxCommands['assign']>[1]): Promise<void> {
    this.assignments.push({ contactId: command.contactId, phoneNumberId: command.phoneNumberId, userId: command.userId ?? null });
  }

  async reopenAndAlert(_exec: unknown, command: Parameters<InboxCommands['reopenAndAlert']>[1]): Promise<void> {
    this.alerts.push({ ...command });
  }
}
