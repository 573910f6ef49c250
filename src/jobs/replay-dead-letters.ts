import type { Db } from '../db/database.js';
import type { Clock } from '../platform/clock.js';
import type { Result } from '../platform/errors.js';
import { deadLetterRepository, type DeadLetter } from './dead-letter.repository.js';
import type { SqlJobQueue } from './sql-job-queue.js';

export type ReplayOutcome = { id: string; replayed: boolean; message: string };

export type ReplayDeps = {
  db: Db;
  queue: SqlJobQueue;
  clock: Clock;
  /** Stores a webhook body again as if it had just arrived (without its signature check). */
  replayWebhook(body: Buffer): Promise<Result<{ eventId: string }>>;
};

/**
 * Brings dead letters back: a dead job is put back in line with fresh attempts; a refused webhook
 * body is offered to ingestion again (useful once the parser learned its shape). A letter that is
 * replayed is marked so, and kept for the record.
 */
export async function replayDeadLetter(letter: DeadLetter, deps: ReplayDeps): Promise<ReplayOutcome> {
  if (letter.replayed_at !== null) return { id: letter.id, replayed: false, message: 'already replayed' };
  if (letter.source === 'job' && letter.job_id) {
    const revived = await deps.db.transaction().execute(async (trx) => {
      const ok = await deps.queue.revive(trx, letter.job_id!);
      if (ok) await deadLetterRepository.markReplayed(trx, letter.id, deps.clock.now());
      return ok;
    });
    if (revived) deps.queue.notify();
    return { id: letter.id, replayed: revived, message: revived ? `job ${letter.job_id} queued again` : 'the job is no longer dead' };
  }
  const stored = await deps.replayWebhook(Buffer.from(letter.body, 'utf8'));
  if (!stored.ok) return { id: letter.id, replayed: false, message: stored.error.message };
  await deadLetterRepository.markReplayed(deps.db, letter.id, deps.clock.now());
  return { id: letter.id, replayed: true, message: `stored as inbox event ${stored.value.eventId}` };
}
