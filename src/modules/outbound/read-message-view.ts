import type { Db, DbExecutor } from '../../db/database.js';
import { findEntry } from '../timeline/index.js';
import { messageView, type MessageView } from './message-view.js';
import type { OutboxRow } from './outbox.repository.js';

/**
 * A message as the API shows it, from its outbox row and its timeline entry read in one snapshot.
 * Read one after the other, a send that ended between the two reads showed the entry already
 * failed beside the outbox row from before: Meta's code 131047 where WINDOW_CLOSED was stored.
 */
export async function readMessageView(db: Db, findRow: (exec: DbExecutor) => Promise<OutboxRow | undefined>): Promise<MessageView | undefined> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const row = await findRow(trx);
      return row && messageView(row, await findEntry(trx, row.id));
    });
}
