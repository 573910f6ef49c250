import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { FastifyRequest } from 'fastify';
import { ErrorResponse } from '../../http/error.schema.js';
import { replyError } from '../../http/reply-error.js';
import type { IdGenerator } from '../../platform/ids.js';
import { loginThrottle, type ThrottlePolicy } from './login-throttle.js';
import { verifyAgainstDecoy, verifyPassword } from './password-hasher.js';
import { sessionCookie, sessionFromCookie, type SessionAuthDeps } from './session-auth.js';
import { sessionRepository } from './session.repository.js';
import { normaliseEmail, userRepository, type User } from './user.repository.js';

export const SessionUser = z.object({ id: z.string(), email: z.string(), name: z.string(), role: z.enum(['admin', 'agent']) });
const SessionResponse = z.object({ user: SessionUser, csrfToken: z.string() });

const sessionUser = (user: User) => ({ id: user.id, email: user.email, name: user.name, role: user.role });

/** HTTPS as the browser sees it: a TLS socket, or a proxy in front saying so. */
const overHttps = (request: FastifyRequest) => request.protocol === 'https' || String(request.headers['x-forwarded-proto'] ?? '').startsWith('https');

export type AuthRouteOptions = { sessions: SessionAuthDeps; ids: IdGenerator; throttle: ThrottlePolicy };

/** Logging in and out with a session cookie; outside the authenticated scope. */
export const authRoutes: FastifyPluginAsyncZod<AuthRouteOptions> = async (app, { sessions, ids, throttle }) => {
  const { db, clock, policy } = sessions;

  app.post(
    '/auth/login',
    {
      schema: {
        summary: 'Log in: sets the sb_session cookie and returns the CSRF token to send as x-csrf-token',
        tags: ['auth'],
        security: [],
        body: z.object({ email: z.string().min(1).max(320), password: z.string().min(1).max(1024) }),
        response: { 200: SessionResponse, 401: ErrorResponse, 429: ErrorResponse },
      },
    },
    async (request, reply) => {
      const now = clock.now();
      const emailKey = `email:${normaliseEmail(request.body.email)}`;
      const keys = [emailKey, `ip:${request.ip}`];
      const blockedUntil = await loginThrottle.blockedUntil(db, keys, now, throttle);
      if (blockedUntil !== null) {
        reply.header('retry-after', String(Math.max(1, Math.ceil((blockedUntil - now) / 1000))));
        return replyError(reply, { code: 'LOGIN_RATE_LIMITED', message: 'Too many failed logins; try again later.' });
      }
      const found = await userRepository.findByEmailForLogin(db, request.body.email);
      const valid = found?.user.active ? await verifyPassword(request.body.password, found.passwordHash) : await verifyAgainstDecoy(request.body.password);
      if (!found || !valid) {
        await loginThrottle.recordFailure(db, keys, clock.now(), ids, throttle);
        return replyError(reply, { code: 'INVALID_CREDENTIALS', message: 'The email or the password is wrong.' });
      }
      await loginThrottle.clear(db, emailKey);
      // Sessions that expired without being used again would stay forever: logins sweep them.
      await sessionRepository.purgeExpired(db, now, policy);
      const { token, session } = await sessionRepository.create(db, found.user.id, clock.now(), policy);
      reply.header('set-cookie', sessionCookie(token, policy.absoluteMs, overHttps(request)));
      reply.header('cache-control', 'no-store');
      return { user: sessionUser(found.user), csrfToken: session.csrfToken };
    },
  );

  app.post(
    '/auth/logout',
    { schema: { summary: 'Log out: ends the session and clears the cookie', tags: ['auth'], security: [] } },
    async (request, reply) => {
      const found = await sessionFromCookie(sessions, request.headers.cookie);
      if (found) await sessionRepository.delete(db, found.token);
      reply.header('set-cookie', sessionCookie('', 0, overHttps(request)));
      return reply.status(204).send();
    },
  );

  app.get(
    '/auth/me',
    { schema: { summary: 'The logged-in user and the CSRF token of the session', tags: ['auth'], security: [], response: { 200: SessionResponse, 401: ErrorResponse } } },
    async (request, reply) => {
      const found = await sessionFromCookie(sessions, request.headers.cookie);
      if (!found) return replyError(reply, { code: 'UNAUTHENTICATED', message: 'Not logged in (or the session expired).' });
      reply.header('cache-control', 'no-store');
      return { user: sessionUser(found.user), csrfToken: found.session.csrfToken };
    },
  );
};
