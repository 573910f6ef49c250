import type { FastifyReply, FastifyRequest } from 'fastify';
import { actorOf, API_PRINCIPAL, principalOf, requireRole, sessionFromCookie, setPrincipal, type SessionAuthDeps } from '../modules/inbox/index.js';
import { bearerTokenOf, secretMatcher } from './bearer-auth.js';
import { replyError } from './reply-error.js';

export { actorOf, principalOf, requireRole };

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * An onRequest hook for the API: `Authorization: Bearer <SWITCHBOARD_API_TOKEN>` acts as an admin
 * (scripts and integrations), else the `sb_session` cookie of a logged-in user. A state-changing
 * request made with the cookie must carry the session's `x-csrf-token` (another site can make the
 * browser send the cookie, never read the token); bearer requests are exempt, as no browser
 * attaches that header by itself.
 */
export function authenticate(deps: { apiToken: string; sessions: SessionAuthDeps }) {
  const isApiToken = secretMatcher(deps.apiToken);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization;
    if (header !== undefined) {
      if (!isApiToken(bearerTokenOf(header))) return replyError(reply, { code: 'UNAUTHORIZED', message: 'Send Authorization: Bearer <SWITCHBOARD_API_TOKEN>, or log in.' });
      setPrincipal(request, API_PRINCIPAL);
      return;
    }
    const found = await sessionFromCookie(deps.sessions, request.headers.cookie);
    if (!found) return replyError(reply, { code: 'UNAUTHORIZED', message: 'Log in (POST /api/v1/auth/login), or send Authorization: Bearer <SWITCHBOARD_API_TOKEN>.' });
    const token = request.headers['x-csrf-token'];
    if (STATE_CHANGING.has(request.method) && !secretMatcher(found.session.csrfToken)(typeof token === 'string' ? token : undefined)) {
      return replyError(reply, { code: 'CSRF_TOKEN_INVALID', message: 'Send the x-csrf-token header with the csrfToken from login or GET /api/v1/auth/me.' });
    }
    const { user } = found;
    setPrincipal(request, { kind: 'user', id: user.id, name: user.name, email: user.email, role: user.role });
  };
}
