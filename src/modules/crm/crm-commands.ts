import type { DbExecutor } from '../../db/database.js';

/**
 * What other modules (automation, the inbox's contact panel) ask of the CRM. Commands are queued
 * in the caller's transaction and carried out by the CRM sync outbox, so a CRM outage delays them
 * and loses nothing; with the built-in CRM they take effect in the same transaction.
 */
export interface CrmCommands {
  updatePerson(
    exec: DbExecutor,
    command: { contactId: string; fields?: Record<string, string | null>; addTags?: string[]; removeTags?: string[]; idempotencyKey: string },
  ): Promise<void>;
  createTask(
    exec: DbExecutor,
    command: { contactId: string; subject: string; body: string | null; dueAt: number | null; ownerId: string | null; idempotencyKey: string },
  ): Promise<void>;
}
