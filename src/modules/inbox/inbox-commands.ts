import type { DbExecutor } from '../../db/database.js';

/** What automation asks of the shared inbox; all run in the caller's transaction. */
export interface InboxCommands {
  /** Assigns the contact's conversation on that number to a user, or by the inbox's assignment rules when `userId` is omitted. */
  assign(exec: DbExecutor, command: { contactId: string; phoneNumberId: string | null; userId?: string | null }): Promise<void>;
  /** Reopens the conversation (if resolved) and alerts its owner with `reason`. */
  reopenAndAlert(exec: DbExecutor, command: { contactId: string; phoneNumberId: string | null; reason: string }): Promise<void>;
}
