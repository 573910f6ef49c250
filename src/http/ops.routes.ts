import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { Registry } from '../platform/metrics.js';

/** Liveness, readiness and Prometheus metrics; unauthenticated, as probes and scrapers expect. */
export async function opsRoutes(app: FastifyInstance, options: { db: Db; registry: Registry }): Promise<void> {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    try {
      await sql`select 1`.execute(options.db);
      return { status: 'ready' };
    } catch {
      return reply.status(503).send({ error: { code: 'NOT_READY', message: 'The database is not reachable.' } });
    }
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    return reply.type(options.registry.contentType).send(await options.registry.metrics());
  });
}
