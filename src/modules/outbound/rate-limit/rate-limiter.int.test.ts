import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../platform/clock.js';
import { PAIR_LIMIT } from '../core/pair-limit.js';
import { admit, release, stateFor, type SlidingWindowConfig, type WindowState } from '../core/sliding-window.js';
import { fullBucket, take, type TokenBucketConfig, type TokenBucketState } from '../core/token-bucket.js';
import { MemoryRateLimiter } from './memory-rate-limiter.js';
import type { RateLimiter, WindowLimiter, WindowReservation } from './rate-limiter.js';
import { DEFAULT_RATE_LIMIT_KEY_PREFIX, RedisRateLimiter } from './redis-rate-limiter.js';

const T0 = 1_700_000_000_000;

/*
 * One contract suite, run against every RateLimiter adapter (CONVENTIONS §3), in one file: a
 * separate helper module would not match `*.test.ts` and would be compiled into dist with its
 * vitest import.
 */

/**
 * Builds a limiter on a store whose clock is `clock`. Keys from different calls may share a
 * store; the suite uses a new key per test.
 */
type Limiter = RateLimiter & WindowLimiter;
type LimiterFactory = (clock: ManualClock) => Limiter | Promise<Limiter>;

let keySeq = 0;
const freshKey = (label: string): string => `contract:${label}:${++keySeq}`;

/** The behaviour every RateLimiter adapter must have. */
function describeRateLimiterContract(name: string, makeLimiter: LimiterFactory): void {
  describe(`${name} (RateLimiter contract)`, () => {
    const setup = async () => {
      const clock = new ManualClock(T0);
      return { clock, limiter: await makeLimiter(clock) };
    };

    it('admits up to the capacity, then reports the exact retryAfterMs', async () => {
      const { clock, limiter } = await setup();
      const key = freshKey('limit');
      const config = { capacity: 5, refillPerSecond: 2 };
      for (let i = 0; i < 5; i++) expect(await limiter.reserve(key, config)).toEqual({ ok: true });
      expect(await limiter.reserve(key, config)).toEqual({ ok: false, retryAfterMs: 500 });
      clock.advance(499);
      expect(await limiter.reserve(key, config)).toEqual({ ok: false, retryAfterMs: 1 });
      clock.advance(1);
      expect(await limiter.reserve(key, config)).toEqual({ ok: true });
    });

    it('lets a burst of 45 to one recipient through, then the 46th waits 6 s', async () => {
      const { clock, limiter } = await setup();
      const key = freshKey('pair');
      for (let i = 0; i < 45; i++) expect((await limiter.reserve(key, PAIR_LIMIT)).ok).toBe(true);
      expect(await limiter.reserve(key, PAIR_LIMIT)).toEqual({ ok: false, retryAfterMs: 6000 });
      clock.advance(6000);
      expect(await limiter.reserve(key, PAIR_LIMIT)).toEqual({ ok: true });
    });

    it('does not consume anything when it refuses', async () => {
      const { clock, limiter } = await setup();
      const key = freshKey('refusal');
      const config = { capacity: 2, refillPerSecond: 1 };
      expect(await limiter.reserve(key, config, 2)).toEqual({ ok: true });
      for (let i = 0; i < 10; i++) expect((await limiter.reserve(key, config)).ok).toBe(false);
      clock.advance(1000);
      expect(await limiter.reserve(key, config)).toEqual({ ok: true });
    });

    it('reserves several tokens at once, and rejects a count larger than the bucket', async () => {
      const { limiter } = await setup();
      const key = freshKey('count');
      const config = { capacity: 10, refillPerSecond: 1 };
      expect(await limiter.reserve(key, config, 7)).toEqual({ ok: true });
      expect(await limiter.reserve(key, config, 4)).toEqual({ ok: false, retryAfterMs: 1000 });
      expect(await limiter.reserve(key, config, 3)).toEqual({ ok: true });
      await expect(limiter.reserve(key, config, 11)).rejects.toThrow(RangeError);
      await expect(limiter.reserve(key, config, 0)).rejects.toThrow(RangeError);
      await expect(limiter.reserve(key, { capacity: 1, refillPerSecond: 0 })).rejects.toThrow(RangeError);
    });

    it('keeps separate budgets for separate keys', async () => {
      const { limiter } = await setup();
      const a = freshKey('a');
      const b = freshKey('b');
      const config = { capacity: 1, refillPerSecond: 1 };
      expect(await limiter.reserve(a, config)).toEqual({ ok: true });
      expect((await limiter.reserve(a, config)).ok).toBe(false);
      expect(await limiter.reserve(b, config)).toEqual({ ok: true });
    });

    it('never over-admits 200 concurrent reservations', async () => {
      const { limiter } = await setup();
      const key = freshKey('concurrent');
      const config = { capacity: 50, refillPerSecond: 1 };
      const results = await Promise.all(Array.from({ length: 200 }, () => limiter.reserve(key, config)));
      expect(results.filter((r) => r.ok)).toHaveLength(50);
      for (const r of results) if (!r.ok) expect(r.retryAfterMs).toBeGreaterThanOrEqual(1);
    });

    it('mints nothing when the clock goes backwards', async () => {
      const { clock, limiter } = await setup();
      const key = freshKey('skew');
      const config = { capacity: 2, refillPerSecond: 1 };
      expect(await limiter.reserve(key, config, 2)).toEqual({ ok: true });
      clock.set(T0 - 60_000);
      // Still T0's state: empty, and nothing refills until the clock is back past T0.
      expect(await limiter.reserve(key, config)).toEqual({ ok: false, retryAfterMs: 61_000 });
      clock.set(T0 + 999);
      expect((await limiter.reserve(key, config)).ok).toBe(false);
      clock.set(T0 + 1000);
      expect(await limiter.reserve(key, config)).toEqual({ ok: true });
    });

    it('answers exactly as the pure token bucket does, on random timelines', async () => {
      const configArb: fc.Arbitrary<TokenBucketConfig> = fc.oneof(
        fc.constant(PAIR_LIMIT),
        fc.constant({ capacity: 9, refillPerSecond: 72 }),
        fc.record({ capacity: fc.integer({ min: 1, max: 20 }), refillPerSecond: fc.constantFrom(1 / 6, 0.5, 3, 80, 1000) }),
      );
      const stepsArb = fc.array(
        fc.record({ delayMs: fc.oneof(fc.integer({ min: -100, max: 40 }), fc.integer({ min: 0, max: 10_000 })), count: fc.integer({ min: 1, max: 20 }) }),
        { minLength: 1, maxLength: 40 },
      );
      const { clock, limiter } = await setup();
      await fc.assert(
        fc.asyncProperty(configArb, stepsArb, async (config, steps) => {
          const key = freshKey('model');
          clock.set(T0);
          // A store creates the bucket, full, at the time of the key's first reservation.
          let model: TokenBucketState | undefined;
          for (const step of steps) {
            clock.advance(step.delayMs);
            const count = 1 + ((step.count - 1) % config.capacity);
            model ??= fullBucket(config, clock.now());
            const expected = take(model, config, clock.now(), count);
            model = expected.state;
            const actual = await limiter.reserve(key, config, count);
            expect(actual).toEqual(expected.ok ? { ok: true } : { ok: false, retryAfterMs: expected.retryAfterMs });
          }
        }),
        { numRuns: 100 },
      );
    });
  });
}

/** A reservation as plain data, so that answers compare with toEqual. */
const outcomeOf = (reservation: WindowReservation) => (reservation.ok ? { ok: true } : reservation);

/** Reserves a place that must be given; returns its release. */
async function admitted(limiter: WindowLimiter, key: string, config: SlidingWindowConfig): Promise<() => Promise<void>> {
  const reservation = await limiter.reserveInWindow(key, config);
  if (!reservation.ok) throw new Error(`expected a place in ${key}, was told to wait ${reservation.retryAfterMs} ms`);
  return reservation.release;
}

/** The behaviour every WindowLimiter adapter must have (a number's throughput). */
function describeWindowLimiterContract(name: string, makeLimiter: LimiterFactory): void {
  describe(`${name} (WindowLimiter contract)`, () => {
    const setup = async () => {
      const clock = new ManualClock(T0);
      return { clock, limiter: await makeLimiter(clock) };
    };
    const perSecond: SlidingWindowConfig = { limit: 3, windowMs: 1000, maxHoldMs: 5000 };

    it('admits the limit, then reports exactly when the oldest answer leaves the window', async () => {
      const { clock, limiter } = await setup();
      const key = freshKey('window');
      const releases = [await admitted(limiter, key, perSecond), await admitted(limiter, key, perSecond), await admitted(limiter, key, perSecond)];
      clock.advance(100);
      for (const release of releases) await release();
      clock.advance(150);
      expect(outcomeOf(await limiter.reserveInWindow(key, perSecond))).toEqual({ ok: false, retryAfterMs: 850 });
      clock.advance(849.5);
      expect(outcomeOf(await limiter.reserveInWindow(key, perSecond))).toEqual({ ok: false, retryAfterMs: 1 });
      clock.advance(0.5);
      expect(outcomeOf(await limiter.reserveInWindow(key, perSecond))).toEqual({ ok: true });
    });

    it('counts a send in flight until a window after its answer', async () => {
      const { clock, limiter } = await setup();
      const key = freshKey('window-in-flight');
      const config = { limit: 2, windowMs: 1000, maxHoldMs: 60_000 };
      const first = await admitted(limiter, key, config);
      await admitted(limiter, key, config);
      clock.advance(3000);
      expect(outcomeOf(await limiter.reserveInWindow(key, config))).toEqual({ ok: false, retryAfterMs: 1000 });
      await first();
      clock.advance(10);
      expect(outcomeOf(await limiter.reserveInWindow(key, config))).toEqual({ ok: false, retryAfterMs: 990 });
      clock.advance(990);
      expect(outcomeOf(await limiter.reserveInWindow(key, config))).toEqual({ ok: true });
    });

    it('lets a send never released lapse after maxHoldMs, and a second release change nothing', async () => {
      const { clock, limiter } = await setup();
      const key = freshKey('window-lapse');
      const config = { limit: 2, windowMs: 1000, maxHoldMs: 100 };
      await admitted(limiter, key, config);
      const twice = await admitted(limiter, key, config);
      clock.advance(20);
      await twice();
      clock.advance(480);
      await twice();
      // The lapsed hold frees its place a window after T0 + 100, the answer a window after T0 + 20 (not T0 + 500).
      expect(outcomeOf(await limiter.reserveInWindow(key, config))).toEqual({ ok: false, retryAfterMs: 520 });
      clock.advance(520);
      expect(outcomeOf(await limiter.reserveInWindow(key, config))).toEqual({ ok: true });
      expect(outcomeOf(await limiter.reserveInWindow(key, config))).toEqual({ ok: false, retryAfterMs: 80 });
    });

    it('counts a send whose hold lapsed as answered when it lapsed, even if it is released later', async () => {
      const { clock, limiter } = await setup();
      const key = freshKey('window-late-release');
      const config = { limit: 1, windowMs: 1000, maxHoldMs: 100 };
      const late = await admitted(limiter, key, config);
      clock.advance(500);
      await late();
      // Released at T0 + 500, it would count until T0 + 1500; lapsed at T0 + 100, it counts until T0 + 1100.
      clock.advance(599);
      expect(outcomeOf(await limiter.reserveInWindow(key, config))).toEqual({ ok: false, retryAfterMs: 1 });
      clock.advance(1);
      expect(outcomeOf(await limiter.reserveInWindow(key, config))).toEqual({ ok: true });
    });

    it('holds nothing when it refuses', async () => {
      const { clock, limiter } = await setup();
      const key = freshKey('window-refusal');
      const config = { limit: 1, windowMs: 100, maxHoldMs: 1000 };
      const release = await admitted(limiter, key, config);
      await release();
      for (let i = 0; i < 10; i++) {
        clock.advance(5);
        expect((await limiter.reserveInWindow(key, config)).ok).toBe(false);
      }
      clock.advance(50);
      expect(outcomeOf(await limiter.reserveInWindow(key, config))).toEqual({ ok: true });
    });

    it('never over-admits 200 concurrent reservations', async () => {
      const { limiter } = await setup();
      const key = freshKey('window-concurrent');
      const config = { limit: 50, windowMs: 1000, maxHoldMs: 5000 };
      const results = await Promise.all(Array.from({ length: 200 }, () => limiter.reserveInWindow(key, config)));
      expect(results.filter((r) => r.ok)).toHaveLength(50);
      // All 50 in flight: none can free a place sooner than a window from now.
      for (const r of results) if (!r.ok) expect(r.retryAfterMs).toBe(1000);
    });

    it('mints nothing when the clock goes backwards', async () => {
      const { clock, limiter } = await setup();
      const key = freshKey('window-skew');
      const config = { limit: 2, windowMs: 1000, maxHoldMs: 5000 };
      for (let i = 0; i < 2; i++) await (await admitted(limiter, key, config))();
      clock.set(T0 - 60_000);
      expect(outcomeOf(await limiter.reserveInWindow(key, config))).toEqual({ ok: false, retryAfterMs: 1000 });
      clock.set(T0 + 999);
      expect(outcomeOf(await limiter.reserveInWindow(key, config))).toEqual({ ok: false, retryAfterMs: 1 });
      clock.set(T0 + 1000);
      expect(outcomeOf(await limiter.reserveInWindow(key, config))).toEqual({ ok: true });
    });

    it('rejects a window that could never admit', async () => {
      const { limiter } = await setup();
      await expect(limiter.reserveInWindow(freshKey('bad'), { limit: 0, windowMs: 1000, maxHoldMs: 1000 })).rejects.toThrow(RangeError);
      await expect(limiter.reserveInWindow(freshKey('bad'), { limit: 1, windowMs: 1000, maxHoldMs: 0 })).rejects.toThrow(RangeError);
    });

    it('answers exactly as the pure window does, on random timelines of sends, answers and changing limits', async () => {
      // A key's window and hold stay the same (a number's second, the sender's lease); its limit
      // changes with the number's throughput.
      const configsArb: fc.Arbitrary<SlidingWindowConfig[]> = fc
        .record({ windowMs: fc.constantFrom(10, 25.5, 1000), maxHoldMs: fc.constantFrom(5, 50, 3000), limits: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 3, maxLength: 3 }) })
        .map(({ windowMs, maxHoldMs, limits }) => limits.map((limit) => ({ limit, windowMs, maxHoldMs })));
      const delayArb = fc.oneof(fc.double({ min: 0, max: 3, noNaN: true }), fc.integer({ min: 0, max: 1200 }));
      const stepsArb = fc.array(
        fc.oneof(
          fc.record({ delayMs: delayArb, reserve: fc.nat(2) }),
          fc.record({ delayMs: delayArb, answer: fc.nat() }),
        ),
        { minLength: 1, maxLength: 60 },
      );
      const { clock, limiter } = await setup();
      await fc.assert(
        fc.asyncProperty(configsArb, stepsArb, async (configs, steps) => {
          const key = freshKey('window-model');
          clock.set(T0);
          let model: WindowState | undefined;
          const inFlight: { ticket: string; release: () => Promise<void> }[] = [];
          for (const [index, step] of steps.entries()) {
            clock.advance(step.delayMs);
            if ('answer' in step) {
              if (inFlight.length === 0) continue;
              const [send] = inFlight.splice(step.answer % inFlight.length, 1);
              if (model) release(model, send!.ticket, clock.now());
              await send!.release();
              continue;
            }
            const config = configs[step.reserve]!;
            // A store keeps a window at its new limit only once a send is admitted to it.
            const state = stateFor(config, model);
            const ticket = String(index);
            const expected = admit(state, config, clock.now(), ticket);
            const actual = await limiter.reserveInWindow(key, config);
            expect(outcomeOf(actual)).toEqual(expected);
            if (expected.ok && actual.ok) {
              model = state;
              inFlight.push({ ticket, release: actual.release });
            }
          }
        }),
        { numRuns: 100 },
      );
    });
  });
}

describeRateLimiterContract('MemoryRateLimiter', (clock) => new MemoryRateLimiter(clock));
describeWindowLimiterContract('MemoryRateLimiter', (clock) => new MemoryRateLimiter(clock));

// Redis runs at 127.0.0.1:6379 locally and in CI; SWITCHBOARD_TEST_SKIP_REDIS=1 skips it on purpose.
// Any other failure to connect fails the suite rather than silently skipping it.
const skipRedis = process.env.SWITCHBOARD_TEST_SKIP_REDIS === '1';
const redisUrl = process.env.SWITCHBOARD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe.skipIf(skipRedis)('RedisRateLimiter', () => {
  // Every key this run writes lives under one unique prefix, deleted afterwards, so concurrent
  // runs (and a developer's own data) are never touched.
  const runPrefix = `${DEFAULT_RATE_LIMIT_KEY_PREFIX}test:${randomUUID()}:`;
  const clients: Redis[] = [];
  let redis: Redis;

  async function connect(): Promise<Redis> {
    // No reconnect loop and one attempt per command: an absent Redis fails fast and clearly.
    const client = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
    clients.push(client);
    try {
      await client.connect();
    } catch (error) {
      throw new Error(`Redis is not reachable at ${redisUrl} (set SWITCHBOARD_TEST_SKIP_REDIS=1 to skip): ${String(error)}`);
    }
    return client;
  }

  beforeAll(async () => {
    redis = await connect();
  });

  afterAll(async () => {
    if (redis?.status === 'ready') {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${runPrefix}*`, 'COUNT', 1000);
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
    await Promise.all(clients.map((c) => c.quit().catch(() => undefined)));
  });

  describeRateLimiterContract('RedisRateLimiter', (clock) => new RedisRateLimiter(redis, { keyPrefix: runPrefix, clock }));
  describeWindowLimiterContract('RedisRateLimiter', (clock) => new RedisRateLimiter(redis, { keyPrefix: runPrefix, clock }));

  // From here on no clock is injected: the limiter reads the Redis server's clock, as in production.
  // A refill of one token per 1,000 s keeps real time passing during the test from mattering.
  const slow = { capacity: 10, refillPerSecond: 0.001 };

  it('admits up to the limit then reports retryAfterMs, on the Redis server clock', async () => {
    const limiter = new RedisRateLimiter(redis, { keyPrefix: runPrefix });
    for (let i = 0; i < 10; i++) expect(await limiter.reserve('server-clock', slow)).toEqual({ ok: true });
    const refused = await limiter.reserve('server-clock', slow);
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.retryAfterMs).toBeGreaterThan(990_000);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(1_000_000);
    }
  });

  it('two limiter instances on separate connections share one budget, like two processes', async () => {
    const a = new RedisRateLimiter(await connect(), { keyPrefix: runPrefix });
    const b = new RedisRateLimiter(await connect(), { keyPrefix: runPrefix });
    for (let i = 0; i < 6; i++) expect(await a.reserve('shared', slow)).toEqual({ ok: true });
    for (let i = 0; i < 4; i++) expect(await b.reserve('shared', slow)).toEqual({ ok: true });
    expect((await a.reserve('shared', slow)).ok).toBe(false);
    expect((await b.reserve('shared', slow)).ok).toBe(false);
  });

  it('never over-admits 200 concurrent reservations split across two processes', async () => {
    const a = new RedisRateLimiter(await connect(), { keyPrefix: runPrefix });
    const b = new RedisRateLimiter(await connect(), { keyPrefix: runPrefix });
    const config = { capacity: 50, refillPerSecond: 0.001 };
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b).reserve('concurrent-processes', config)),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(50);
  });

  it('namespaces keys and expires them once the bucket would be full again', async () => {
    const limiter = new RedisRateLimiter(redis, { keyPrefix: runPrefix });
    expect(await limiter.reserve('ttl', { capacity: 3, refillPerSecond: 1 }, 2)).toEqual({ ok: true });
    expect(await redis.exists('ttl')).toBe(0);
    const ttl = await redis.pttl(`${runPrefix}ttl`);
    // Full again in 2 s, plus the script's 1 s of margin.
    expect(ttl).toBeGreaterThan(2000);
    expect(ttl).toBeLessThanOrEqual(3000);
  });

  it('uses switchboard:rl: as the default namespace', async () => {
    const limiter = new RedisRateLimiter(redis);
    // The key still falls under this run's prefix, so the clean-up removes it.
    const key = `${runPrefix.slice(DEFAULT_RATE_LIMIT_KEY_PREFIX.length)}default-prefix`;
    expect(await limiter.reserve(key, slow)).toEqual({ ok: true });
    expect(await redis.exists(`switchboard:rl:${key}`)).toBe(1);
  });

  it('stores token counts at full double precision, so the Lua side never drifts from the core', async () => {
    const clock = new ManualClock(T0);
    const limiter = new RedisRateLimiter(redis, { keyPrefix: runPrefix, clock });
    await limiter.reserve('precision', PAIR_LIMIT);
    clock.advance(1);
    await limiter.reserve('precision', PAIR_LIMIT);
    // 43 + 1/6000 needs 17 significant digits; Lua's tostring() would keep 14.
    let model = take(fullBucket(PAIR_LIMIT, T0), PAIR_LIMIT, T0).state;
    model = take(model, PAIR_LIMIT, T0 + 1).state;
    expect(Number(await redis.hget(`${runPrefix}precision`, 'tokens'))).toBe(model.tokens);
  });

  it('writes nothing when it refuses', async () => {
    const limiter = new RedisRateLimiter(redis, { keyPrefix: runPrefix });
    const config = { capacity: 1, refillPerSecond: 0.001 };
    expect(await limiter.reserve('refusal-write', config)).toEqual({ ok: true });
    const before = await redis.hgetall(`${runPrefix}refusal-write`);
    expect((await limiter.reserve('refusal-write', config)).ok).toBe(false);
    expect(await redis.hgetall(`${runPrefix}refusal-write`)).toEqual(before);
  });

  it('paces a window on the Redis server clock, shared by two processes, and expires the set once the last hold and its window have passed', async () => {
    const a = new RedisRateLimiter(await connect(), { keyPrefix: runPrefix });
    const b = new RedisRateLimiter(await connect(), { keyPrefix: runPrefix });
    const config = { limit: 5, windowMs: 60_000, maxHoldMs: 20_000 };
    const releases: (() => Promise<void>)[] = [];
    for (let i = 0; i < 3; i++) releases.push(await admitted(a, 'window-server-clock', config));
    for (let i = 0; i < 2; i++) releases.push(await admitted(b, 'window-server-clock', config));
    const key = `${runPrefix}window-server-clock`;
    expect(await redis.zcard(key)).toBe(5);
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(75_000);
    expect(ttl).toBeLessThanOrEqual(81_000);
    // All five answered: each place is now held a window from its answer, on the server's clock.
    for (const release of releases) await release();
    const refused = await b.reserveInWindow('window-server-clock', config);
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.retryAfterMs).toBeGreaterThan(55_000);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(60_000);
    }
    expect((await redis.zrange(key, '0', '-1')).every((member) => member.startsWith('a:'))).toBe(true);
  });
});
