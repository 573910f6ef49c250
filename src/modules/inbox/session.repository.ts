import { createHash, randomBytes } from 'node:crypto';
import type { DbExecutor } from '../../db/database.js';
import type { SessionTable } from '../../db/inbox-tables.js';

export type SessionPolicy = { idleMs: number; absoluteMs: number };

export type Session = { idHash: string; userId: string; csrfToken: string; createdAt: number; lastUsedAt: number; expiresAt: number };

/** The token is what the cookie carries; only its hash is stored. */
export const hashSessionToken = (token: string) => createHash('sha256').update(token).digest('hex');

const toSession = (row: SessionTable): Session => ({
  idHash: row.id_hash,
  userId: row.user_id,
  csrfToken: row.csrf_token,
  createdAt: Number(row.created_at),
  lastUsedAt: Number(row.last_used_at),
  expiresAt: Number(row.expires_at),
});

/** A session's last use is written at most this often: a busy agent does not cost a write per request. */
const TOUCH_EVERY_MS = 60_000;

export const sessionRepository = {
  /** Creates a session; returns the cookie token (32 random bytes) and the session. */
  async create(exec: DbExecutor, userId: string, now: number, policy: SessionPolicy): Promise<{ token: string; session: Session }> {
    const token = randomBytes(32).toString('base64url');
    const row: SessionTable = {
      id_hash: hashSessionToken(token),
      user_id: userId,
      csrf_token: randomBytes(32).toString('base64url'),
      created_at: now,
      last_used_at: now,
      expires_at: now + policy.absoluteMs,
    };
    await exec.insertInto('sessions').values(row).execute();
    return { token, session: toSession(row) };
  },

  /** The live session of a cookie token, its last use refreshed; an expired one is deleted and not returned. */
  async use(exec: DbExecutor, token: string, now: number, policy: SessionPolicy): Promise<Session | undefined> {
    const idHash = hashSessionToken(token);
    const row = await exec.selectFrom('sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
    if (!row) return undefined;
    const session = toSession(row);
    if (now >= session.expiresAt || now - session.lastUsedAt >= policy.idleMs) {
      await exec.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
      return undefined;
    }
    if (now - session.lastUsedAt >= TOUCH_EVERY_MS) {
      await exec.updateTable('sessions').set({ last_used_at: now }).where('id_hash', '=', idHash).execute();
      session.lastUsedAt = now;
    }
    return session;
  },

  async delete(exec: DbExecutor, token: string): Promise<void> {
    await exec.deleteFrom('sessions').where('id_hash', '=', hashSessionToken(token)).execute();
  },

  /** Ends every session of a user (deactivated, password changed). */
  async deleteForUser(exec: DbExecutor, userId: string): Promise<void> {
    await exec.deleteFrom('sessions').where('user_id', '=', userId).execute();
  },

  async purgeExpired(exec: DbExecutor, now: number, policy: SessionPolicy): Promise<void> {
    await exec
      .deleteFrom('sessions')
      .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_used_at', '<=', now - policy.idleMs)]))
      .execute();
  },
};
