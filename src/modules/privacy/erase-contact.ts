import type { Db, DbExecutor } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import type { Clock } from '../../platform/clock.js';
import { AppError, err, ok, type Result } from '../../platform/errors.js';
import { consentState, optedOutOfMarketingAnywhere } from '../consent/index.js';
import { scrubBody } from './core/mentions.js';
import { identityHash, writeTombstones } from './erasure-tombstone.js';
import { removeMediaFiles, type FileRemoval } from './media-files.js';
import { collectPersonData, deadLettersMentioning, inChunks, inboxEventsMentioning, parseJson } from './person-data.js';
import { eraseRelatedRecords, eventJobIdsOf } from './related-records.js';
import type { MediaStore } from '../media/index.js';

export type ErasureReport = {
  contactId: string;
  erasedAt: number;
  /** Whether the person was opted out of marketing (globally or on any number): kept in the tombstones. */
  marketingOptedOut: boolean;
  tombstones: number;
  deleted: {
    messages: number;
    messageStatuses: number;
    reactions: number;
    outboundMessages: number;
    consentEvents: number;
    mediaFiles: number;
    inboxEvents: number;
    deadLetters: number;
    jobs: number;
    /** Rows per table of the inbox, the CRM and automation (`related-records.ts`). */
    related: Record<string, number>;
  };
  /** Webhook bodies that also carried other people: the person's records were cut out, the rest kept. */
  redacted: { inboxEvents: number; deadLetters: number };
  /** Media files (paths in the store) to delete once the transaction has committed. */
  filesToDelete: string[];
};

export type Erasure = {
  report: ErasureReport;
  /**
   * Deletes the files on disk. Call it only after the transaction that ran `eraseContact` has
   * committed: deleting inside it would leave rows pointing at missing files if it rolled back
   * (and files cannot be rolled back). Pass the database as `recheck` to keep a file that a new
   * row uses by now. A crash between the commit and this call leaves unreferenced files behind:
   * `report.filesToDelete` says which (log it; `removeMediaFiles` deletes them).
   */
  removeFiles(recheck?: DbExecutor): Promise<FileRemoval>;
};

export type EraseOptions = { store: MediaStore; salt: string; clock: Clock };

const JOB_KEYS = { media: 'media.download', markRead: 'outbound.mark_read' } as const;

/**
 * The processing jobs of these stored webhook bodies, done ones included. They carry no unique
 * key; their payload is exactly `{"eventId":"…"}` (the inbound module's `inboundJob`, not
 * imported: inbound depends on this module).
 */
async function inboundJobIdsOf(exec: DbExecutor, eventIds: string[]): Promise<string[]> {
  const payloads = eventIds.map((eventId) => JSON.stringify({ eventId }));
  const jobs = await inChunks(payloads, (chunk) =>
    exec.selectFrom('jobs').select('id').where('name', '=', 'inbound.process').where('payload', 'in', chunk).execute(),
  );
  return jobs.map((j) => j.id);
}

/**
 * Erases a person (GDPR right to erasure), in the caller's transaction, through `exec` only:
 * their messages with statuses and reactions, outbox rows, consent ledger, media rows, the raw
 * webhook records and dead letters that mention them (cut out of bodies shared with others), the
 * jobs that would touch what is gone, what the inbox, the CRM and automation hold about them, and
 * the contact. First, a salted SHA-256 of each identifier
 * (E.164 phone, match key, wa_ids, BSUIDs) is kept in `erased_identities` with whether they were
 * opted out of marketing, so that an opt-out survives the erasure (`reapplyErasureTombstone`).
 */
export async function eraseContact(exec: DbExecutor, contactId: string, options: EraseOptions): Promise<Result<Erasure>> {
  const person = await collectPersonData(exec, contactId);
  if (!person) return err(new AppError('CONTACT_NOT_FOUND', `No contact ${contactId}.`));
  const erasedAt = options.clock.now();
  const { contact } = person;

  // 1. Tombstones, before anything that proves the opt-out is gone.
  const ledger = person.consent.map((row) => ({
    id: row.id,
    category: row.category,
    businessPhoneNumberId: row.business_phone_number_id,
    action: row.action,
    source: row.source,
    occurredAt: Number(row.occurred_at),
    createdAt: Number(row.created_at),
  }));
  const marketingOptedOut = optedOutOfMarketingAnywhere(consentState(ledger));
  const hashes = [
    ...(contact.phone ? [identityHash(options.salt, 'phone', contact.phone)] : []),
    ...(contact.phone_match_key ? [identityHash(options.salt, 'match_key', contact.phone_match_key)] : []),
    ...person.identifiers.waIds.map((id) => identityHash(options.salt, 'wa_id', id)),
    ...person.identifiers.bsuids.map((id) => identityHash(options.salt, 'bsuid', id)),
  ];
  await writeTombstones(exec, hashes, marketingOptedOut, erasedAt);

  // 2. Raw webhook bodies and dead letters that mention them.
  let inboxDeleted = 0;
  let inboxRedacted = 0;
  const deletedEventIds: string[] = [];
  for (const event of await inboxEventsMentioning(exec, person)) {
    const body = parseJson(event.body);
    const outcome = body === null ? { kind: 'delete' as const } : scrubBody(body, person.mentions);
    if (outcome.kind === 'rewrite') {
      // The row keeps its id (the sha256 of the body Meta sent): a redelivery is still recognised.
      await exec.updateTable('inbox_events').set({ body: JSON.stringify(outcome.body) }).where('id', '=', event.id).execute();
      inboxRedacted += 1;
    } else if (outcome.kind === 'delete') {
      await exec.deleteFrom('inbox_events').where('id', '=', event.id).execute();
      deletedEventIds.push(event.id);
      inboxDeleted += 1;
    }
  }
  let deadDeleted = 0;
  let deadRedacted = 0;
  for (const letter of await deadLettersMentioning(exec, person)) {
    const body = parseJson(letter.body);
    const outcome = body === null || person.mentions(letter.reason) ? { kind: 'delete' as const } : scrubBody(body, person.mentions);
    if (outcome.kind === 'rewrite') {
      await exec.updateTable('dead_letters').set({ body: JSON.stringify(outcome.body) }).where('id', '=', letter.id).execute();
      deadRedacted += 1;
    } else if (outcome.kind === 'delete') {
      await exec.deleteFrom('dead_letters').where('id', '=', letter.id).execute();
      deadDeleted += 1;
    }
  }

  // 3. Jobs about what is gone (processing a deleted body, downloading an erased file, a read
  //    receipt for an erased message, delivering one of their domain events), and their dead letters.
  const wamids = person.messages.flatMap((m) => (m.wamid === null ? [] : [m.wamid]));
  const dedupeKeys = [
    ...person.media.map((f) => `${JOB_KEYS.media}:${f.whatsapp_media_id}`),
    ...wamids.map((w) => `${JOB_KEYS.markRead}:${w}`),
  ];
  const jobIds = [
    ...new Set([
      ...(await inChunks(dedupeKeys, (chunk) => exec.selectFrom('jobs').select('id').where('dedupe_key', 'in', chunk).execute())).map((j) => j.id),
      ...(await inboundJobIdsOf(exec, deletedEventIds)),
      ...(await eventJobIdsOf(exec, contact.id)),
    ]),
  ];
  await inChunks(jobIds, async (chunk) => {
    const result = await exec.deleteFrom('dead_letters').where('job_id', 'in', chunk).executeTakeFirst();
    deadDeleted += Number(result.numDeletedRows);
    await exec.deleteFrom('jobs').where('id', 'in', chunk).execute();
    return [];
  });

  // 4. The person's rows, children before the contact (foreign keys).
  const count = (result: { numDeletedRows: bigint }) => Number(result.numDeletedRows);
  const statuses = (
    await inChunks(wamids, async (chunk) => [count(await exec.deleteFrom('message_statuses').where('wamid', 'in', chunk).executeTakeFirst())])
  ).reduce((a, b) => a + b, 0);
  let reactions = count(await exec.deleteFrom('reactions').where('contact_id', '=', contact.id).executeTakeFirst());
  reactions += (
    await inChunks(wamids, async (chunk) => [count(await exec.deleteFrom('reactions').where('target_wamid', 'in', chunk).executeTakeFirst())])
  ).reduce((a, b) => a + b, 0);
  const mediaIds = person.media.map((f) => f.id);
  const mediaFiles = (
    await inChunks(mediaIds, async (chunk) => [count(await exec.deleteFrom('media_files').where('id', 'in', chunk).executeTakeFirst())])
  ).reduce((a, b) => a + b, 0);
  const messages = count(await exec.deleteFrom('messages').where('contact_id', '=', contact.id).executeTakeFirst());
  const outboundMessages = count(await exec.deleteFrom('outbound_messages').where('contact_id', '=', contact.id).executeTakeFirst());
  const consentEvents = count(await exec.deleteFrom('consent_events').where('contact_id', '=', contact.id).executeTakeFirst());
  const related = await eraseRelatedRecords(exec, contact.id);
  await exec.deleteFrom('contacts').where('id', '=', contact.id).execute();

  // 5. Files: content-addressed, so a file another row still uses (the same bytes received from
  //    someone else) stays.
  const candidatePaths = [...new Set(person.media.flatMap((f) => (f.storage_path ? [f.storage_path] : [])))];
  const stillUsed = new Set(
    (await inChunks(candidatePaths, (chunk) => exec.selectFrom('media_files').select('storage_path').where('storage_path', 'in', chunk).execute())).map(
      (r) => r.storage_path,
    ),
  );
  const filesToDelete = candidatePaths.filter((p) => !stillUsed.has(p));

  const report: ErasureReport = {
    contactId: contact.id,
    erasedAt,
    marketingOptedOut,
    tombstones: new Set(hashes).size,
    deleted: {
      messages,
      messageStatuses: statuses,
      reactions,
      outboundMessages,
      consentEvents,
      mediaFiles,
      inboxEvents: inboxDeleted,
      deadLetters: deadDeleted,
      jobs: jobIds.length,
      related,
    },
    redacted: { inboxEvents: inboxRedacted, deadLetters: deadRedacted },
    filesToDelete,
  };
  return ok({ report, removeFiles: (recheck) => removeMediaFiles(options.store, filesToDelete, recheck) });
}

/**
 * The whole erasure for a route or the CLI: the database part in one transaction, then the files.
 * Answers the report with what happened to the files.
 */
export async function eraseContactNow(db: Db, contactId: string, options: EraseOptions): Promise<Result<ErasureReport & { files: FileRemoval }>> {
  const erased = await inTransaction(db, (trx) => eraseContact(trx, contactId, options));
  if (!erased.ok) return erased;
  const files = await erased.value.removeFiles(db);
  return ok({ ...erased.value.report, files });
}
