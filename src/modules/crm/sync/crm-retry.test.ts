import { describe, expect, it } from 'vitest';
import { PermanentJobError } from '../../../jobs/job-definition.js';
import { CrmError } from '../crm-error.js';
import { CRM_RETRY_POLICY, crmRetryDecision, runCrmWork } from './crm-retry.js';

const fail = (error: unknown) => async () => {
  throw error;
};
const options = (generation: number) => ({ generation, now: 1_000_000, random: () => 0 });

describe('runCrmWork', () => {
  it('puts retryable work back in line with backoff, never sooner than the CRM’s Retry-After', async () => {
    expect(await runCrmWork(fail(new CrmError('CRM_UNAVAILABLE', 'down')), options(0))).toMatchObject({ kind: 'again', runAt: 1_000_500 });
    expect(await runCrmWork(fail(new CrmError('CRM_UNAVAILABLE', 'down')), options(5))).toMatchObject({ kind: 'again', runAt: 1_016_000 });
    expect(await runCrmWork(fail(new CrmError('CRM_RATE_LIMITED', 'slow', { retryAfterMs: 30_000 })), options(0))).toMatchObject({ kind: 'again', runAt: 1_030_000 });
  });

  it('dead-letters permanent errors at once and retryable ones after the last generation', async () => {
    await expect(runCrmWork(fail(new CrmError('CRM_UNAUTHORIZED', 'no')), options(0))).rejects.toBeInstanceOf(PermanentJobError);
    await expect(runCrmWork(fail(new CrmError('CRM_UNAVAILABLE', 'down')), options(CRM_RETRY_POLICY.maxAttempts - 1))).rejects.toThrow(/gave up/);
  });

  it('lets other errors fail the job as usual, and reports done work', async () => {
    await expect(runCrmWork(fail(new TypeError('bug')), options(0))).rejects.toBeInstanceOf(TypeError);
    expect(await runCrmWork(async () => {}, options(0))).toEqual({ kind: 'done' });
  });
});

describe('crmRetryDecision', () => {
  it('sends an outbox item again after the backoff of its generation or the Retry-After, whichever is later', () => {
    expect(crmRetryDecision(new CrmError('CRM_UNAVAILABLE', 'down'), options(0))).toEqual({ kind: 'again', runAt: 1_000_500, reason: 'CRM_UNAVAILABLE: down' });
    expect(crmRetryDecision(new CrmError('CRM_RATE_LIMITED', 'slow', { retryAfterMs: 30_000 }), options(3))).toMatchObject({ kind: 'again', runAt: 1_030_000 });
  });

  it('gives an item up when the CRM refuses it or its attempts are spent', () => {
    expect(crmRetryDecision(new CrmError('CRM_REJECTED', 'bad body'), options(0))).toEqual({ kind: 'dead', reason: 'CRM_REJECTED: bad body' });
    expect(crmRetryDecision(new CrmError('CRM_UNAVAILABLE', 'down'), options(CRM_RETRY_POLICY.maxAttempts - 1))).toMatchObject({ kind: 'dead', reason: expect.stringMatching(/gave up after 40 attempts/) });
  });
});
