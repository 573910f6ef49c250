/**
 * Delivers webhooks to the hub the way Meta does: POST, `Content-Type: application/json`,
 * `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the exact bytes>` over Meta's `\uXXXX`-escaped
 * serialisation (meta-json.ts). Anything but a 200 (or a connection failure, or a timeout) is a
 * failure and is retried with exponential backoff (Meta: "retry immediately, then a few more times
 * with decreasing frequency", NOTES §9), up to a bounded number of attempts. Deliveries are
 * independent: one failing body never holds back another. Every attempt is logged for tests.
 */
import { Agent, request } from 'undici';
import { signatureFor } from '../modules/inbound/index.js';
import type { Clock } from '../platform/clock.js';
import { metaJson } from './meta-json.js';
import type { Settings } from './schemas.js';
import { createTimers } from './timers.js';

export type DeliveryAttempt = { at: number; statusCode: number | null; error: string | null };

export type WebhookDelivery = {
  id: number;
  /** `entry[0].changes[0].field`: `messages`, `user_preferences`, `message_template_status_update`, … */
  field: string;
  body: unknown;
  /** The exact bytes sent (and signed). */
  rawBody: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: DeliveryAttempt[];
};

export type WebhookTarget = { url: string | null; appSecret: string; retry: Settings['webhookRetry'] };

export type WebhookSender = {
  send(body: unknown): WebhookDelivery;
  /** The log, oldest first (bounded: finished deliveries beyond `maxLog` are forgotten). */
  deliveries(): WebhookDelivery[];
  pending(): number;
  /** Resolves when no delivery is pending (delivered or given up). */
  idle(): Promise<void>;
  close(): Promise<void>;
};

/** Delay before attempt `attempt + 1` once attempt `attempt` (1-based) failed: base × 2^(attempt-1), capped. */
export function backoffDelayMs(attempt: number, baseDelayMs: number, maxDelayMs: number): number {
  return Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attempt - 1));
}

export function createWebhookSender(deps: { target: () => WebhookTarget; clock: Clock; maxLog?: number }): WebhookSender {
  const maxLog = deps.maxLog ?? 10_000;
  const agent = new Agent({ connections: 64 });
  const timers = createTimers();
  const log: WebhookDelivery[] = [];
  let nextId = 0;
  let pendingCount = 0;
  let idleWaiters: (() => void)[] = [];
  let closed = false;

  const settle = (delivery: WebhookDelivery, state: 'delivered' | 'failed') => {
    delivery.state = state;
    pendingCount -= 1;
    if (log.length > maxLog) {
      const oldest = log.findIndex((d) => d.state !== 'pending');
      if (oldest >= 0) log.splice(oldest, 1);
    }
    if (pendingCount === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  };

  const attempt = async (delivery: WebhookDelivery): Promise<void> => {
    const { url, appSecret, retry } = deps.target();
    const at = deps.clock.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    if (!url) {
      error = 'no webhookUrl configured';
    } else {
      try {
        const response = await request(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-hub-signature-256': signatureFor(delivery.rawBody, appSecret),
            'user-agent': 'facebookexternalua',
          },
          body: delivery.rawBody,
          dispatcher: agent,
          headersTimeout: retry.timeoutMs,
          bodyTimeout: retry.timeoutMs,
        });
        statusCode = response.statusCode;
        await response.body.dump();
      } catch (e) {
        error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      }
    }
    delivery.attempts.push({ at, statusCode, error });
    if (closed) return;
    if (statusCode === 200) return settle(delivery, 'delivered');
    if (delivery.attempts.length >= retry.maxAttempts) return settle(delivery, 'failed');
    timers.after(backoffDelayMs(delivery.attempts.length, retry.baseDelayMs, retry.maxDelayMs), () => void attempt(delivery));
  };

  return {
    send(body) {
      const change = (body as { entry?: { changes?: { field?: unknown }[] }[] }).entry?.[0]?.changes?.[0];
      const delivery: WebhookDelivery = {
        id: ++nextId,
        field: typeof change?.field === 'string' ? change.field : 'unknown',
        body,
        rawBody: metaJson(body),
        state: 'pending',
        attempts: [],
      };
      log.push(delivery);
      pendingCount += 1;
      if (!closed) void attempt(delivery);
      return delivery;
    },
    deliveries: () => [...log],
    pending: () => pendingCount,
    idle: () => (pendingCount === 0 || closed ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve))),
    async close() {
      closed = true;
      timers.close();
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
      await agent.destroy();
    },
  };
}
