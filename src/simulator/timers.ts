/**
 * Every timer the simulator starts goes through one of these registries, so that `close()` can
 * cancel them all (no webhook fires after a test ended) and `idle()` can wait for them.
 */
export type Timers = {
  /** Runs `fn` after `ms`; returns a function that cancels it. */
  after(ms: number, fn: () => void): () => void;
  /** Resolves `true` after `ms`, or `false` as soon as the registry is closed. */
  sleep(ms: number): Promise<boolean>;
  /** How many timers are waiting. */
  pending(): number;
  /** Resolves when no timer is waiting (immediately if none is). */
  idle(): Promise<void>;
  /** Cancels everything; later `after` calls are ignored and `sleep` resolves `false` at once. */
  close(): void;
};

export function createTimers(): Timers {
  const waiting = new Map<NodeJS.Timeout, () => void>();
  let idleWaiters: (() => void)[] = [];
  let closed = false;

  const settle = () => {
    if (waiting.size > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  const after = (ms: number, fn: () => void, onCancel: () => void = () => {}) => {
    if (closed) {
      onCancel();
      return () => {};
    }
    const handle = setTimeout(() => {
      waiting.delete(handle);
      try {
        fn();
      } finally {
        settle();
      }
    }, Math.max(0, ms));
    waiting.set(handle, onCancel);
    return () => {
      if (!waiting.has(handle)) return;
      clearTimeout(handle);
      waiting.delete(handle);
      onCancel();
      settle();
    };
  };

  return {
    after: (ms, fn) => after(ms, fn),
    sleep: (ms) => new Promise<boolean>((resolve) => after(ms, () => resolve(true), () => resolve(false))),
    pending: () => waiting.size,
    idle: () => (waiting.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve))),
    close: () => {
      closed = true;
      for (const [handle, onCancel] of waiting) {
        clearTimeout(handle);
        onCancel();
      }
      waiting.clear();
      settle();
    },
  };
}
