/**
 * A sliding-window log: at most `limit` admissions in any window of `windowMs`, for each of a
 * few windows at once. It is the shape of Meta's throughput rule ("messages per second", counted
 * over any second), so it can be held to exactly, where a token bucket has to trade rate for burst
 * (see throughput-limit.ts).
 *
 * What it buys over a token bucket: a caller that comes back late (an event loop busy for 30 ms)
 * takes up the sends it missed within the same second, as long as the second has room. A bucket
 * whose burst is kept small (as the 1-second rule forces) drops the tokens that overflow while
 * the caller is away, and the rate lost that way never comes back.
 *
 * The log holds the times of the last admissions, newest last, as many as the largest limit.
 * The memory limiter keeps one log per key and runs `admit` on it; the Redis limiter's Lua script
 * mirrors `admit` line for line on a Redis list.
 *
 * Guarantee, for each window: admission at t needs the `limit`-th most recent admission at or
 * before t − windowMs, i.e. fewer than `limit` admissions in (t − windowMs, t]. Take any
 * half-open window [s, s + windowMs) and suppose it held limit + 1 admissions; the last, at
 * t < s + windowMs, would have found the other `limit` in [s, t] ⊂ (t − windowMs, t] and been
 * refused. So no such window holds more than `limit`, whatever the interleaving of callers and
 * processes that share the log.
 *
 * Times are ms from the injected Clock; `retryAfterMs` is whole ms.
 */

export type WindowLimit = { readonly limit: number; readonly windowMs: number };

/** Every window applies at once: an admission must fit in all of them. */
export type SlidingWindowConfig = { readonly windows: readonly WindowLimit[] };

/** Throws RangeError: a bad config is a programming error, not an expected failure. */
export function assertValidWindows(config: SlidingWindowConfig): void {
  if (config.windows.length === 0) throw new RangeError('a sliding-window limit needs at least one window');
  for (const { limit, windowMs } of config.windows) {
    if (!(Number.isInteger(limit) && limit >= 1)) throw new RangeError(`window limit must be an integer >= 1, got ${limit}`);
    if (!(Number.isFinite(windowMs) && windowMs > 0)) throw new RangeError(`window length must be a finite number of ms > 0, got ${windowMs}`);
  }
}

/** How many admission times a log must keep for `config`: its largest limit. */
export function logLength(config: SlidingWindowConfig): number {
  return Math.max(...config.windows.map((w) => w.limit));
}

/** How long a log stays meaningful after its newest admission: its longest window. */
export function logLifetimeMs(config: SlidingWindowConfig): number {
  return Math.max(...config.windows.map((w) => w.windowMs));
}

/**
 * How long after `now` an admission must wait, in ms (not rounded); 0 or less: admit now.
 * `nthMostRecent(k)` is the time of the k-th most recent admission (1 = newest), or undefined when
 * the log holds fewer than k. A clock that went back only makes the wait longer: the admissions
 * it ran ahead of still count until real time passes them.
 */
function admissionWait(config: SlidingWindowConfig, now: number, nthMostRecent: (k: number) => number | undefined): number {
  let wait = 0;
  for (const { limit, windowMs } of config.windows) {
    const kth = nthMostRecent(limit);
    if (kth !== undefined) wait = Math.max(wait, kth + windowMs - now);
  }
  return wait;
}

/** The whole ms a refused caller waits: at least 1. */
function retryAfterMs(wait: number): number {
  return Math.max(1, Math.ceil(wait));
}

/**
 * The time an admission is recorded at: `now`, or the newest admission's time if the clock went
 * back, so that the log stays in order (recording it later than it was only counts it longer).
 */
function admissionTime(now: number, newest: number | undefined): number {
  return newest !== undefined && newest > now ? newest : now;
}

/**
 * Admits at `now` if every window has room, recording the admission; otherwise says how long to
 * wait and records nothing. The memory limiter runs this on its logs.
 */
export function admit(log: AdmissionLog, config: SlidingWindowConfig, now: number): { ok: true } | { ok: false; retryAfterMs: number } {
  const wait = admissionWait(config, now, (k) => log.nthMostRecent(k));
  if (wait > 0) return { ok: false, retryAfterMs: retryAfterMs(wait) };
  log.record(admissionTime(now, log.newest));
  return { ok: true };
}

/**
 * The log to admit against under `config`: `held` as it is, or resized when the config's length
 * changed (a number's limit changed), or a new one when there is none yet.
 */
export function logFor(config: SlidingWindowConfig, held?: AdmissionLog): AdmissionLog {
  const capacity = logLength(config);
  if (held === undefined) return new AdmissionLog(capacity);
  return held.capacity === capacity ? held : held.resized(capacity);
}

/** One key's log in memory: a ring of the last `capacity` admission times. */
export class AdmissionLog {
  private readonly times: number[];
  private count = 0;
  /** Index the next admission is written to. */
  private next = 0;

  constructor(readonly capacity: number) {
    this.times = new Array<number>(capacity);
  }

  nthMostRecent(k: number): number | undefined {
    if (k > this.count) return undefined;
    return this.times[(this.next - k + this.capacity) % this.capacity];
  }

  get newest(): number | undefined {
    return this.nthMostRecent(1);
  }

  record(time: number): void {
    this.times[this.next] = time;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
  }

  /**
   * The same log with room for `capacity` times (a number's limit changed), keeping the most
   * recent ones: starting empty would let a full window through again at once.
   */
  resized(capacity: number): AdmissionLog {
    const log = new AdmissionLog(capacity);
    for (let k = Math.min(this.count, capacity); k >= 1; k--) log.record(this.nthMostRecent(k)!);
    return log;
  }
}
