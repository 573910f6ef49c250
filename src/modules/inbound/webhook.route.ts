import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { replyError } from '../../http/reply-error.js';
import type { InboundMetrics } from './inbound.metrics.js';
import type { WebhookIngestor } from './ingest-webhook.js';

export type WebhookRouteOptions = {
  verifyToken: string;
  bodyLimitBytes: number;
  ingestor: WebhookIngestor;
  metrics: InboundMetrics;
};

const WEBHOOK_PATH = '/webhooks/whatsapp';

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Meta's webhook: the GET verify handshake and the signed POST. The POST body is read as raw
 * bytes (the signature covers Meta's exact serialisation) and answered 200 only once stored.
 */
export async function webhookRoutes(app: FastifyInstance, options: WebhookRouteOptions): Promise<void> {
  const { ingestor, metrics } = options;
  // Scoped to this plugin: the rest of the API keeps fastify's JSON parser.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: options.bodyLimitBytes }, (_req, body, done) => done(null, body));

  app.get(WEBHOOK_PATH, async (request: FastifyRequest<{ Querystring: Record<string, string | undefined> }>, reply) => {
    const mode = request.query['hub.mode'];
    const token = request.query['hub.verify_token'] ?? '';
    const challenge = request.query['hub.challenge'];
    if (mode !== 'subscribe' || challenge === undefined || !sameToken(token, options.verifyToken)) {
      return replyError(reply, { code: 'WEBHOOK_VERIFY_TOKEN_INVALID', message: 'hub.mode or hub.verify_token is wrong.' });
    }
    return reply.type('text/plain').send(challenge);
  });

  app.post(WEBHOOK_PATH, async (request, reply) => {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const signature = request.headers['x-hub-signature-256'];
    const result = await ingestor.ingest(body, Array.isArray(signature) ? signature[0] : signature);
    if (!result.ok) {
      metrics.refused.inc({ reason: result.error.code });
      return replyError(reply, result.error);
    }
    metrics.received.inc();
    return reply.type('text/plain').send('EVENT_RECEIVED');
  });

  app.addHook('onResponse', async (request, reply) => {
    if (request.method === 'POST') metrics.ackSeconds.observe(reply.elapsedTime / 1000);
  });
}
