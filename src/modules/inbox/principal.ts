import type { FastifyReply, FastifyRequest } from 'fastify';
import { replyError } from '../../http/reply-error.js';
import type { Role } from './user.repository.js';

/** Whoever made a request: a user with a session, or the API token acting as an admin. */
export type Principal = { kind: 'user'; id: string; name: string; email: string; role: Role } | { kind: 'api'; id: 'api'; name: 'API token'; role: 'admin' };

export const API_PRINCIPAL: Principal = { kind: 'api', id: 'api', name: 'API token', role: 'admin' };

const principals = new WeakMap<FastifyRequest, Principal>();

/** Called by the authentication hook (src/http/auth.ts) once it knows who is asking. */
export function setPrincipal(request: FastifyRequest, principal: Principal): void {
  principals.set(request, principal);
}

/** Who made the request; only on routes behind the authentication hook. */
export function principalOf(request: FastifyRequest): Principal {
  const principal = principals.get(request);
  if (!principal) throw new Error(`no principal for ${request.method} ${request.url}: the route is outside the authenticated scope`);
  return principal;
}

/** For the audit log: `user:<id>`, or `api-token`. */
export function actorOf(request: FastifyRequest): string {
  const principal = principals.get(request);
  return !principal ? 'unauthenticated' : principal.kind === 'api' ? 'api-token' : `user:${principal.id}`;
}

/**
 * A preHandler that lets only `role` through (admins pass every check). `unless` exempts requests
 * a plugin serves to everyone (reading templates, but not authoring them).
 */
export function requireRole(role: Role, options: { unless?: (request: FastifyRequest) => boolean } = {}) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (options.unless?.(request)) return;
    const principal = principalOf(request);
    if (principal.role === 'admin' || principal.role === role) return;
    return replyError(reply, { code: 'FORBIDDEN', message: `Only ${role}s may ${request.method} ${request.routeOptions.url ?? request.url}.` });
  };
}
