/** Time as a port, so that core logic and tests never read the wall clock directly. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * The system clock to a fraction of a millisecond, for pacing sends: on whole ms, "at most 20 in
 * any 10 ms" can let 40 through in 9 real ms (20 at the very end of one millisecond, 20 at the
 * start of the one nine later). It runs from the process's start, so a step of the wall clock
 * (NTP) does not move it.
 */
export const preciseClock: Clock = { now: () => performance.timeOrigin + performance.now() };

/** A clock that only moves when told to; for tests. */
export class ManualClock implements Clock {
  constructor(private current = 0) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
  set(ms: number): void {
    this.current = ms;
  }
}
