/**
 * Pure measurements of the outbound benchmark, over timestamps in ms (floats allowed).
 */

/** Largest number of timestamps in any half-open window [t, t + windowMs), over every t. `times` must be sorted. */
export function peakWindow(times: readonly number[], windowMs = 1000): { count: number; startsAt: number } {
  let best = 0;
  let startsAt = Number.NaN;
  let i = 0;
  for (let j = 0; j < times.length; j++) {
    while (times[j]! - times[i]! >= windowMs) i++;
    if (j - i + 1 > best) {
      best = j - i + 1;
      startsAt = times[i]!;
    }
  }
  return { count: best, startsAt };
}

/** Timestamps per whole second since `origin` (for the per-second profile). */
export function perSecond(times: readonly number[], origin: number): number[] {
  const out: number[] = [];
  for (const t of times) {
    const s = Math.floor((t - origin) / 1000);
    if (s < 0) continue;
    while (out.length <= s) out.push(0);
    out[s]! += 1;
  }
  return out;
}

/**
 * Replays each recipient's sends through Meta's pair limit as a token bucket (capacity 45, one
 * token per 6 s): a send that finds less than one token is a violation (it is still counted as
 * sent, so one early send does not hide the next). Returns the violations, the recipients with at
 * least one, and the most sends any recipient got.
 */
export function pairReplay(
  timesByRecipient: ReadonlyMap<string, number[]>,
  limit: { capacity: number; refillIntervalMs: number } = { capacity: 45, refillIntervalMs: 6_000 },
): { violations: number; recipientsInViolation: number; maxPerRecipient: number; recipients: number } {
  let violations = 0;
  let recipientsInViolation = 0;
  let maxPerRecipient = 0;
  for (const unsorted of timesByRecipient.values()) {
    const times = [...unsorted].sort((a, b) => a - b);
    maxPerRecipient = Math.max(maxPerRecipient, times.length);
    let tokens = limit.capacity;
    let last = times[0] ?? 0;
    let mine = 0;
    for (const t of times) {
      tokens = Math.min(limit.capacity, tokens + (t - last) / limit.refillIntervalMs);
      last = t;
      if (tokens < 1) mine += 1;
      tokens -= 1;
    }
    violations += mine;
    if (mine > 0) recipientsInViolation += 1;
  }
  return { violations, recipientsInViolation, maxPerRecipient, recipients: timesByRecipient.size };
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/**
 * What a perfect pacer at `mps` would have given the same arrivals: message k leaves at
 * max(its accept time, the previous departure + 1000/mps ms), first in first out. Returns the
 * latencies (departure − accept), sorted: the floor that any sender honouring `mps` has to pay
 * when 20,000 messages arrive faster than 1,000/s.
 */
export function idealPacerLatencies(acceptTimes: readonly number[], mps: number): number[] {
  const sorted = [...acceptTimes].sort((a, b) => a - b);
  const gap = 1000 / mps;
  const out: number[] = [];
  let previous = -Infinity;
  for (const a of sorted) {
    const departure = Math.max(a, previous + gap);
    out.push(departure - a);
    previous = departure;
  }
  return out.sort((x, y) => x - y);
}

/** Messages / span from the first to the last timestamp (sorted), per second. */
export function achievedRate(sortedTimes: readonly number[]): number {
  if (sortedTimes.length < 2) return Number.NaN;
  return sortedTimes.length / ((sortedTimes[sortedTimes.length - 1]! - sortedTimes[0]!) / 1000);
}
