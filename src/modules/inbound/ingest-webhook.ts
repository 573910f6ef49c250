import { createHash } from 'node:crypto';
import type { DatabaseHandle } from '../../db/connect.js';
import { deadLetterRepository } from '../../jobs/dead-letter.repository.js';
import type { SqlJobQueue } from '../../jobs/sql-job-queue.js';
import type { Clock } from '../../platform/clock.js';
import { AppError, err, ok, type Result } from '../../platform/errors.js';
import { GroupCommitter } from '../../platform/group-commit.js';
import type { IdGenerator } from '../../platform/ids.js';
import { eventsAppliedOnIngest, type ApplyOnIngest } from './apply-on-ingest.js';
import { parseWebhookEnvelope } from './core/parse-webhook.js';
import { createInboxWriter, type StoredBody } from './inbox-writer.js';
import { inboundJob, PROCESS_INBOUND_EVENT } from './process-inbound-event.job.js';
import { isValidSignature } from './webhook-signature.js';

export type IngestDeps = {
  database: DatabaseHandle;
  queue: SqlJobQueue;
  clock: Clock;
  ids: IdGenerator;
  /** Meta's app secret; null for tools that only replay (every `ingest` is then refused). */
  appSecret: string | null;
  /** Applies bodies of statuses alone as they are stored (apply-on-ingest.ts); without it, every body gets a job. */
  applyOnIngest?: ApplyOnIngest;
};

export type WebhookIngestor = {
  /**
   * Verifies, stores durably and enqueues (or applies: `IngestDeps.applyOnIngest`) one webhook body.
   * Resolves only once the body is on disk.
   * Errors: WEBHOOK_SIGNATURE_INVALID (nothing stored), WEBHOOK_BODY_INVALID (kept as a dead letter).
   */
  ingest(rawBody: Buffer, signatureHeader: string | undefined): Promise<Result<{ eventId: string }>>;
  /**
   * Stores a body that was verified before (a dead letter being replayed): no signature check, and
   * a body that is still invalid is reported without adding another dead letter.
   */
  replay(rawBody: Buffer): Promise<Result<{ eventId: string }>>;
  /**
   * Whether webhooks are waiting for SQLite's one connection to be written: the worker ends its
   * batch early while this is true (WorkerOptions.shouldYield). Always false on PostgreSQL.
   */
  writesWaiting(): boolean;
};

// One batch at a time: the webhooks that arrive while a batch waits for its fsync (WalSync) form
// the next one. Two in flight was tried: at 1,000 webhooks/s it wrote 14% more, smaller batches
// (each a commit and an fsync), cost 2 to 10% more CPU per webhook when they came one by one, with
// a worse p50 and p99, and gained nothing at saturation (bench:ingest, alternating pairs).
const BATCHES = { maxInFlight: 1 };

const invalidBody = (reason: string) => new AppError('WEBHOOK_BODY_INVALID', `Signed, but not a WhatsApp webhook: ${reason}.`);

export function createWebhookIngestor(deps: IngestDeps): WebhookIngestor {
  const writer = createInboxWriter(deps.database, deps.queue, deps.clock, deps.applyOnIngest);
  const committer = new GroupCommitter<StoredBody, void>(async (bodies) => {
    const unique = [...new Map(bodies.map((body) => [body.event.id, body])).values()];
    // A redelivered body is never processed twice: it is keyed by its hash in the inbox, and only
    // a body new to the inbox is applied or gets its job (InboxWriter).
    const { queued } = await writer.write(unique, (event) => inboundJob(event.id));
    // Statuses applied on ingest may have enqueued subscribers' jobs; with no body queued, the
    // worker is only told of those, and looks for no inbound job.
    if (queued > 0) deps.queue.notify([PROCESS_INBOUND_EVENT]);
    else deps.queue.announceEnqueued();
    return bodies.map(() => undefined);
  }, BATCHES);

  async function store(rawBody: Buffer, keepInvalid: boolean): Promise<Result<{ eventId: string }>> {
    const text = rawBody.toString('utf8');
    const rejected = (reason: string) => (keepInvalid ? deadLetter(text, reason) : err(invalidBody(reason)));
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return rejected('the body is not JSON');
    }
    const envelope = parseWebhookEnvelope(json);
    if (!envelope.ok) return rejected(envelope.message);
    const eventId = createHash('sha256').update(rawBody).digest('hex');
    const applyNow = deps.applyOnIngest ? eventsAppliedOnIngest(envelope.envelope) : null;
    await committer.submit({ event: { id: eventId, received_at: deps.clock.now(), body: text, fields: envelope.fields.join(',') }, applyNow });
    return ok({ eventId });
  }

  async function deadLetter(body: string, reason: string): Promise<Result<never>> {
    await deadLetterRepository.insert(deps.database.db, {
      id: deps.ids.next(),
      source: 'webhook',
      code: 'WEBHOOK_BODY_INVALID',
      reason,
      body,
      createdAt: deps.clock.now(),
    });
    return err(invalidBody(`${reason}. Kept in the dead-letter store`));
  }

  return {
    async ingest(rawBody, signatureHeader) {
      if (deps.appSecret === null || !isValidSignature(rawBody, signatureHeader, deps.appSecret)) {
        return err(new AppError('WEBHOOK_SIGNATURE_INVALID', 'X-Hub-Signature-256 is missing or does not match the body.'));
      }
      return store(rawBody, true);
    },
    replay: (rawBody) => store(rawBody, false),
    writesWaiting: () => writer.waitingForConnection(),
  };
}
