import { setTimeout as sleep } from 'node:timers/promises';
import type { DialectName } from '../../db/connect.js';
import type { Db, DbExecutor } from '../../db/database.js';
import { DEFAULT_RETRY_POLICY, retryDelayMs } from '../../jobs/retry-schedule.js';
import type { Clock } from '../../platform/clock.js';
import type { IdGenerator } from '../../platform/ids.js';
import type { Logger } from '../../platform/logger.js';
import { PollingLoop } from '../../platform/polling-loop.js';
import { consentCategoryOf, consentDecision, recordConsentChange, type ConsentPolicy } from '../consent/index.js';
import type { EventPublisher } from '../events/index.js';
import type { NumberDirectory } from '../numbers/index.js';
import { templateErrorFor } from '../templates/index.js';
import { completeOutboundSend, failOutboundEntry, lastInboundAt } from '../timeline/index.js';
import { classifySendFailure, type FailureClass } from './core/classify-send-failure.js';
import { PAIR_LIMIT, pairRetryDelayMs } from './core/pair-limit.js';
import type { SendFailure } from './core/send-failure.js';
import { needsServiceWindow, serviceWindow } from './core/service-window.js';
import { senderConcurrency } from './core/sender-concurrency.js';
import { senderThroughput } from './core/throughput-limit.js';
import type { OutboundMetrics } from './outbound.metrics.js';
import { outboxRepository, type OutboxRow } from './outbox.repository.js';
import type { RateLimiter, WindowLimiter, WindowReservation } from './rate-limit/rate-limiter.js';
import type { GraphClient } from './whatsapp/graph.client.js';

/** Prefix of `biz_opaque_callback_data`: Meta echoes it on statuses, which ties a wamid to our outbox row. */
export const CALLBACK_PREFIX = 'sb:';

export type SenderOptions = {
  /** Sends in flight at most; without it, sized from the throughput of the numbers (`senderConcurrency`). */
  concurrency?: number;
  /** How long a claimed message is ours; past it, a crash is assumed and the send is in doubt. */
  leaseMs: number;
  inDoubtMs: number;
  maxAttempts: number;
  pollIntervalMs: number;
  /**
   * How long a round waits, once told of new work or of a finished send, for more of either
   * before it runs (records outcomes, fills slots); 0 runs it at once.
   */
  roundGatherMs: number;
  /** Waits for the throughput window up to this long in process; longer waits go back to the queue. */
  maxInlineWaitMs: number;
  /** How long a number whose token expired is left alone before its messages are looked at again. */
  tokenExpiredPauseMs: number;
  consentPolicy: ConsentPolicy;
  random?: () => number;
};

export type SenderDeps = {
  db: Db;
  dialect: DialectName;
  clock: Clock;
  ids: IdGenerator;
  graph: GraphClient;
  numbers: NumberDirectory;
  /** The pair limit's token buckets and the number's throughput window. */
  limiter: RateLimiter & WindowLimiter;
  log: Logger;
  metrics: OutboundMetrics;
  options: SenderOptions;
  /** Tells subscribers about sends that failed before Meta accepted them, and about opt-outs learnt from Meta. */
  publish?: EventPublisher;
  /**
   * SQLite: runs each round through `DatabaseHandle.commitThenSyncOffLoop`. The commit skips its
   * fsync and the WAL is fsynced on the thread pool before any claimed message is sent, so a
   * claim is as durable as with a synchronous commit when Meta is called. Rounds commit dozens
   * of times a second at full rate; each synchronous fsync held the event loop for 0.5 ms
   * (p50; 3 ms p99) that API requests, webhooks and Meta's answers waited behind.
   */
  commitOffLoop?: <T>(work: (db: Db) => Promise<T>) => Promise<T>;
};

/** What became of one send, applied to the outbox and the timeline together. */
type Outcome =
  | { kind: 'accepted'; row: OutboxRow; wamid: string; messageStatus: string | null }
  | { kind: 'requeue'; row: OutboxRow; at: number; countAttempt: boolean; pairAttempt: boolean; error: string | null }
  | { kind: 'in_doubt'; row: OutboxRow; error: string }
  | { kind: 'failed'; row: OutboxRow; code: string; message: string; meta: { code: number; title: string; details: string | null } | null; optedOut: boolean };

/**
 * Claims queued messages and sends them through the Graph API within Meta's limits: the
 * number's throughput and the recipient's pair limit (waiting, never failing, when they are
 * reached), the 24-hour window checked again at send time, and Meta's errors classified into
 * retry, fail, stop (expired token) or in doubt (no answer: confirmed by a status webhook or sent
 * again after `inDoubtMs`).
 *
 * One transaction per round records the outcomes of the sends that finished since the last one
 * and claims as many due messages as there are free slots: one commit for both. A round told of
 * a finished send or of a newly queued message waits `roundGatherMs` before it runs, so that the
 * sends finishing and the messages queued meanwhile share it: at a thousand sends a second, a
 * round (and a commit) per send was a fifth of the event loop's time, and rounds run at once for
 * each queued message cost the API a tenth of its rate (bench:outbound: 1,020–1,090 requests a
 * second, 1,130–1,200 with them gathered).
 */
export class OutboundSender {
  private readonly loop: PollingLoop;
  /** Sends between their claim and their outcome: waiting for the limits, or for Meta. */
  private readonly sending = new Set<Promise<void>>();
  /** Outcomes not committed yet; the next round writes them. */
  private finished: Outcome[] = [];

  constructor(private readonly deps: SenderDeps) {
    // Rounds run when told (new work queued, sends finished) or at the poll interval (retries
    // falling due), never straight after one another: a slot frees only when a send finishes,
    // and that says so itself.
    const round = async () => {
      await this.runOnce();
      return 0;
    };
    this.loop = new PollingLoop(round, deps.options.pollIntervalMs, (error) => deps.log.error({ err: error }, 'outbound sender round failed'), deps.options.roundGatherMs);
  }

  start(): void {
    this.loop.start();
  }

  /** Stops claiming, then waits for the sends in flight and records their outcomes. */
  async stop(): Promise<void> {
    await this.loop.stop();
    await Promise.all(this.sending);
    await this.round(false);
  }

  /** New work was queued (called after the commit). */
  notify(): void {
    this.loop.notify();
  }

  /**
   * One round: record the finished sends' outcomes, recover abandoned sends, claim as many due
   * messages as there are free send slots and start them, all in one transaction. Sends run on
   * their own: a slow answer from Meta holds only its slot. Returns how many were claimed.
   */
  runOnce(): Promise<number> {
    return this.round(true);
  }

  /** Sends until nothing is due, in flight or left to record; for tests and the CLI. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const claimed = await this.runOnce();
      total += claimed;
      if (claimed === 0 && this.sending.size === 0 && this.finished.length === 0) return total;
      if (claimed === 0 && this.sending.size > 0) await Promise.race(this.sending);
    }
  }

  private async round(claim: boolean): Promise<number> {
    const { db, dialect, clock, options, log } = this.deps;
    const free = claim ? (await this.concurrency()) - this.sending.size : 0;
    if (free <= 0 && this.finished.length === 0) return 0;
    const outcomes = this.finished;
    this.finished = [];
    const now = clock.now();
    const recordAndClaim = (on: Db) =>
      on.transaction().execute(async (trx) => {
        for (const outcome of outcomes) await this.apply(trx, outcome, now);
        if (free <= 0) return [];
        await outboxRepository.markAbandonedInDoubt(trx, now, options.inDoubtMs);
        await outboxRepository.requeueUnconfirmed(trx, now);
        return outboxRepository.claimDue(trx, dialect, now, free, now + options.leaseMs);
      });
    let claimed: OutboxRow[];
    try {
      // Only once the claims are on disk may their sends start: a crash then finds them leased.
      claimed = await (this.deps.commitOffLoop ? this.deps.commitOffLoop(recordAndClaim) : recordAndClaim(db));
    } catch (error) {
      if (outcomes.length > 0) {
        log.error({ err: error, messageIds: outcomes.map((o) => o.row.id) }, 'recording sends failed; their leases expire and they are retried');
      }
      throw error;
    }
    for (const row of claimed) this.startSend(row);
    return claimed.length;
  }

  private async concurrency(): Promise<number> {
    const { options, numbers } = this.deps;
    return options.concurrency ?? senderConcurrency((await numbers.list()).map((n) => n.throughputMps));
  }

  private startSend(row: OutboxRow): void {
    const sending: Promise<void> = this.send(row)
      .then((outcome) => {
        this.finished.push(outcome);
      })
      .catch((error: unknown) => this.deps.log.error({ err: error, messageId: row.id }, 'a send failed before its outcome; its lease expires and it is retried'))
      .finally(() => {
        this.sending.delete(sending);
        // Its slot is free and its outcome waits to be recorded, by a round a little later.
        this.loop.notify();
      });
    this.sending.add(sending);
  }

  private async send(row: OutboxRow): Promise<Outcome> {
    const { clock, numbers, options, metrics } = this.deps;
    const number = await numbers.get(row.business_phone_number_id);
    if (!number) {
      return { kind: 'failed', row, code: 'NUMBER_NOT_FOUND', message: `No WhatsApp number ${row.business_phone_number_id} is configured.`, meta: null, optedOut: false };
    }
    if (number.tokenExpiredAt !== null) {
      return { kind: 'requeue', row, at: clock.now() + options.tokenExpiredPauseMs, countAttempt: false, pairAttempt: false, error: 'the access token of the number expired' };
    }
    if (needsServiceWindow(row.type)) {
      const window = serviceWindow(await lastInboundAt(this.deps.db, row.contact_id, number.phoneNumberId), clock.now());
      if (!window.open) return windowClosed(row);
    }
    // Checked again at send time: a STOP that arrived after the message was queued still stops it.
    const consent = await consentDecision(this.deps.db, {
      contactId: row.contact_id,
      businessPhoneNumberId: number.phoneNumberId,
      category: consentCategoryOf(row.category),
      policy: options.consentPolicy,
    });
    if (!consent.allowed) return { kind: 'failed', row, code: consent.code, message: consent.message, meta: null, optedOut: false };

    const pair = await this.deps.limiter.reserve(`pair:${number.phoneNumberId}:${row.recipient}`, PAIR_LIMIT);
    if (!pair.ok) {
      metrics.rateLimited.inc({ limit: 'pair' });
      return { kind: 'requeue', row, at: clock.now() + pair.retryAfterMs, countAttempt: false, pairAttempt: false, error: null };
    }
    const throughput = senderThroughput(number.throughputMps, options.leaseMs);
    // Waiting in process is bounded in total, not per wait: the lease (timeout + 5 s) must outlive
    // it, or this process would take its own waiting send for a crashed one and send it twice.
    const waitUntil = clock.now() + options.maxInlineWaitMs;
    let slot: WindowReservation;
    for (;;) {
      slot = await this.deps.limiter.reserveInWindow(`throughput:${number.phoneNumberId}`, throughput);
      if (slot.ok) break;
      metrics.rateLimited.inc({ limit: 'throughput' });
      if (clock.now() + slot.retryAfterMs > waitUntil) {
        return { kind: 'requeue', row, at: clock.now() + slot.retryAfterMs, countAttempt: false, pairAttempt: false, error: null };
      }
      await sleep(slot.retryAfterMs);
    }

    const message = {
      ...(JSON.parse(row.body) as Record<string, unknown>),
      recipient_type: 'individual',
      ...(row.recipient_kind === 'phone' ? { to: row.recipient } : { recipient: row.recipient }),
      biz_opaque_callback_data: `${CALLBACK_PREFIX}${row.id}`,
    };
    let result: Awaited<ReturnType<GraphClient['sendMessage']>>;
    try {
      result = await this.deps.graph.sendMessage(number.phoneNumberId, number.accessToken, message);
    } finally {
      // Meta has counted the send by now (or never will): from here it holds its place one second more.
      // A release that fails leaves the place held until the lease: slower, never over the limit.
      await slot.release().catch((error: unknown) => this.deps.log.warn({ err: error, messageId: row.id }, 'releasing a throughput slot failed; it lapses with the lease'));
    }
    if (result.ok) {
      metrics.sends.inc({ outcome: 'accepted' });
      metrics.acceptToSendSeconds.observe((clock.now() - Number(row.created_at)) / 1000);
      return { kind: 'accepted', row, wamid: result.value.wamid, messageStatus: result.value.messageStatus };
    }
    return this.onFailure(row, result.error, classifySendFailure(result.error));
  }

  private async onFailure(row: OutboxRow, failure: SendFailure, failureClass: FailureClass): Promise<Outcome> {
    const { clock, options, metrics, log } = this.deps;
    const meta = failure.kind === 'meta' ? { code: failure.code, title: failure.title, details: failure.details } : null;
    const described = meta ? `${meta.code} ${meta.title}${meta.details ? `: ${meta.details}` : ''}` : failureClass.reason;
    metrics.sends.inc({ outcome: failureClass.action });
    switch (failureClass.action) {
      case 'retry': {
        const attempts = row.attempts + 1;
        if (attempts >= options.maxAttempts) {
          return { kind: 'failed', row, code: 'SEND_RETRIES_EXHAUSTED', message: `gave up after ${attempts} attempts: ${described}`, meta, optedOut: false };
        }
        const delay =
          failureClass.delay === 'pair'
            ? pairRetryDelayMs(row.pair_attempts)
            : retryDelayMs({ ...DEFAULT_RETRY_POLICY, maxAttempts: options.maxAttempts }, attempts, (options.random ?? Math.random)())!;
        return { kind: 'requeue', row, at: clock.now() + delay, countAttempt: true, pairAttempt: failureClass.delay === 'pair', error: described };
      }
      case 'in_doubt':
        return { kind: 'in_doubt', row, error: described };
      case 'token_expired':
        log.error({ phoneNumberId: row.business_phone_number_id }, 'Meta says the access token expired (190): sending from this number stops until the token is replaced');
        await this.deps.numbers.markTokenExpired(row.business_phone_number_id);
        return { kind: 'requeue', row, at: clock.now() + options.tokenExpiredPauseMs, countAttempt: false, pairAttempt: false, error: described };
      case 'window_closed':
        return { ...windowClosed(row), meta: meta ?? { code: 131047, title: 'Re-engagement message', details: failureClass.reason } };
      case 'opted_out':
        return { kind: 'failed', row, code: 'RECIPIENT_OPTED_OUT', message: described, meta, optedOut: true };
      case 'fail': {
        // Meta's template errors (132xxx) get the clear codes the catalogue uses for the same problems.
        const template = meta ? templateErrorFor(meta.code, meta.details) : null;
        if (template) return { kind: 'failed', row, code: template.code, message: template.message, meta, optedOut: false };
        return { kind: 'failed', row, code: meta ? `META_${meta.code}` : 'SEND_FAILED', message: described, meta, optedOut: false };
      }
    }
  }

  private async apply(trx: DbExecutor, outcome: Outcome, now: number): Promise<void> {
    const { row } = outcome;
    switch (outcome.kind) {
      case 'accepted':
        await outboxRepository.markAccepted(trx, row.id, { wamid: outcome.wamid, messageStatus: outcome.messageStatus, attempts: row.attempts + 1, now });
        await completeOutboundSend(trx, row.id, outcome.wamid, now);
        return;
      case 'requeue':
        await outboxRepository.update(trx, row.id, {
          state: 'queued',
          next_attempt_at: outcome.at,
          lease_until: null,
          attempts: row.attempts + (outcome.countAttempt ? 1 : 0),
          pair_attempts: row.pair_attempts + (outcome.pairAttempt ? 1 : 0),
          error_message: outcome.error ?? row.error_message,
          updated_at: now,
        }, 'sending');
        return;
      case 'in_doubt':
        await outboxRepository.update(trx, row.id, { state: 'in_doubt', next_attempt_at: now + this.deps.options.inDoubtMs, lease_until: null, attempts: row.attempts + 1, error_message: outcome.error, updated_at: now }, 'sending');
        return;
      case 'failed':
        await outboxRepository.update(trx, row.id, { state: 'failed', lease_until: null, attempts: row.attempts + 1, error_code: outcome.code, error_message: outcome.message, updated_at: now });
        await failOutboundEntry(trx, row.id, outcome.meta ?? { code: 0, title: outcome.code, details: outcome.message }, now);
        await this.deps.publish?.(trx, [
          {
            type: 'message.status',
            id: `message.status:outbound:${row.id}:failed`,
            contactId: row.contact_id,
            wamid: null,
            outboundMessageId: row.id,
            businessPhoneNumberId: row.business_phone_number_id,
            status: 'failed',
            errors: [{ code: outcome.meta?.code ?? 0, title: outcome.meta?.title ?? outcome.code }],
            occurredAt: now,
          },
        ]);
        if (outcome.optedOut) {
          // Meta refused because the user stopped marketing messages: the ledger learns it too.
          await recordConsentChange(
            trx,
            {
              contactId: row.contact_id,
              businessPhoneNumberId: row.business_phone_number_id,
              category: 'marketing',
              action: 'opt_out',
              source: 'meta_error_131050',
              evidence: `outbound message ${row.id}`,
              occurredAt: now,
            },
            this.deps,
          );
        }
        return;
    }
  }
}

function windowClosed(row: OutboxRow): Extract<Outcome, { kind: 'failed' }> {
  return {
    kind: 'failed',
    row,
    code: 'WINDOW_CLOSED',
    message: 'The 24-hour customer-service window closed before the message could be sent: send a template.',
    meta: { code: 131047, title: 'Re-engagement message', details: 'More than 24 hours have passed since the recipient last replied' },
    optedOut: false,
  };
}
