import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseWithContact } from '../../../test/support/database-with-contact.js';
import { DIALECTS, type TestDatabase } from '../../../test/support/test-databases.js';
import { ManualClock } from '../../platform/clock.js';
import { uuidGenerator } from '../../platform/ids.js';
import { STATUS_RANK } from './core/status-order.js';
import { messageRepository } from './message.repository.js';
import { completeOutboundSend, failOutboundEntry, recordOutboundQueued } from './outbound-entries.js';
import { newMessageRow } from './record-message.js';

const NUMBER = '1000001';

describe.each(DIALECTS)('an outbound entry completed by the wamid Meta answered with, on %s', (dialect) => {
  let database: TestDatabase;
  let contactId: string;
  const clock = new ManualClock(1_000_000);
  const deps = { clock, ids: uuidGenerator, defaultRegion: 'US' };
  let seq = 0;

  beforeAll(async () => {
    ({ database, contactId } = await createDatabaseWithContact(dialect, { name: 'Olga', phone: '+14155550166' }, deps));
  });
  afterAll(async () => {
    await database.drop();
  });

  async function queued(): Promise<{ id: string; wamid: string }> {
    const id = uuidGenerator.next();
    await recordOutboundQueued(database.db, { id, contactId, businessPhoneNumberId: NUMBER, type: 'text', text: 'Your order shipped', content: { type: 'text' }, queuedAt: clock.now() });
    return { id, wamid: `wamid.OE${dialect}${++seq}` };
  }

  const read = (id: string) =>
    database.db
      .selectFrom('messages')
      .select(['wamid', 'status', 'status_rank', 'error_code', 'pricing', 'updated_at'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
      .then((row) => ({ ...row, updated_at: Number(row.updated_at) }));

  it('takes the wamid and `accepted` when no status came first, and completing it again changes nothing', async () => {
    const { id, wamid } = await queued();
    await completeOutboundSend(database.db, id, wamid, 1_000_100);
    const expected = { wamid, status: 'accepted', status_rank: STATUS_RANK.accepted, error_code: null, pricing: null, updated_at: 1_000_100 };
    expect(await read(id)).toEqual(expected);

    await completeOutboundSend(database.db, id, wamid, 1_000_200);
    expect(await read(id)).toEqual(expected);
  });

  it('keeps a status further on than `accepted` that the entry already has', async () => {
    const { id, wamid } = await queued();
    await failOutboundEntry(database.db, id, { code: 131026, title: 'Message undeliverable', details: null }, 1_000_050);
    await completeOutboundSend(database.db, id, wamid, 1_000_100);
    expect(await read(id)).toEqual({ wamid, status: 'failed', status_rank: STATUS_RANK.failed, error_code: 131026, pricing: null, updated_at: 1_000_100 });
  });

  it('folds in the entry that statuses arriving before the answer created, keeping the furthest status and their pricing', async () => {
    const { id, wamid } = await queued();
    const pricing = '{"category":"utility"}';
    const early = { ...newMessageRow(deps, contactId, wamid, 1_000_010), direction: 'outbound' as const, status: 'delivered', status_rank: STATUS_RANK.delivered, pricing };
    await messageRepository.insertIfAbsent(database.db, early);

    await completeOutboundSend(database.db, id, wamid, 1_000_100);
    expect(await read(id)).toEqual({ wamid, status: 'delivered', status_rank: STATUS_RANK.delivered, error_code: null, pricing, updated_at: 1_000_100 });
    expect(await messageRepository.findById(database.db, early.id)).toBeUndefined();
  });
});
