/**
 * What the simulator answers when a handler cannot: Graph-shaped errors on Graph paths (a client
 * must never see a framework error page Meta would not send), plain `{error:{code,message}}` on
 * the control surface.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { graphError, serverError, SimulatorError } from './errors.js';
import { sendGraph } from './graph.routes.js';
import type { IdFactory } from './ids.js';

const isControl = (url: string) => url.startsWith('/_simulator');

export function registerErrorHandlers(app: FastifyInstance, ids: IdFactory): void {
  app.setErrorHandler((error: { statusCode?: number; message: string }, request, reply) => {
    if (isControl(request.url)) {
      if (error instanceof SimulatorError) return reply.code(error.code === 'NOT_FOUND' ? 404 : 400).send({ error: { code: error.code, message: error.message } });
      if (error instanceof z.ZodError) {
        const issue = error.issues[0];
        return reply.code(400).send({ error: { code: 'BAD_REQUEST', message: `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}` } });
      }
      const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 500;
      return reply.code(status).send({ error: { code: status < 500 ? 'BAD_REQUEST' : 'INTERNAL', message: error.message } });
    }
    // A body that is not JSON (or none) is an invalid parameter for Graph.
    if (error.statusCode !== undefined && error.statusCode < 500) {
      return sendGraph(reply, graphError(100, ids.fbtraceId(), { details: `The request could not be read: ${error.message}` }));
    }
    request.log.error(error);
    return sendGraph(reply, serverError(500, ids.fbtraceId()));
  });

  app.setNotFoundHandler((request, reply) => {
    if (isControl(request.url)) return reply.code(404).send({ error: { code: 'NOT_FOUND', message: `no control endpoint ${request.method} ${request.url}` } });
    const path = request.url.split('?')[0] ?? '';
    return sendGraph(reply, graphError(2500, ids.fbtraceId(), { message: `Unknown path components: ${path}` }));
  });
}
