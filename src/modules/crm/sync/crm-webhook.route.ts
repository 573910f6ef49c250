import type { FastifyInstance } from 'fastify';
import { replyError } from '../../../http/reply-error.js';
import { CrmError } from '../crm-error.js';
import type { CrmSyncDeps } from './crm-sync.deps.js';
import { applyCrmChanges } from './poll-crm-changes.job.js';

export type CrmWebhookRouteOptions = { deps: CrmSyncDeps; bodyLimitBytes: number };

/**
 * `POST /webhooks/crm/{kind}`: the CRM's own change notifications. The connector reads and
 * verifies them (each vendor signs differently); the changes are applied before the answer, so a
 * 200 means they are stored, and a CRM that gets an error sends again.
 */
export async function crmWebhookRoutes(app: FastifyInstance, { deps, bodyLimitBytes }: CrmWebhookRouteOptions): Promise<void> {
  // Scoped to this plugin: signatures cover the raw bytes.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: bodyLimitBytes }, (_req, body, done) => done(null, body));

  app.post<{ Params: { kind: string } }>('/webhooks/crm/:kind', async (request, reply) => {
    const { connector } = deps;
    if (request.params.kind !== connector.kind || !connector.parseWebhook) {
      return replyError(reply, { code: 'CRM_WEBHOOK_UNKNOWN', message: `No ${request.params.kind} CRM webhook is configured here.` });
    }
    const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    let changes;
    try {
      changes = await connector.parseWebhook({ headers: request.headers, rawBody });
    } catch (error) {
      if (error instanceof CrmError) {
        const code = error.code === 'CRM_UNAUTHORIZED' ? 'CRM_WEBHOOK_SIGNATURE_INVALID' : error.retryable ? 'CRM_UNAVAILABLE' : 'CRM_WEBHOOK_INVALID';
        return replyError(reply, { code, message: error.message });
      }
      throw error;
    }
    const applied = await applyCrmChanges(changes, deps);
    return reply.send({ received: changes.length, applied: applied.filter((a) => a.contactId !== null && a.how !== 'conflict').length });
  });
}
