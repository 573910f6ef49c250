import { PermanentJobError } from '../../../jobs/job-definition.js';
import { retryDelayMs, type RetryPolicy } from '../../../jobs/retry-schedule.js';
import { CrmError } from '../crm-error.js';

/**
 * How CRM work is retried. A CRM outage can last hours; a job's attempts (JOB_MAX_ATTEMPTS) are
 * spent in minutes. So a retryable CrmError does not fail the job: the work is put back in line as
 * a new job (a "generation" further) at the later of the backoff and the CRM's Retry-After, and
 * the failing job completes. After `maxAttempts` generations the work is dead-lettered.
 * Permanent CrmErrors (bad credentials, a rejected record) are dead-lettered at once, to be
 * replayed (`switchboard dlq replay`) once the cause is fixed.
 */
export const CRM_RETRY_POLICY: RetryPolicy = { maxAttempts: 40, baseDelayMs: 1_000, maxDelayMs: 10 * 60_000 };

export type CrmRetryDecision = { kind: 'done' } | { kind: 'again'; runAt: number; reason: string };

export async function runCrmWork(
  work: () => Promise<void>,
  options: { generation: number; now: number; random: () => number; policy?: RetryPolicy },
): Promise<CrmRetryDecision> {
  try {
    await work();
    return { kind: 'done' };
  } catch (error) {
    if (!(error instanceof CrmError)) throw error;
    const decision = crmRetryDecision(error, options);
    if (decision.kind === 'dead') throw new PermanentJobError(decision.reason);
    return decision;
  }
}

/** What becomes of work that failed with `error` in its `generation`: again later, or dead-lettered. */
export function crmRetryDecision(
  error: CrmError,
  options: { generation: number; now: number; random: () => number; policy?: RetryPolicy },
): { kind: 'again'; runAt: number; reason: string } | { kind: 'dead'; reason: string } {
  if (!error.retryable) return { kind: 'dead', reason: `${error.code}: ${error.message}` };
  const delay = retryDelayMs(options.policy ?? CRM_RETRY_POLICY, options.generation + 1, options.random());
  if (delay === null) return { kind: 'dead', reason: `${error.code}: ${error.message} (gave up after ${options.generation + 1} attempts)` };
  return { kind: 'again', runAt: options.now + Math.max(delay, error.details.retryAfterMs ?? 0), reason: `${error.code}: ${error.message}` };
}
