/**
 * The two ways of syncing a backlog straight through the HubSpot connector:
 *
 * - `batchedSync`: what the sync outbox does with the connector's batch methods: take the next 100
 *   messages, upsert the contacts not linked yet (`upsertPeople`, one `batch/upsert` per 100),
 *   then log the 100 messages (`logActivities`, one `communications/batch/create`).
 * - `naiveSync`: one upsert (a `batch/upsert` of one contact) and one communication per message,
 *   which is where most integrations start.
 *
 * Both behave like an outbox on a retryable error: wait `retryAfterMs` (or 1 s) and try again, so
 * a 429 costs time, never a message. Each run gets a fresh fake and a fresh limiter.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock } from '../../src/platform/clock.js';
import { MemoryRateLimiter } from '../../src/modules/outbound/index.js';
import { CrmError } from '../../src/modules/crm/index.js';
import { createHubspotConnector, type HubspotConnector, type HubspotRateLimit } from '../../src/modules/crm/connectors/hubspot/index.js';
import { HUBSPOT_FAKE_TOKEN, startHubspotFake, type HubspotFake } from '../../src/modules/crm/connectors/hubspot/testing/hubspot-fake.server.js';
import type { Workload } from './workload.js';

export type RunResult = {
  messages: number;
  contacts: number;
  elapsedMs: number;
  requests: number;
  rateLimited: number;
  retries: number;
  peakPerTenSeconds: number;
  people: number;
  communications: number;
  failed: number;
  /** Requests per kind: key lookups, phone searches, contact upserts, communication writes, other. */
  byKind: { lookups: number; searches: number; upserts: number; activities: number; other: number };
};

function requestKind(r: { method: string; path: string }): keyof RunResult['byKind'] {
  if (r.path.endsWith('/search')) return 'searches';
  if (r.path.includes('/contacts/batch/upsert')) return 'upserts';
  if (r.path.includes('/communications')) return 'activities';
  if (r.method === 'GET' && r.path.startsWith('/crm/v3/objects/contacts/')) return 'lookups';
  return 'other';
}

export type Harness = { fake: HubspotFake; connector: HubspotConnector; retries: { count: number }; close(): Promise<void> };

export async function hubspotHarness(tier: HubspotRateLimit): Promise<Harness> {
  const fake = await startHubspotFake({ rateLimit: tier });
  const connector = createHubspotConnector({ baseUrl: fake.url, accessToken: HUBSPOT_FAKE_TOKEN, limiter: new MemoryRateLimiter(systemClock), clock: systemClock, rateLimit: tier });
  return {
    fake,
    connector,
    retries: { count: 0 },
    async close() {
      await connector.close();
      await fake.close();
    },
  };
}

/** Runs `work` until it does not fail retryably, waiting as HubSpot asks. */
export async function withRetry<T>(h: Harness, work: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof CrmError) || !error.retryable) throw error;
      h.retries.count += 1;
      await sleep(error.details.retryAfterMs ?? 1000);
    }
  }
}

export function summarise(h: Harness, w: Workload, elapsedMs: number, failed: number): RunResult {
  const c = h.fake.controls;
  return {
    messages: w.messages.length,
    contacts: w.contacts.length,
    elapsedMs,
    requests: c.requests().length,
    rateLimited: c.rateLimitRejections().tenSecondly + c.rateLimitRejections().secondly,
    retries: h.retries.count,
    peakPerTenSeconds: c.peakRequestsPerTenSeconds(),
    people: c.count('contacts'),
    communications: c.count('communications'),
    failed,
    byKind: c.requests().reduce((acc, r) => ({ ...acc, [requestKind(r)]: acc[requestKind(r)] + 1 }), { lookups: 0, searches: 0, upserts: 0, activities: 0, other: 0 }),
  };
}

export async function batchedSync(h: Harness, w: Workload, batchSize = 100): Promise<{ elapsedMs: number; failed: number }> {
  const linked = new Map<number, string>();
  let failed = 0;
  const start = performance.now();
  for (let i = 0; i < w.messages.length; i += batchSize) {
    const batch = w.messages.slice(i, i + batchSize);
    const unlinked = [...new Set(batch.map((m) => m.contactIndex).filter((c) => !linked.has(c)))];
    if (unlinked.length > 0) {
      const people = unlinked.map((c) => {
        const contact = w.contacts[c]!;
        return { switchboardKey: contact.key, firstName: contact.firstName, lastName: contact.lastName, phone: contact.phone };
      });
      const results = await withRetry(h, () => h.connector.upsertPeople(people));
      results.forEach((r, j) => {
        if (r.ok) linked.set(unlinked[j]!, r.crmId);
      });
    }
    const activities = batch
      .filter((m) => linked.has(m.contactIndex))
      .map((m) => ({ crmId: linked.get(m.contactIndex)!, idempotencyKey: m.wamid, direction: 'inbound' as const, body: m.body, occurredAt: m.occurredAt }));
    failed += batch.length - activities.length;
    const logged = await withRetry(h, () => h.connector.logActivities(activities));
    failed += logged.filter((r) => !r.ok).length;
  }
  return { elapsedMs: performance.now() - start, failed };
}

export async function naiveSync(h: Harness, w: Workload): Promise<{ elapsedMs: number; failed: number }> {
  let failed = 0;
  const start = performance.now();
  for (const m of w.messages) {
    const contact = w.contacts[m.contactIndex]!;
    const [person] = await withRetry(h, () =>
      h.connector.upsertPeople([{ switchboardKey: contact.key, firstName: contact.firstName, lastName: contact.lastName, phone: contact.phone }]),
    );
    if (!person?.ok) {
      failed++;
      continue;
    }
    await withRetry(h, () => h.connector.logActivity({ crmId: person.crmId, idempotencyKey: m.wamid, direction: 'inbound', body: m.body, occurredAt: m.occurredAt }));
  }
  return { elapsedMs: performance.now() - start, failed };
}
