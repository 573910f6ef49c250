/**
 * A sliding window where a send holds its place until Meta has answered it: at most `limit`
 * sends counted by Meta in any window of `windowMs`, whatever happens to requests on the way.
 * It is the shape of Meta's throughput rule ("messages per second", counted over any second).
 *
 * Why the answer and not the start: Meta counts a request when it handles it, somewhere between
 * the moment we admit it and the moment its answer reaches us. A log of admission times bounds
 * the admissions in a second, but requests bunch up on the way (a busy event loop on either side
 * writes or handles late), so Meta can see those of a second plus every one that was still in
 * flight at its start: with 32 in flight, a log of 960 let 992 through one second at the
 * simulator. Counting a send from its admission until `windowMs` after its answer closes that gap
 * exactly, for any number in flight and any delay.
 *
 * Guarantee: admission at t needs fewer than `limit` sends counted at t, a send being counted
 * while it is in flight and until `windowMs` after its answer. Take any half-open window
 * [s, s + windowMs) of Meta's handling times and suppose it held limit + 1 sends. The last of
 * them to be admitted, at t < s + windowMs, found each of the others admitted no later and
 * answered no earlier than s > t − windowMs (each was handled in the window, after its admission
 * and before its answer): in flight, or answered within windowMs. So it found `limit` counted
 * and was refused. (A send that is never reported answered counts `maxHoldMs` as in flight: the
 * HTTP client gives up well before, so its answer, if any, came earlier.)
 *
 * The state of one key is the times of the last `limit` answers, newest last, and the sends in
 * flight with the time their hold lapses. The memory limiter keeps one per key and runs
 * `admit` / `release` on it; the Redis limiter's Lua scripts do the same on a sorted set.
 *
 * Times are ms from the injected Clock; `retryAfterMs` is whole ms.
 */

export type SlidingWindowConfig = {
  /** Sends counted in any window, at most. */
  readonly limit: number;
  readonly windowMs: number;
  /** How long a send not reported answered counts as in flight: longer than any request can take. */
  readonly maxHoldMs: number;
};

/** Throws RangeError: a bad config is a programming error, not an expected failure. */
export function assertValidWindow(config: SlidingWindowConfig): void {
  const { limit, windowMs, maxHoldMs } = config;
  if (!(Number.isInteger(limit) && limit >= 1)) throw new RangeError(`window limit must be an integer >= 1, got ${limit}`);
  if (!(Number.isFinite(windowMs) && windowMs > 0)) throw new RangeError(`window length must be a finite number of ms > 0, got ${windowMs}`);
  if (!(Number.isFinite(maxHoldMs) && maxHoldMs > 0)) throw new RangeError(`maxHoldMs must be a finite number of ms > 0, got ${maxHoldMs}`);
}

/** How long a key's state stays meaningful after an admission: its longest hold, then the window. */
export function stateLifetimeMs(config: SlidingWindowConfig): number {
  return config.maxHoldMs + config.windowMs;
}

/**
 * How long after `now` an admission must wait, in ms (not rounded); 0 or less: admit now.
 * `nthLatestExpiry(k)` is the k-th latest time from which a counted send frees its place a window
 * later (see `WindowState.nthLatestExpiry`), or undefined when fewer than k are counted: the
 * limit-th latest must be a window old. Never more than a window: after a clock went back, the
 * answers it ran ahead of refuse again when asked (they still count), where a wait up to them
 * would stall the caller for as long as the clock jumped.
 */
function admissionWait(config: SlidingWindowConfig, now: number, nthLatestExpiry: (k: number) => number | undefined): number {
  const kth = nthLatestExpiry(config.limit);
  return kth === undefined ? 0 : Math.min(kth, now) + config.windowMs - now;
}

/** The whole ms a refused caller waits: at least 1. */
function retryAfterMs(wait: number): number {
  return Math.max(1, Math.ceil(wait));
}

/**
 * Admits `ticket` at `now` if the window has room, holding its place until `release`; otherwise
 * says how long to wait and changes nothing. A clock that went back mints nothing: the answers it
 * ran ahead of still count until real time passes them.
 */
export function admit(state: WindowState, config: SlidingWindowConfig, now: number, ticket: string): { ok: true } | { ok: false; retryAfterMs: number } {
  state.lapseHolds(now - config.windowMs);
  const wait = admissionWait(config, now, (k) => state.nthLatestExpiry(k, now));
  if (wait > 0) return { ok: false, retryAfterMs: retryAfterMs(wait) };
  state.hold(ticket, now + config.maxHoldMs);
  return { ok: true };
}

/**
 * `ticket` was answered at `now`: from here it counts `windowMs` more. A ticket that is not held
 * (released already) changes nothing, nor does one whose hold lapsed before `now`: it already
 * counts as answered when it lapsed, whether or not an admission has dropped it since (so that
 * every store answers alike). The answer is recorded no earlier than the newest one, so that the
 * answers stay in order (recording it later only counts it longer).
 */
export function release(state: WindowState, ticket: string, now: number): void {
  const until = state.heldUntil(ticket);
  if (until === undefined || until < now) return;
  state.unhold(ticket);
  const newest = state.answers.nthMostRecent(1);
  state.answers.record(newest !== undefined && newest > now ? newest : now);
}

/**
 * The state to admit against under `config`: `held` as it is, or with its answers resized when
 * the limit changed (a number's limit changed), or a new one when there is none yet.
 */
export function stateFor(config: SlidingWindowConfig, held?: WindowState): WindowState {
  if (held === undefined) return new WindowState(new AnswerLog(config.limit));
  return held.answers.capacity === config.limit ? held : held.withAnswers(held.answers.resized(config.limit));
}

/** One key's window in memory: its recent answers, and its sends in flight. */
export class WindowState {
  /**
   * Ticket → when its hold lapses; in admission order, which is lapse order on a steady clock with
   * one `maxHoldMs` per key (the sender's lease).
   */
  private readonly holds = new Map<string, number>();

  constructor(readonly answers: AnswerLog) {}

  get held(): number {
    return this.holds.size;
  }

  hold(ticket: string, until: number): void {
    this.holds.set(ticket, until);
  }

  heldUntil(ticket: string): number | undefined {
    return this.holds.get(ticket);
  }

  unhold(ticket: string): void {
    this.holds.delete(ticket);
  }

  /** Forgets the holds that lapsed at or before `before`: they no longer count. */
  lapseHolds(before: number): void {
    for (const [ticket, until] of this.holds) {
      if (until > before) return;
      this.holds.delete(ticket);
    }
  }

  /**
   * The k-th latest time, among the sends counted, from which a send frees its place a window
   * later: its answer, or for a send in flight `now` (its answer could come at once), or its lapse
   * if that is sooner. Sends in flight come first; a hold past its lapse (rare: the HTTP client
   * gives up before) is merged with the answers by time.
   */
  nthLatestExpiry(k: number, now: number): number | undefined {
    const lapsing: number[] = [];
    for (const until of this.holds.values()) {
      if (until >= now) break;
      lapsing.push(until);
    }
    const inFlight = this.holds.size - lapsing.length;
    if (k <= inFlight) return now;
    let rest = k - inFlight;
    if (lapsing.length === 0) return this.answers.nthMostRecent(rest);
    let answer = 1;
    let hold = lapsing.length - 1;
    for (;;) {
      const a = this.answers.nthMostRecent(answer);
      const h = hold >= 0 ? lapsing[hold] : undefined;
      if (a === undefined && h === undefined) return undefined;
      const takeAnswer = h === undefined || (a !== undefined && a >= h);
      if (rest === 1) return takeAnswer ? a : h;
      rest -= 1;
      if (takeAnswer) answer += 1;
      else hold -= 1;
    }
  }

  /** The same holds with other answers (after a resize). */
  withAnswers(answers: AnswerLog): WindowState {
    const state = new WindowState(answers);
    for (const [ticket, until] of this.holds) state.hold(ticket, until);
    return state;
  }
}

/** A ring of the last `capacity` answer times, newest last. */
export class AnswerLog {
  private readonly times: number[];
  private count = 0;
  /** Index the next answer is written to. */
  private next = 0;

  constructor(readonly capacity: number) {
    this.times = new Array<number>(capacity);
  }

  nthMostRecent(k: number): number | undefined {
    if (k > this.count) return undefined;
    return this.times[(this.next - k + this.capacity) % this.capacity];
  }

  record(time: number): void {
    this.times[this.next] = time;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
  }

  /**
   * The same log with room for `capacity` times, keeping the most recent ones: starting empty
   * would let a full window through again at once.
   */
  resized(capacity: number): AnswerLog {
    const log = new AnswerLog(capacity);
    for (let k = Math.min(this.count, capacity); k >= 1; k--) log.record(this.nthMostRecent(k)!);
    return log;
  }
}
