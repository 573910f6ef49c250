import { sql, type Kysely } from 'kysely';

// The 24-hour window and the default sending number ask when, and to which number, a contact
// last wrote. Through `messages_contact_timeline` that read the contact's messages from the
// newest back to their last inbound one: every message sent since, thousands for a customer who
// gets campaigns and never replies. An API accept asks twice and a send once more. Only inbound
// messages answer it, hence a partial index (nothing to maintain on outbound inserts), newest
// first per contact, with the number in it so that the answer comes from the index alone.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index messages_last_inbound on messages (contact_id, wa_timestamp, business_phone_number_id) where direction = 'inbound'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists messages_last_inbound`.execute(db);
}
