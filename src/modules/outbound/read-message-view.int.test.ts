import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-databases.js';
import { ManualClock } from '../../platform/clock.js';
import { uuidGenerator } from '../../platform/ids.js';
import { createContact } from '../contacts/index.js';
import { newMessageRow } from '../timeline/record-message.js';
import { outboxRepository } from './outbox.repository.js';
import { readMessageView } from './read-message-view.js';

// PostgreSQL only: there a send can commit between two reads of one request (a pool of
// connections); SQLite's one connection cannot run it inside the reading transaction at all.
describe('a message read for the API on postgres', () => {
  let database: TestDatabase;
  const clock = new ManualClock(1_000_000);
  const deps = { clock, ids: uuidGenerator, defaultRegion: 'US' };

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
  });
  afterAll(async () => {
    await database.drop();
  });

  it('shows its outbox row and timeline entry from one moment, even when a send ends between the two reads', async () => {
    const contact = await createContact(database.db, { name: 'Dora', phone: '+14155550142' }, deps);
    if (!contact.ok) throw contact.error;
    const id = uuidGenerator.next();
    const t = clock.now();
    await database.db
      .insertInto('outbound_messages')
      .values({
        id, idempotency_key: null, contact_id: contact.value.id, business_phone_number_id: '1001', recipient: '14155550142', recipient_kind: 'phone',
        type: 'text', category: 'service', body: '{}', state: 'sending', attempts: 0, pair_attempts: 0, next_attempt_at: t, lease_until: null,
        wamid: null, message_status: null, error_code: null, error_message: null, created_at: t, updated_at: t,
      })
      .execute();
    await database.db.insertInto('messages').values({ ...newMessageRow(deps, contact.value.id, null, 1_000), id, direction: 'outbound', type: 'text', status: 'queued', status_rank: 5 }).execute();

    const view = await readMessageView(database.db, async (exec) => {
      const row = await outboxRepository.findById(exec, id);
      // The sender's transaction commits now, on another connection.
      await database.db.transaction().execute(async (trx) => {
        await trx.updateTable('outbound_messages').set({ state: 'failed', error_code: 'WINDOW_CLOSED', error_message: 'closed' }).where('id', '=', id).execute();
        await trx.updateTable('messages').set({ status: 'failed', status_rank: 30, error_code: 131047, error_title: 'Re-engagement message' }).where('id', '=', id).execute();
      });
      return row;
    });
    // Before the send ended, both of them; not the entry's failure beside the row's "sending".
    expect(view).toMatchObject({ id, status: 'sending', error: null });
    const after = await readMessageView(database.db, (exec) => outboxRepository.findById(exec, id));
    expect(after).toMatchObject({ status: 'failed', error: { code: 'WINDOW_CLOSED' } });
  });
});
