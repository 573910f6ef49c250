import { parseCookie, stringifySetCookie } from 'cookie';
import type { Db } from '../../db/database.js';
import type { Clock } from '../../platform/clock.js';
import { sessionRepository, type Session, type SessionPolicy } from './session.repository.js';
import { userRepository, type User } from './user.repository.js';

export const SESSION_COOKIE = 'sb_session';

export type SessionAuthDeps = { db: Db; clock: Clock; policy: SessionPolicy };

/** The value of one cookie in a `Cookie` header (the `cookie` package's parser: malformed values never throw). */
export function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  return parseCookie(header)[name] ?? null;
}

/** The user and session behind a `Cookie` header, or null (none, expired, or the user deactivated). */
export async function sessionFromCookie(deps: SessionAuthDeps, cookieHeader: string | undefined): Promise<{ user: User; session: Session; token: string } | null> {
  const token = cookieValue(cookieHeader, SESSION_COOKIE);
  if (!token) return null;
  const session = await sessionRepository.use(deps.db, token, deps.clock.now(), deps.policy);
  if (!session) return null;
  const user = await userRepository.findById(deps.db, session.userId);
  if (!user?.active) return null;
  return { user, session, token };
}

/** `Set-Cookie` for the session; Secure when the browser reached us over HTTPS (directly or through a proxy). */
export function sessionCookie(token: string, maxAgeMs: number, secure: boolean): string {
  return stringifySetCookie({ name: SESSION_COOKIE, value: token, path: '/', httpOnly: true, sameSite: 'strict', maxAge: Math.max(0, Math.floor(maxAgeMs / 1000)), secure });
}
