import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseWithContact } from '../../../test/support/database-with-contact.js';
import { DIALECTS, type TestDatabase } from '../../../test/support/test-databases.js';
import { ManualClock } from '../../platform/clock.js';
import { uuidGenerator } from '../../platform/ids.js';
import { STATUS_RANK } from './core/status-order.js';
import { messageRepository } from './message.repository.js';
import { newMessageRow } from './record-message.js';

const STATUSES = ['sent', 'delivered', 'failed', 'read', 'played'] as const;
const change = fc.record({
  status: fc.constantFrom(...STATUSES),
  waTimestamp: fc.integer({ min: 1_000, max: 2_000 }),
  pricing: fc.option(fc.constantFrom('{"category":"utility"}', '{"category":"marketing"}'), { nil: null }),
  // The entry as the applying worker read it: as it is now, or as it was after any earlier step,
  // another worker having moved it on since (a stale read).
  readAfterStep: fc.option(fc.nat(), { nil: undefined }),
});

describe.each(DIALECTS)('a status applied to its timeline entry on %s', (dialect) => {
  let database: TestDatabase;
  let contactId: string;
  const clock = new ManualClock(1_000_000);
  const deps = { clock, ids: uuidGenerator, defaultRegion: 'US' };

  beforeAll(async () => {
    ({ database, contactId } = await createDatabaseWithContact(dialect, { name: 'Dora', phone: '+14155550142' }, deps));
  });
  afterAll(async () => {
    await database.drop();
  });

  it('ends, in any order, on the highest status, the earliest time of an unknown entry and the first pricing, touching updated_at only for those, however stale the read of the entry', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('unknown', 'text'), fc.array(change, { minLength: 1, maxLength: 8 }), async (type, changes) => {
        const wamid = `wamid.P${dialect}${run++}`;
        const created = { ...newMessageRow(deps, contactId, wamid, 1_500), direction: 'outbound' as const, type, status: 'accepted', status_rank: STATUS_RANK.accepted };
        await messageRepository.insertIfAbsent(database.db, created);

        const expected = { status: created.status, status_rank: created.status_rank, wa_timestamp: created.wa_timestamp, pricing: null as string | null, updated_at: created.updated_at };
        const reads = [await messageRepository.findStatusTarget(database.db, wamid)];
        for (const [i, c] of changes.entries()) {
          const now = created.updated_at + i + 1;
          const rank = STATUS_RANK[c.status];
          const current = reads[c.readAfterStep === undefined ? reads.length - 1 : c.readAfterStep % reads.length]!;
          await messageRepository.applyStatus(database.db, wamid, { status: c.status, rank, waTimestamp: c.waTimestamp, pricing: c.pricing }, now, current);
          reads.push(await messageRepository.findStatusTarget(database.db, wamid));
          const advances = rank > expected.status_rank;
          const pricingArrives = c.pricing !== null && expected.pricing === null;
          if (advances) Object.assign(expected, { status: c.status, status_rank: rank });
          if (pricingArrives) expected.pricing = c.pricing;
          if (advances || pricingArrives) expected.updated_at = now;
          if (type === 'unknown') expected.wa_timestamp = Math.min(expected.wa_timestamp, c.waTimestamp);
        }
        const row = await database.db
          .selectFrom('messages')
          .select(['status', 'status_rank', 'wa_timestamp', 'pricing', 'updated_at'])
          .where('wamid', '=', wamid)
          .executeTakeFirstOrThrow();
        expect({ ...row, wa_timestamp: Number(row.wa_timestamp), updated_at: Number(row.updated_at) }).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  });
});
