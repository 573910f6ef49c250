import type { Cluster, Redis } from 'ioredis';
import type { Clock } from '../../../platform/clock.js';
import { assertValidWindows, logLength, logLifetimeMs, type SlidingWindowConfig } from '../core/sliding-window.js';
import { assertValidTake, type TokenBucketConfig } from '../core/token-bucket.js';
import type { RateLimiter, Reservation, WindowLimiter } from './rate-limiter.js';

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
 * The sliding-window log of core/sliding-window.ts on a Redis list, newest first: the k-th most
 * recent admission is LINDEX k − 1. ARGV: now ('' for the server's clock), the log's length and
 * lifetime, then (limit, windowMs) pairs. Mirrors `admit` (`admissionWait`, `retryAfterMs`,
 * `admissionTime`); the integration suite checks the two agree on random timelines.
 */
const SLIDING_WINDOW_LUA = `
${luaNow(1)}
local length = tonumber(ARGV[2])
local lifetime = tonumber(ARGV[3])

-- admissionWait()
local wait = 0
for i = 4, #ARGV, 2 do
  local kth = redis.call('LINDEX', KEYS[1], tonumber(ARGV[i]) - 1)
  if kth then wait = math.max(wait, tonumber(kth) + tonumber(ARGV[i + 1]) - now) end
end
-- A refusal writes nothing. retryAfterMs()
if wait > 0 then return {0, math.max(1, math.ceil(wait))} end

-- admissionTime(): never before the newest, so the list stays in order.
local at = now
local newest = redis.call('LINDEX', KEYS[1], 0)
if newest and tonumber(newest) > at then at = tonumber(newest) end
-- A number, not tostring(at): Redis keeps its full precision.
redis.call('LPUSH', KEYS[1], at)
redis.call('LTRIM', KEYS[1], 0, length - 1)
-- Once the longest window has passed the log limits nothing: a missing key means the same.
redis.call('PEXPIRE', KEYS[1], math.ceil(at + lifetime - now) + 1000)
return {1, 0}
`;

const COMMAND = 'switchboardTokenBucket';
const WINDOW_COMMAND = 'switchboardSlidingWindow';

/** The shape ioredis gives the sliding-window command: key, then ARGV. */
type SlidingWindowCommand = (key: string, ...args: string[]) => Promise<[number, number]>;

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
 * Token buckets and sliding-window logs shared through Redis by every process. Redis errors reject the promise: the job
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
    redis.defineCommand(WINDOW_COMMAND, { numberOfKeys: 1, lua: SLIDING_WINDOW_LUA });
  }

  async reserve(key: string, config: TokenBucketConfig, count = 1): Promise<Reservation> {
    // Same validation as the pure core, before the round trip, so both limiters fail alike.
    assertValidTake(config, count);
    const now = this.clock ? this.clock.now() : undefined;
    if (now !== undefined && !Number.isFinite(now)) throw new RangeError(`clock returned ${now}`);
    const command = (this.redis as unknown as Record<typeof COMMAND, TokenBucketCommand>)[COMMAND];
    // String(number) is the shortest string that parses back to the same double, so Lua's
    // tonumber sees exactly the values the core would (1/6 included).
    const [ok, retryAfterMs] = await command.call(
      this.redis,
      this.keyPrefix + key,
      String(config.capacity),
      String(config.refillPerSecond),
      String(count),
      now === undefined ? '' : String(now),
    );
    return ok === 1 ? { ok: true } : { ok: false, retryAfterMs };
  }

  async reserveInWindow(key: string, config: SlidingWindowConfig): Promise<Reservation> {
    assertValidWindows(config);
    const now = this.clock ? this.clock.now() : undefined;
    if (now !== undefined && !Number.isFinite(now)) throw new RangeError(`clock returned ${now}`);
    const command = (this.redis as unknown as Record<typeof WINDOW_COMMAND, SlidingWindowCommand>)[WINDOW_COMMAND];
    const windows = config.windows.flatMap((w) => [String(w.limit), String(w.windowMs)]);
    const [ok, retryAfterMs] = await command.call(
      this.redis,
      this.keyPrefix + key,
      now === undefined ? '' : String(now),
      String(logLength(config)),
      String(logLifetimeMs(config)),
      ...windows,
    );
    return ok === 1 ? { ok: true } : { ok: false, retryAfterMs };
  }
}
