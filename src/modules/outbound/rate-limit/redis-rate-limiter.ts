import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { Clock } from '../../../platform/clock.js';
import { assertValidWindow, type SlidingWindowConfig } from '../core/sliding-window.js';
import { assertValidTake, type TokenBucketConfig } from '../core/token-bucket.js';
import type { RateLimiter, Reservation, WindowLimiter, WindowReservation } from './rate-limiter.js';

/** Lua that sets `now` (ms) from ARGV[arg], or from the Redis server's clock when that is ''. */
function luaNow(arg: number): string {
  return `local now
if ARGV[${arg}] == '' then
  -- Redis < 5 refuses a write after a non-deterministic command unless effects are replicated.
  if redis.replicate_commands then redis.replicate_commands() end
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
else
  now = tonumber(ARGV[${arg}])
end`;
}

/*
 * Why a Lua script and not rate-limiter-flexible's RateLimiterRedis: its Redis store is a fixed
 * window (`SET key 0 EX duration NX` + `INCRBY`, reset when the key expires), with `duration` in
 * whole seconds. A fixed window of `mps` points admits `mps` at the end of one window and `mps`
 * more at the start of the next, i.e. 2·mps within a few ms, so it cannot give "never more than
 * mps in any 1-second window" without halving throughput; and "45 at once, then one per 6 s" is
 * not a fixed window at all (45 points per 270 s would allow 90 in a moment across a boundary,
 * 10 per 60 s would forbid the burst). Its BurstyRateLimiter stacks two fixed windows and has the
 * same boundary effect. So the store runs the same token bucket as `core/token-bucket.ts`, in one
 * Lua script: Redis runs a script atomically, so check-and-consume needs no WATCH/MULTI retry
 * loop and two hundred concurrent reservations cannot over-admit. One key per script keeps it
 * valid on Redis Cluster.
 *
 * The arithmetic mirrors `refill` / `take` / `msUntilTokens` expression by expression (Lua numbers
 * are IEEE doubles too), and the integration suite checks the two agree on random timelines.
 *
 * Time: by default the script reads the Redis server's clock (TIME), so every process sharing a
 * bucket uses one clock and skew between app hosts cannot mint tokens. Tests may inject a Clock.
 */
const TOKEN_BUCKET_LUA = `
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local count = tonumber(ARGV[3])
${luaNow(4)}

local stored = redis.call('HMGET', KEYS[1], 'tokens', 'updatedAt')
local tokens, updatedAt
if stored[1] and stored[2] then
  tokens = tonumber(stored[1])
  updatedAt = tonumber(stored[2])
else
  -- A missing (or expired) key is a full bucket.
  tokens = capacity
  updatedAt = now
end

-- refill(): continuous; an earlier 'now' (skew) adds nothing and keeps updatedAt.
local function refill(at)
  if at > updatedAt then
    return math.min(capacity, tokens + ((at - updatedAt) * rate) / 1000), at
  end
  return math.min(capacity, tokens), updatedAt
end

-- msUntilTokens(): exact whole ms until 'target' tokens, nudged against refill() itself.
local function msUntilTokens(target)
  local current, currentAt = refill(now)
  if current >= target then return 0 end
  local skew = math.max(0, currentAt - now)
  local wait = math.max(1, math.ceil(skew + ((target - current) * 1000) / rate))
  local step = 0
  while step < 16 and wait > 1 and refill(now + wait - 1) >= target do
    wait = wait - 1
    step = step + 1
  end
  step = 0
  while step < 16 and refill(now + wait) < target do
    wait = wait + 1
    step = step + 1
  end
  return wait
end

local current, currentAt = refill(now)
if current >= count then
  tokens = current - count
  updatedAt = currentAt
  -- Numbers must be passed as numbers, not through tostring(): Redis converts a Lua number
  -- argument with round-trip precision, tostring() keeps only 14 digits and the bucket would drift.
  redis.call('HSET', KEYS[1], 'tokens', tokens, 'updatedAt', updatedAt)
  -- Expire when the bucket is full again: from then on a missing key means the same thing.
  -- The extra second covers rounding; it costs nothing.
  redis.call('PEXPIRE', KEYS[1], msUntilTokens(capacity) + 1000)
  return {1, 0}
end
-- A refusal writes nothing.
return {0, msUntilTokens(count)}
`;

/*
 * The sliding window of core/sliding-window.ts on a sorted set: a send in flight is the member
 * `h:<ticket>` scored with the time its hold lapses, an answered one `a:<ticket>` scored with its
 * answer time. Every member scored after now − windowMs counts. A full window (n ≥ limit counted)
 * waits until its limit-th highest score, capped at now (a send in flight may be answered at
 * once), is a window old: `nthLatestExpiry` of the core. ARGV: now ('' for the server's clock),
 * limit, windowMs, maxHoldMs, ticket. Mirrors `admit`; the integration suite checks the two agree
 * on random timelines.
 */
const WINDOW_ADMIT_LUA = `
${luaNow(1)}
local limit = tonumber(ARGV[2])
local windowMs = tonumber(ARGV[3])
local maxHoldMs = tonumber(ARGV[4])

-- Answers older than the window and holds that lapsed before it no longer count.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - windowMs)
local counted = redis.call('ZCARD', KEYS[1])
if counted >= limit then
  -- A refusal writes nothing (the members removed above counted for nothing already).
  local kth = redis.call('ZRANGE', KEYS[1], counted - limit, counted - limit, 'WITHSCORES')
  local wait = math.min(tonumber(kth[2]), now) + windowMs - now
  return {0, math.max(1, math.ceil(wait))}
end
-- A number, not tostring(): Redis keeps its full precision.
redis.call('ZADD', KEYS[1], now + maxHoldMs, 'h:' .. ARGV[5])
-- Once the hold has lapsed and its window passed, the set limits nothing: a missing key means the same.
redis.call('PEXPIRE', KEYS[1], math.ceil(maxHoldMs + windowMs) + 1000)
return {1, 0}
`;

/*
 * Mirrors `release`: a held ticket becomes an answer at now; one not held, or whose hold lapsed
 * before now, changes nothing. ARGV: now, windowMs, ticket.
 */
const WINDOW_RELEASE_LUA = `
${luaNow(1)}
local windowMs = tonumber(ARGV[2])
local heldUntil = redis.call('ZSCORE', KEYS[1], 'h:' .. ARGV[3])
if heldUntil and tonumber(heldUntil) >= now then
  redis.call('ZREM', KEYS[1], 'h:' .. ARGV[3])
  redis.call('ZADD', KEYS[1], now, 'a:' .. ARGV[3])
  -- The answer counts windowMs from now: the key must outlive it.
  if redis.call('PTTL', KEYS[1]) < windowMs + 1000 then redis.call('PEXPIRE', KEYS[1], math.ceil(windowMs) + 1000) end
end
return 1
`;

const COMMAND = 'switchboardTokenBucket';
const WINDOW_ADMIT = 'switchboardWindowAdmit';
const WINDOW_RELEASE = 'switchboardWindowRelease';

/** The shape ioredis gives the window commands: key, then ARGV. */
type WindowCommand = (key: string, ...args: string[]) => Promise<[number, number] | number>;

/** The shape ioredis gives a command added with `defineCommand`. */
type TokenBucketCommand = (
  key: string,
  capacity: string,
  refillPerSecond: string,
  count: string,
  now: string,
) => Promise<[number, number]>;

export type RedisRateLimiterOptions = {
  /** Namespace for every key; default `switchboard:rl:`. */
  keyPrefix?: string;
  /**
   * Only for tests. In production leave it out: the Redis server's clock is then the single time
   * source for every process. (Key TTLs still run on the server clock, so a test clock that runs
   * slower than real time could see a bucket expire, i.e. refill, early.)
   */
  clock?: Clock;
};

export const DEFAULT_RATE_LIMIT_KEY_PREFIX = 'switchboard:rl:';

/**
 * Token buckets and sliding windows shared through Redis by every process. Redis errors reject the promise: the job
 * fails and is retried by the queue, rather than sending unthrottled (fail-closed).
 */
export class RedisRateLimiter implements RateLimiter, WindowLimiter {
  private readonly keyPrefix: string;
  private readonly clock: Clock | undefined;

  constructor(
    private readonly redis: Redis | Cluster,
    options: RedisRateLimiterOptions = {},
  ) {
    this.keyPrefix = options.keyPrefix ?? DEFAULT_RATE_LIMIT_KEY_PREFIX;
    this.clock = options.clock;
    // defineCommand sends EVALSHA and falls back to EVAL on NOSCRIPT (after a Redis restart or
    // failover), so the script is not resent on every call. Redefining on a shared client is harmless.
    redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: TOKEN_BUCKET_LUA });
    redis.defineCommand(WINDOW_ADMIT, { numberOfKeys: 1, lua: WINDOW_ADMIT_LUA });
    redis.defineCommand(WINDOW_RELEASE, { numberOfKeys: 1, lua: WINDOW_RELEASE_LUA });
  }

  async reserve(key: string, config: TokenBucketConfig, count = 1): Promise<Reservation> {
    // Same validation as the pure core, before the round trip, so both limiters fail alike.
    assertValidTake(config, count);
    const command = (this.redis as unknown as Record<typeof COMMAND, TokenBucketCommand>)[COMMAND];
    // String(number) is the shortest string that parses back to the same double, so Lua's
    // tonumber sees exactly the values the core would (1/6 included).
    const [ok, retryAfterMs] = await command.call(
      this.redis,
      this.keyPrefix + key,
      String(config.capacity),
      String(config.refillPerSecond),
      String(count),
      this.nowArg(),
    );
    return ok === 1 ? { ok: true } : { ok: false, retryAfterMs };
  }

  async reserveInWindow(key: string, config: SlidingWindowConfig): Promise<WindowReservation> {
    assertValidWindow(config);
    const redisKey = this.keyPrefix + key;
    const ticket = randomUUID();
    const [ok, retryAfterMs] = (await this.windowCommand(WINDOW_ADMIT).call(
      this.redis,
      redisKey,
      this.nowArg(),
      String(config.limit),
      String(config.windowMs),
      String(config.maxHoldMs),
      ticket,
    )) as [number, number];
    if (ok !== 1) return { ok: false, retryAfterMs };
    return {
      ok: true,
      release: async () => {
        await this.windowCommand(WINDOW_RELEASE).call(this.redis, redisKey, this.nowArg(), String(config.windowMs), ticket);
      },
    };
  }

  private windowCommand(name: typeof WINDOW_ADMIT | typeof WINDOW_RELEASE): WindowCommand {
    return (this.redis as unknown as Record<typeof name, WindowCommand>)[name];
  }

  /** The injected clock's time for a script, or '' for the Redis server's clock. */
  private nowArg(): string {
    if (!this.clock) return '';
    const now = this.clock.now();
    if (!Number.isFinite(now)) throw new RangeError(`clock returned ${now}`);
    return String(now);
  }
}
