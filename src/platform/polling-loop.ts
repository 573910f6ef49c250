import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

/**
 * Runs `round` again and again: at once while it finds work, after `pollIntervalMs` when it finds
 * none, or as soon as `notify()` says work arrived (a notification during a round is remembered,
 * so the loop does not go to sleep on it).
 */
export class PollingLoop {
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private notifiedWhileBusy = false;

  /**
   * `gatherMs`: how long a notification (waking the sleeping loop, or arriving during a round
   * that found nothing) waits before the round, so that work arriving together (webhooks a
   * millisecond apart) is taken in one round. Each round
   * has a fixed cost (a claim, a commit), which at a steady trickle would otherwise be paid for
   * every single item. 0 (the default) starts the round at once.
   */
  constructor(
    private readonly round: () => Promise<number>,
    private readonly pollIntervalMs: number,
    private readonly onError: (error: unknown) => void,
    private readonly gatherMs = 0,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Resolves once the round in progress has finished. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  notify(): void {
    if (this.wake) this.wake();
    else this.notifiedWhileBusy = true;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let found = 0;
      try {
        found = await this.round();
      } catch (error) {
        // A database hiccup: the round's transaction rolled back; its work is found again.
        this.onError(error);
      }
      if (found === 0 && this.running) await this.idle();
      // better-sqlite3 answers every await at once, so without this a round that keeps finding
      // work would never let the event loop reach the HTTP server.
      else await yieldToEventLoop();
    }
  }

  private async idle(): Promise<void> {
    if (this.notifiedWhileBusy) {
      this.notifiedWhileBusy = false;
      // Told of work during the round: gather more as a wake-up would (a round per notification
      // is what gathering avoids), or at least let the event loop through: rounds that each find
      // nothing but are told of new work must not starve it either.
      if (this.gatherMs > 0) await this.sleep(this.gatherMs, () => !this.running);
      else await yieldToEventLoop();
      return;
    }
    const notified = await this.sleep(this.pollIntervalMs, () => true);
    // While gathering, a notification changes nothing (the round is about to run anyway); `stop()` cuts it short.
    if (notified && this.gatherMs > 0 && this.running) await this.sleep(this.gatherMs, () => !this.running);
  }

  /**
   * Waits `ms`, or until `wake()` is called and `endsSleep` agrees; answers whether a wake-up
   * ended it. A plain timer and callback: an aborted sleep would build an AbortError for every
   * wake-up, which at a thousand messages a second is a measurable share of the CPU.
   */
  private sleep(ms: number, endsSleep: () => boolean): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const done = (byWake: boolean) => {
        clearTimeout(timer);
        this.wake = null;
        resolve(byWake);
      };
      const timer = setTimeout(() => done(false), ms);
      this.wake = () => {
        if (endsSleep()) done(true);
      };
    });
  }
}
