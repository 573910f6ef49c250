/**
 * HubSpot's limits as token buckets for the `RateLimiter` port.
 *
 * HubSpot counts requests in a ROLLING window (100 per 10 s on Free/Starter, 190 on
 * Professional/Enterprise; the search endpoints 5 per second besides). A token bucket admits at
 * most `capacity + refillPerSecond × T` requests in any window of T seconds (see
 * outbound/core/token-bucket.ts), so the bucket is sized for `capacity + 10 × refill` to stay 5 %
 * under the limit: the margin absorbs the time between our reservation and HubSpot's clock
 * stamping the request. A small capacity keeps the sustained rate close to the limit (17 req/s
 * of HubSpot's 19 on Professional) instead of spending half of it on a burst.
 */
import { createHash } from 'node:crypto';
import type { RateLimiter } from '../../../outbound/index.js';

export type HubspotRateLimit = {
  /** Requests per rolling 10 s for the portal: 100 (Free/Starter, the default) or 190 (Professional/Enterprise). */
  perTenSeconds: number;
  /** The search endpoints' own limit per second; default 5. */
  searchPerSecond?: number;
};

export const HUBSPOT_TIERS = {
  freeStarter: { perTenSeconds: 100 },
  professional: { perTenSeconds: 190 },
  enterprise: { perTenSeconds: 190 },
} as const satisfies Record<string, HubspotRateLimit>;

type BucketConfig = Parameters<RateLimiter['reserve']>[1];

/** The burst bucket: at most 95 % of `perTenSeconds` in any rolling 10 s. */
export function burstBucket(limit: HubspotRateLimit): BucketConfig {
  if (!(Number.isFinite(limit.perTenSeconds) && limit.perTenSeconds >= 2)) throw new RangeError('HubSpot perTenSeconds must be a number >= 2');
  const budget = Math.floor(limit.perTenSeconds * 0.95);
  const capacity = Math.max(1, Math.round(limit.perTenSeconds / 20));
  return { capacity, refillPerSecond: Math.max(0.1, (budget - capacity) / 10) };
}

/** The search bucket: at most 90 % of `searchPerSecond` in any rolling second. */
export function searchBucket(limit: HubspotRateLimit): BucketConfig {
  const perSecond = limit.searchPerSecond ?? 5;
  if (!(Number.isFinite(perSecond) && perSecond >= 1)) throw new RangeError('HubSpot searchPerSecond must be a number >= 1');
  return { capacity: 1, refillPerSecond: Math.max(0.1, perSecond * 0.9 - 1) };
}

/**
 * HubSpot's limits are per portal and shared by every app and process using it, so the bucket
 * key names the portal (or, when its id is not configured, a hash of the token, never the token).
 */
export function rateLimitKey(portalId: string | undefined, accessToken: string): string {
  return portalId ? `crm:hubspot:portal:${portalId}` : `crm:hubspot:token:${createHash('sha256').update(accessToken).digest('hex').slice(0, 16)}`;
}

/**
 * A limiter for search calls: a search must hold a token of the search bucket AND of the portal's
 * burst bucket (it counts against both). The search token is taken first; when the burst bucket
 * then refuses, that search token is spent without a request, which only ever errs on the slow side.
 */
export function searchLimiter(limiter: RateLimiter, search: { key: string; config: BucketConfig }): RateLimiter {
  return {
    async reserve(key, config, count) {
      const first = await limiter.reserve(search.key, search.config);
      if (!first.ok) return first;
      return limiter.reserve(key, config, count);
    },
  };
}
