import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../../test/support/test-databases.js';
import { migrateToLatest } from '../connect.js';

/** The upgrade of a database that has automation events waiting: each keeps its contact's place in line. */
describe.each(DIALECTS)('migration 0008 (job ordering keys) on %s', (dialect) => {
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await database?.drop();
  });

  it('gives waiting automation jobs their contact as ordering key, and leaves every other job without one', async () => {
    database = await createTestDatabase(dialect, { migratedTo: '0007_crm_outbox' });
    const job = (id: string, name: string, state: string, payload: object) =>
      sql`insert into jobs (id, name, payload, dedupe_key, state, attempts, max_attempts, run_at, last_error, locked_until, created_at, updated_at)
          values (${id}, ${name}, ${JSON.stringify(payload)}, ${id}, ${state}, 0, 5, 0, null, null, 0, 0)`.execute(database!.db);
    await job('waiting', 'event.automation', 'pending', { type: 'message.received', id: 'e1', contactId: 'contact-1' });
    await job('running', 'event.automation', 'running', { type: 'message.received', id: 'e2', contactId: 'contact-2' });
    await job('done', 'event.automation', 'done', { type: 'message.received', id: 'e3', contactId: 'contact-3' });
    await job('inbound', 'inbound.process_event', 'pending', { eventId: 'abc', contactId: 'not-an-event' });

    expect(await migrateToLatest(database.db)).toContain('0008_job_ordering_key');

    const rows = await database.db.selectFrom('jobs').select(['id', 'ordering_key']).orderBy('id').execute();
    expect(rows).toEqual([
      { id: 'done', ordering_key: null },
      { id: 'inbound', ordering_key: null },
      { id: 'running', ordering_key: 'contact-2' },
      { id: 'waiting', ordering_key: 'contact-1' },
    ]);
  });
});
