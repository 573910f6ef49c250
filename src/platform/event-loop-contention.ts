import { performance } from 'node:perf_hooks';

/**
 * Tells background work (the worker's batches) whether the rest of the process keeps the event
 * loop busy: how much of the time the background work left was spent on other callbacks (HTTP
 * requests, sends) rather than waiting for I/O. A moving average over about `horizonMs`, so one
 * busy turn of the loop does not flip it.
 *
 * Measured, not guessed from request counts: a steady 3,000 webhooks/s that leaves the loop idle
 * half of the time is no reason to hold the backlog back, and a burst that fills it is.
 */
export class EventLoopContention {
  private mark = performance.eventLoopUtilization();
  private load = 0;

  constructor(
    /** The share of the time left over that others must use for the loop to count as contended. */
    private readonly threshold = 0.5,
    private readonly horizonMs = 100,
  ) {}

  /** Whether others kept the loop busy since the last call; `ownBusyMs`: the caller's own work meanwhile. */
  contended(ownBusyMs: number): boolean {
    const delta = performance.eventLoopUtilization(this.mark);
    this.mark = performance.eventLoopUtilization();
    return this.update(delta.active, delta.idle, ownBusyMs) >= this.threshold;
  }

  /** The arithmetic of `contended`, on given figures (ms): the new average share of the others. */
  update(activeMs: number, idleMs: number, ownBusyMs: number): number {
    const othersActive = Math.max(0, activeMs - ownBusyMs);
    const window = othersActive + Math.max(0, idleMs);
    if (window <= 0) return this.load;
    const weight = Math.min(1, window / this.horizonMs);
    this.load += (othersActive / window - this.load) * weight;
    return this.load;
  }
}
