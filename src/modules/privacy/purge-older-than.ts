import { sql } from 'kysely';
import type { DbExecutor } from '../../db/database.js';
import type { MediaStore } from '../media/index.js';
import { removeMediaFiles, type FileRemoval } from './media-files.js';
import { inChunks } from './person-data.js';

const DAY_MS = 24 * 60 * 60 * 1000;
export const PURGED_MEDIA_ERROR = 'PURGED_BY_RETENTION';

export type PurgeReport = {
  cutoff: number;
  /** Timeline entries whose text, content, raw message and media reference were cleared. */
  messages: number;
  /** Finished outbox rows whose request body was cleared. */
  outboundMessages: number;
  /** Media rows whose file was let go (the row stays, `state: failed`, `error: PURGED_BY_RETENTION`). */
  mediaFiles: number;
  inboxEvents: number;
  deadLetters: number;
  /** Conversations whose last-message preview (a copy of the message's text) was cleared. */
  conversationPreviews: number;
  /** Finished automation runs deleted with their action results (their evaluations quote messages and CRM fields). */
  automationRuns: number;
  /** Paths in the media store to delete once the transaction has committed. */
  filesToDelete: string[];
};

export type Purge = { report: PurgeReport; removeFiles(recheck?: DbExecutor): Promise<FileRemoval> };

/**
 * The retention setting: what is older than `days` loses its content and keeps its shape.
 * - timeline entries (by WhatsApp's time): `text`, `content`, `raw`, `media` become null; type,
 *   direction, status, error code and time stay, so counts and delivery history still add up;
 * - finished outbox rows (accepted or failed; never one still to be sent): the request body
 *   becomes `{}`;
 * - media files: the bytes and the filename go; the row stays as `failed` / `PURGED_BY_RETENTION`;
 * - raw webhook bodies (`inbox_events`) and dead letters are deleted, except a body whose
 *   processing job is still pending;
 * - the inbox's last-message previews lose the text they copied; finished automation runs
 *   (whose evaluations quote messages and CRM fields) are deleted with their action results,
 *   and so is automation's per-event bookkeeping (`automation_handled_events`).
 * The built-in CRM's records, and agents' notes, are the business's own and are not touched.
 * Runs through `exec`; files are deleted by `removeFiles` after the commit (see `eraseContact`).
 * Idempotent: a second run finds nothing left to purge.
 */
export async function purgeOlderThan(exec: DbExecutor, options: { days: number; now: number }, store: MediaStore): Promise<Purge> {
  if (!Number.isInteger(options.days) || options.days < 1) throw new RangeError(`retention days must be a whole number of at least 1, got ${options.days}`);
  const cutoff = options.now - options.days * DAY_MS;
  const rows = (result: { numUpdatedRows?: bigint; numDeletedRows?: bigint }) => Number(result.numUpdatedRows ?? result.numDeletedRows ?? 0n);

  const messages = rows(
    await exec
      .updateTable('messages')
      .set({ text: null, content: null, raw: null, media: null, updated_at: options.now })
      .where('wa_timestamp', '<', cutoff)
      .where((eb) => eb.or([eb('text', 'is not', null), eb('content', 'is not', null), eb('raw', 'is not', null), eb('media', 'is not', null)]))
      .executeTakeFirst(),
  );

  const outboundMessages = rows(
    await exec
      .updateTable('outbound_messages')
      .set({ body: '{}', updated_at: options.now })
      .where('created_at', '<', cutoff)
      .where('state', 'in', ['accepted', 'failed'])
      .where('body', '!=', '{}')
      .executeTakeFirst(),
  );

  const oldFiles = await exec
    .selectFrom('media_files')
    .select(['id', 'storage_path'])
    .where('created_at', '<', cutoff)
    .where((eb) => eb.or([eb('storage_path', 'is not', null), eb('filename', 'is not', null)]))
    .execute();
  await inChunks(
    oldFiles.map((f) => f.id),
    async (chunk) => {
      await exec
        .updateTable('media_files')
        .set({ storage_path: null, filename: null, state: 'failed', error: PURGED_MEDIA_ERROR, updated_at: options.now })
        .where('id', 'in', chunk)
        .execute();
      return [];
    },
  );
  const candidatePaths = [...new Set(oldFiles.flatMap((f) => (f.storage_path ? [f.storage_path] : [])))];
  const stillUsed = new Set(
    (await inChunks(candidatePaths, (chunk) => exec.selectFrom('media_files').select('storage_path').where('storage_path', 'in', chunk).execute())).map(
      (r) => r.storage_path,
    ),
  );

  const inboxEvents = rows(
    await exec
      .deleteFrom('inbox_events')
      .where('received_at', '<', cutoff)
      // A body whose processing job has not run stays. The job's payload is exactly
      // `{"eventId":"…"}` (inbound's `inboundJob`); compared as a whole, the waiting jobs are read once.
      .where(
        sql<string>`${sql.lit('{"eventId":"')} || inbox_events.id || ${sql.lit('"}')}`,
        'not in',
        exec.selectFrom('jobs').select('jobs.payload').where('jobs.state', 'in', ['pending', 'running']).where('jobs.name', '=', 'inbound.process'),
      )
      .executeTakeFirst(),
  );
  const deadLetters = rows(await exec.deleteFrom('dead_letters').where('created_at', '<', cutoff).executeTakeFirst());

  const conversationPreviews = rows(
    await exec
      .updateTable('conversations')
      .set({ last_message_text: null })
      .where('last_message_at', '<', cutoff)
      .where('last_message_text', 'is not', null)
      .executeTakeFirst(),
  );
  // Unfinished runs stay: a resumed run carries out their plan.
  const oldRuns = exec.selectFrom('automation_runs').select('id').where('started_at', '<', cutoff).where('status', '!=', 'running');
  await exec.deleteFrom('automation_action_results').where('run_id', 'in', oldRuns).execute();
  const automationRuns = rows(await exec.deleteFrom('automation_runs').where('started_at', '<', cutoff).where('status', '!=', 'running').executeTakeFirst());
  await exec.deleteFrom('automation_handled_events').where('handled_at', '<', cutoff).execute();

  const filesToDelete = candidatePaths.filter((p) => !stillUsed.has(p));
  return {
    report: { cutoff, messages, outboundMessages, mediaFiles: oldFiles.length, inboxEvents, deadLetters, conversationPreviews, automationRuns, filesToDelete },
    removeFiles: (recheck) => removeMediaFiles(store, filesToDelete, recheck),
  };
}
