/**
 * The most of `times` (ms, in any order) in any half-open window [s, s + windowMs), over every s:
 * what a limit of "at most N in any window of that length" is checked against.
 */
export function busiestWindow(times: readonly number[], windowMs: number): number {
  // The busiest window can always be slid right until it starts at one of the times.
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let end = 0;
  for (let start = 0; start < sorted.length; start++) {
    while (end < sorted.length && sorted[end]! < sorted[start]! + windowMs) end++;
    best = Math.max(best, end - start);
  }
  return best;
}
