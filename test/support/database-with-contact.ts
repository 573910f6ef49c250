import type { DialectName } from '../../src/db/connect.js';
import { createContact, type ContactsDeps } from '../../src/modules/contacts/index.js';
import { createTestDatabase, type TestDatabase } from './test-databases.js';

/** A fresh test database holding one contact: the set-up of tests about one contact's timeline. */
export async function createDatabaseWithContact(
  dialect: DialectName,
  contact: { name: string; phone: string },
  deps: ContactsDeps,
): Promise<{ database: TestDatabase; contactId: string }> {
  const database = await createTestDatabase(dialect);
  const created = await createContact(database.db, contact, deps);
  if (!created.ok) throw created.error;
  return { database, contactId: created.value.id };
}
