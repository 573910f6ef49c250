import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../../test/support/test-databases.js';
import { ManualClock } from '../../platform/clock.js';
import { SecretBox } from '../../platform/secret-box.js';
import { CrmCredentialStore } from './crm-credentials.store.js';

describe.each(DIALECTS)('CRM credentials at rest on %s', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await database.drop();
  });

  it('stores a token sealed, reads it back until it expires, and replaces it', async () => {
    const clock = new ManualClock(1_000);
    const store = new CrmCredentialStore(new SecretBox('a-secret-key-of-at-least-32-characters!'), clock);
    await store.put(database.db, 'zoho', 'access_token', '1000.abcdef.secret-token', 61_000);
    const row = await database.db.selectFrom('crm_credentials').selectAll().executeTakeFirstOrThrow();
    expect(row.value_sealed).not.toContain('secret-token');
    expect(await store.get(database.db, 'zoho', 'access_token')).toBe('1000.abcdef.secret-token');
    await store.put(database.db, 'zoho', 'access_token', 'next-token', 121_000);
    expect(await store.get(database.db, 'zoho', 'access_token')).toBe('next-token');
    clock.set(121_000);
    expect(await store.get(database.db, 'zoho', 'access_token')).toBeNull();
    await store.delete(database.db, 'zoho', 'access_token');
    expect(await database.db.selectFrom('crm_credentials').selectAll().execute()).toEqual([]);
  });

  it('refuses to store a credential without SWITCHBOARD_SECRET_KEY rather than keep it in clear', async () => {
    const store = new CrmCredentialStore(null, new ManualClock(0));
    await expect(store.put(database.db, 'hubspot', 'access_token', 'pat-x')).rejects.toMatchObject({ code: 'SECRET_KEY_MISSING' });
    expect(await database.db.selectFrom('crm_credentials').selectAll().where('connector', '=', 'hubspot').execute()).toEqual([]);
  });
});
