import type { NewJob } from './job-definition.js';

/**
 * The run of a periodic job for the period that contains `at`. Its dedupe key names the period,
 * so however many processes start (or restart) in it, the job runs once per period.
 */
export function periodicRun(name: string, at: number, intervalMs: number, runAt = at): NewJob {
  return { name, payload: {}, dedupeKey: `${name}:${Math.floor(at / intervalMs)}`, runAt };
}

/** The run for the period after the one containing `now`, due when that period starts. */
export function nextPeriodicRun(name: string, now: number, intervalMs: number): NewJob {
  return periodicRun(name, (Math.floor(now / intervalMs) + 1) * intervalMs, intervalMs);
}
