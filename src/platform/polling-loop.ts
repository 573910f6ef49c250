import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';

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

  constructor(
    private readonly round: () => Promise<number>,
    private readonly pollIntervalMs: number,
    private readonly onError: (error: unknown) => void,
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
      return;
    }
    const controller = new AbortController();
    this.wake = () => controller.abort();
    await sleep(this.pollIntervalMs, undefined, { signal: controller.signal }).catch(() => undefined);
    this.wake = null;
  }
}
