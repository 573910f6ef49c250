import { describe, expect, it } from 'vitest';
import { EventLoopContention } from './event-loop-contention.js';

describe('EventLoopContention', () => {
  it("counts what others did with the time the caller's own work left", () => {
    const contention = new EventLoopContention(0.5, 20);
    // 100 ms, busy throughout, 80 of them the caller's own: the others used all of the other 20.
    expect(contention.update(100, 0, 80)).toBe(1);
    // 100 ms, busy 30, all of it the caller's: the others used none of the 70 left.
    expect(contention.update(30, 70, 30)).toBe(0);
  });

  it('averages over the horizon, so one busy turn of the loop does not flip it', () => {
    const contention = new EventLoopContention(0.5, 100);
    // 2 ms of requests between two batches is 2% of the horizon.
    expect(contention.update(2, 0, 0)).toBeCloseTo(0.02, 10);
    for (let i = 0; i < 200; i++) contention.update(2, 0, 0);
    expect(contention.update(2, 0, 0)).toBeGreaterThan(0.9);
    // A long quiet stretch resets it at once.
    expect(contention.update(0, 500, 0)).toBe(0);
  });

  it('answers from the real event loop: idle while sleeping, contended while others spin', async () => {
    const contention = new EventLoopContention(0.5, 50);
    contention.contended(0);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(contention.contended(0)).toBe(false);
    const until = performance.now() + 60;
    while (performance.now() < until);
    expect(contention.contended(0)).toBe(true);
    // The same busy time, declared as the caller's own, is no contention.
    contention.update(0, 1_000, 0);
    const again = performance.now() + 60;
    while (performance.now() < again);
    expect(contention.contended(60)).toBe(false);
  });
});
