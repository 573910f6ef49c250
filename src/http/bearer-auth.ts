import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { replyError } from './reply-error.js';

/** A preHandler hook that admits `Authorization: Bearer <token>` and answers 401 otherwise. */
export function bearerAuth(token: string) {
  // Comparing digests keeps the comparison constant-time whatever the lengths.
  const expected = createHash('sha256').update(token).digest();
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization;
    const given = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : '';
    const digest = createHash('sha256').update(given).digest();
    if (!given || !timingSafeEqual(digest, expected)) {
      return replyError(reply, { code: 'UNAUTHORIZED', message: 'Send Authorization: Bearer <SWITCHBOARD_API_TOKEN>.' });
    }
  };
}
