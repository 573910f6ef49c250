/**
 * When a failed job runs again: exponential backoff (base × 2^(attempt-1)) capped at `maxDelayMs`,
 * with "full jitter" so that many jobs failing together do not retry in lock-step.
 * `random` is injected (a number in [0, 1)) to keep this pure and testable.
 */
export type RetryPolicy = {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
};

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 1_000, maxDelayMs: 10 * 60_000 };

/** Delay before attempt `attempt + 1`, given that `attempt` (1-based) just failed; null when attempts are exhausted. */
export function retryDelayMs(policy: RetryPolicy, attempt: number, random: number): number | null {
  if (attempt >= policy.maxAttempts) return null;
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  // Half fixed, half jitter: never retries sooner than ceiling/2, so a failing job cannot spin.
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}
