import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { NumberDirectory } from '../modules/numbers/index.js';
import type { Registry } from '../platform/metrics.js';

/** Liveness, readiness and Prometheus metrics; unauthenticated, as probes and scrapers expect. */
export async function opsRoutes(app: FastifyInstance, options: { db: Db; registry: Registry; numbers: NumberDirectory }): Promise<void> {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  // Ready: the database answers and no number has an expired access token (Meta's 190). An
  // expired token needs a person: this makes it visible to the orchestrator and the dashboards.
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    try {
      await sql`select 1`.execute(options.db);
    } catch {
      return reply.status(503).send({ error: { code: 'NOT_READY', message: 'The database is not reachable.' } });
    }
    const expired = (await options.numbers.list()).filter((n) => n.tokenExpiredAt !== null).map((n) => n.phoneNumberId);
    if (expired.length > 0) {
      return reply.status(503).send({
        error: { code: 'WHATSAPP_TOKEN_EXPIRED', message: `Meta says the access token expired for number ${expired.join(', ')}; sending from it is paused.`, details: { numbers: expired } },
      });
    }
    return { status: 'ready' };
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    return reply.type(options.registry.contentType).send(await options.registry.metrics());
  });
}
