import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { replyError } from './reply-error.js';

// Comparing digests keeps the comparison constant-time whatever the lengths.
const digest = (value: string) => createHash('sha256').update(value).digest();

/** Whether a given secret equals `expected`, in constant time; an empty one never does. */
export function secretMatcher(expected: string): (given: string | undefined) => boolean {
  const wanted = digest(expected);
  return (given) => typeof given === 'string' && given.length > 0 && timingSafeEqual(digest(given), wanted);
}

/** The token of an `Authorization: Bearer <token>` header ('' for any other form). */
export const bearerTokenOf = (header: string | undefined) => (header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : '');

/** An onRequest hook that admits `Authorization: Bearer <token>` only (see `auth.ts` for sessions too). */
export function bearerAuth(token: string) {
  const matches = secretMatcher(token);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (!matches(bearerTokenOf(request.headers.authorization))) {
      return replyError(reply, { code: 'UNAUTHORIZED', message: 'Send Authorization: Bearer <SWITCHBOARD_API_TOKEN>.' });
    }
  };
}
