import type { DbExecutor } from '../../db/database.js';
import type { IdGenerator } from '../../platform/ids.js';

export type ThrottlePolicy = { maxFailures: number; windowMs: number };

/**
 * Failed logins counted per email and per client address in the database, so that every server
 * process sees the same counts (PostgreSQL) and a restart forgets nothing.
 */
export const loginThrottle = {
  /** When the caller may try again (epoch ms), or null when it may try now. */
  async blockedUntil(exec: DbExecutor, keys: readonly string[], now: number, policy: ThrottlePolicy): Promise<number | null> {
    const rows = await exec
      .selectFrom('login_failures')
      .select(['throttle_key', (eb) => eb.fn.countAll<number>().as('count'), (eb) => eb.fn.min('at').as('oldest')])
      .where('throttle_key', 'in', [...keys])
      .where('at', '>', now - policy.windowMs)
      .groupBy('throttle_key')
      .execute();
    const blocked = rows.filter((r) => Number(r.count) >= policy.maxFailures);
    if (blocked.length === 0) return null;
    // Approximate: the window frees a slot when its oldest failure ages out.
    return Math.max(...blocked.map((r) => Number(r.oldest) + policy.windowMs));
  },

  async recordFailure(exec: DbExecutor, keys: readonly string[], now: number, ids: IdGenerator, policy: ThrottlePolicy): Promise<void> {
    await exec.insertInto('login_failures').values(keys.map((throttle_key) => ({ id: ids.next(), throttle_key, at: now }))).execute();
    // Keeps the table small: what is out of the window no longer counts.
    await exec.deleteFrom('login_failures').where('throttle_key', 'in', [...keys]).where('at', '<=', now - policy.windowMs).execute();
  },

  async clear(exec: DbExecutor, key: string): Promise<void> {
    await exec.deleteFrom('login_failures').where('throttle_key', '=', key).execute();
  },
};
