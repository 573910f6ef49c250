import { describe, expect, it } from 'vitest';
import { PollingLoop } from './polling-loop.js';

const until = async (check: () => boolean, ms = 2_000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 2));
  }
};

describe('PollingLoop', () => {
  it('runs rounds back to back while they find work, then sleeps until notified', async () => {
    let work = 3;
    let rounds = 0;
    const loop = new PollingLoop(async () => {
      rounds++;
      return work > 0 ? work-- : 0;
    }, 60_000, () => undefined);
    loop.start();
    await until(() => rounds === 4);
    await new Promise((r) => setTimeout(r, 30));
    expect(rounds).toBe(4);
    work = 1;
    loop.notify();
    await until(() => rounds === 6);
    await loop.stop();
  });

  it('polls after its interval when nothing wakes it, and stops at once while asleep', async () => {
    let rounds = 0;
    const loop = new PollingLoop(async () => {
      rounds++;
      return 0;
    }, 20, () => undefined);
    loop.start();
    await until(() => rounds >= 3);
    const slow = new PollingLoop(async () => 0, 60_000, () => undefined);
    slow.start();
    const started = Date.now();
    await slow.stop();
    expect(Date.now() - started).toBeLessThan(1_000);
    await loop.stop();
  });

  it('remembers a notification that arrives during a round and runs again instead of sleeping', async () => {
    let rounds = 0;
    let loop: PollingLoop | null = null;
    loop = new PollingLoop(async () => {
      rounds++;
      if (rounds === 1) loop!.notify();
      return 0;
    }, 60_000, () => undefined);
    loop.start();
    await until(() => rounds === 2);
    await loop.stop();
  });

  it('lets the event loop run between rounds that find nothing but keep being told of work', async () => {
    let rounds = 0;
    let roundWhenTimerRan = -1;
    let loop: PollingLoop | null = null;
    loop = new PollingLoop(async () => {
      rounds++;
      if (rounds < 2_000) loop!.notify();
      return 0;
    }, 60_000, () => undefined);
    setImmediate(() => (roundWhenTimerRan = rounds));
    loop.start();
    await until(() => rounds === 2_000);
    await loop.stop();
    expect(roundWhenTimerRan).toBeGreaterThan(0);
    expect(roundWhenTimerRan).toBeLessThan(10);
  });

  it('with gatherMs, takes work notified a few ms apart in one round', async () => {
    let waiting = 0;
    const taken: number[] = [];
    // A gather far longer than the notifications' spread: on a loaded machine a pause of 40 ms
    // between two of them outlasted a 50 ms gather and split the round.
    const loop = new PollingLoop(async () => {
      const n = waiting;
      waiting = 0;
      if (n > 0) taken.push(n);
      return n;
    }, 60_000, () => undefined, 1_000);
    loop.start();
    await new Promise((r) => setTimeout(r, 20));
    for (let i = 0; i < 3; i++) {
      waiting++;
      loop.notify();
      await new Promise((r) => setTimeout(r, 5));
    }
    await until(() => taken.length > 0, 5_000);
    await new Promise((r) => setTimeout(r, 80));
    expect(taken).toEqual([3]);
    await loop.stop();
  }, 10_000);

  it('with gatherMs, gathers work notified during a round that found nothing too', async () => {
    let waiting = 0;
    const rounds: number[] = [];
    let releaseRound: (() => void) | null = null;
    const loop = new PollingLoop(async () => {
      // The first round is held open while three notifications arrive.
      if (rounds.length === 0) await new Promise<void>((resolve) => (releaseRound = resolve));
      const n = waiting;
      waiting = 0;
      rounds.push(n);
      return 0;
    }, 60_000, () => undefined, 1_000);
    loop.start();
    await until(() => releaseRound !== null);
    waiting++;
    loop.notify();
    releaseRound!();
    await until(() => rounds.length === 1);
    // Notified during the round: the next one waits 1 s (a gather no pause of a loaded machine
    // outlasts), and what arrives meanwhile joins it.
    await new Promise((r) => setTimeout(r, 10));
    waiting++;
    loop.notify();
    waiting++;
    loop.notify();
    await until(() => rounds.length === 2, 5_000);
    expect(rounds).toEqual([1, 2]);
    await loop.stop();
  }, 10_000);

  it('stops at once while gathering', async () => {
    let rounds = 0;
    const loop = new PollingLoop(async () => {
      rounds++;
      return 0;
    }, 60_000, () => undefined, 60_000);
    loop.start();
    await until(() => rounds === 1);
    loop.notify();
    const started = Date.now();
    await loop.stop();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(rounds).toBe(1);
  });
});
