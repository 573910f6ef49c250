import type { FastifyReply } from 'fastify';
import type { AppError } from '../platform/errors.js';
import { httpStatusFor, type ErrorBody } from './error-status.js';

/** Answers with `{"error":{"code","message"}}` and the status the code maps to. */
export function replyError(reply: FastifyReply, error: Pick<AppError, 'code' | 'message' | 'details'>): FastifyReply {
  const body: ErrorBody = { error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) } };
  return reply.status(httpStatusFor(error.code)).type('application/json').send(body);
}
