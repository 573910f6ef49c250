import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors, jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Db } from '../db/database.js';
import { contactsRoutes, type ContactsDeps } from '../modules/contacts/index.js';
import { webhookRoutes, type InboundMetrics, type WebhookIngestor } from '../modules/inbound/index.js';
import { mediaRoutes, type MediaStore } from '../modules/media/index.js';
import { numbersRoutes, type NumberDirectory } from '../modules/numbers/index.js';
import { auditRoutes, registerAuditHooks } from '../modules/audit/index.js';
import { rulesRoutes, type AutomationDeps } from '../modules/automation/index.js';
import { crmRoutes, crmWebhookRoutes, type CrmRouteOptions, type CrmWebhookRouteOptions } from '../modules/crm/index.js';
import { consentRoutes } from '../modules/consent/index.js';
import { authRoutes, inboxRoutes, liveRoutes, type AuthRouteOptions, type InboxRouteOptions, type LiveRouteOptions } from '../modules/inbox/index.js';
import type { EventPublisher } from '../modules/events/index.js';
import { messagesRoutes, serviceWindowsOf, type GraphClient, type QueueMessageDeps } from '../modules/outbound/index.js';
import { privacyRoutes } from '../modules/privacy/index.js';
import { templatesRoutes, type TemplatesDeps } from '../modules/templates/index.js';
import { timelineRoutes } from '../modules/timeline/index.js';

import type { Logger } from '../platform/logger.js';
import type { Registry } from '../platform/metrics.js';
import { actorOf, authenticate, requireRole } from './auth.js';
import { httpStatusFor } from './error-status.js';
import { opsRoutes } from './ops.routes.js';
import { replyError } from './reply-error.js';
import { webUi } from './web-ui.js';

export type AppDeps = {
  db: Db;
  log: Logger;
  registry: Registry;
  apiToken: string;
  verifyToken: string;
  webhookBodyLimitBytes: number;
  /** Fastify's `trustProxy` (config TRUST_PROXY): whose X-Forwarded-For / -Proto to believe. */
  trustProxy?: boolean | string[];
  ingestor: WebhookIngestor;
  inboundMetrics: InboundMetrics;
  contacts: ContactsDeps;
  numbers: NumberDirectory;
  graph: GraphClient;
  mediaStore: MediaStore;
  queueDeps: QueueMessageDeps;
  privacySalt: string | null;
  templates: TemplatesDeps;
  publish: EventPublisher;
  /** Accounts, sessions and the shared inbox's routes. */
  inbox: { auth: AuthRouteOptions; routes: Omit<InboxRouteOptions, 'db'>; live: Pick<LiveRouteOptions, 'bus' | 'hub'> };
  /** Automation rules and their runs; without it the routes are not served. */
  automation?: AutomationDeps;
  /**
   * Told when a request that may have enqueued jobs (a change publishing events) has answered:
   * its transaction is committed by then, so the worker is woken instead of waiting for its poll.
   */
  onChangeAnswered?: () => void;
  /** SQLite: `DatabaseHandle.withoutCommitFsync`, for the audit trail's writes (`AuditHookDeps`). */
  commitWithoutFsync?: <T>(work: (db: Db) => Promise<T>) => Promise<T>;
  /** The CRM's API (people, tasks) and, for an external CRM, its webhook route. */
  crm?: Omit<CrmRouteOptions, 'db'> & { webhook: Omit<CrmWebhookRouteOptions, 'bodyLimitBytes'> | null };
};

/** Assembles the HTTP surface: Meta's webhook, the REST API under /api/v1, and the ops endpoints. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  // A line per request would cost more than storing the webhook; errors are still logged.
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: deps.trustProxy ?? false,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  const onChangeAnswered = deps.onChangeAnswered;
  if (onChangeAnswered) {
    app.addHook('onResponse', async (request) => {
      if (request.method !== 'GET' && request.method !== 'HEAD') onChangeAnswered();
    });
  }

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const issue = error.validation[0];
      const where = issue ? `${error.validationContext ?? 'request'}${issue.instancePath || ''}` : 'request';
      return replyError(reply, { code: 'VALIDATION_FAILED', message: `${where}: ${issue?.message ?? 'invalid'}`, details: { issues: error.validation } });
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return replyError(reply, { code: 'PAYLOAD_TOO_LARGE', message: 'The body is larger than allowed.' });
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return replyError(reply, { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Send application/json.' });
    if (error.statusCode && error.statusCode < 500) return replyError(reply, { code: 'BODY_INVALID', message: error.message });
    request.log.error({ err: error }, 'unhandled error');
    return reply.status(httpStatusFor('INTERNAL')).send({ error: { code: 'INTERNAL', message: 'Something went wrong on our side.' } });
  });
  app.setNotFoundHandler((request, reply) => replyError(reply, { code: 'NOT_FOUND', message: `No route ${request.method} ${request.url.split('?')[0]}.` }));

  await app.register(swagger, {
    openapi: {
      info: { title: 'Switchboard API', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });

  await app.register(webhookRoutes, {
    verifyToken: deps.verifyToken,
    bodyLimitBytes: deps.webhookBodyLimitBytes,
    ingestor: deps.ingestor,
    metrics: deps.inboundMetrics,
  });
  await app.register(opsRoutes, { db: deps.db, registry: deps.registry, numbers: deps.numbers });
  if (deps.crm?.webhook) await app.register(crmWebhookRoutes, { ...deps.crm.webhook, bodyLimitBytes: deps.webhookBodyLimitBytes });
  // The shared inbox UI at `/` (dist/web); its routes are exact paths, so the API and webhooks keep theirs.
  await app.register(webUi);

  await app.register(
    async (api) => {
      api.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
      await api.register(authRoutes, deps.inbox.auth);
      const authenticated = authenticate({ apiToken: deps.apiToken, sessions: deps.inbox.auth.sessions });
      // The event stream, typing and presence: authenticated, but a keystroke or a heartbeat is not audited.
      await api.register(async (live) => {
        live.addHook('onRequest', authenticated);
        await live.register(liveRoutes, { db: deps.db, clock: deps.contacts.clock, ...deps.inbox.live });
      });
      await api.register(async (authed) => {
        // The API token (an admin) or a user's session cookie with its CSRF token.
        authed.addHook('onRequest', authenticated);
        const { clock, ids } = deps.contacts;
        // Every change made through the API is on the audit trail (GET /api/v1/audit).
        const audit = registerAuditHooks(authed, { db: deps.db, clock, ids, log: deps.log, actorOf, ...(deps.commitWithoutFsync ? { commitWithoutFsync: deps.commitWithoutFsync } : {}) });
        app.addHook('onClose', () => audit.idle());
        await authed.register(contactsRoutes, {
          db: deps.db,
          deps: deps.contacts,
          serviceWindows: (contactId) => serviceWindowsOf(deps.db, contactId, clock.now()),
        });
        await authed.register(timelineRoutes, { db: deps.db });
        await authed.register(messagesRoutes, { db: deps.db, deps: deps.queueDeps });
        await authed.register(consentRoutes, { db: deps.db, deps: { clock, ids, publish: deps.publish } });
        // Admins only (agents get 403 FORBIDDEN): GDPR export and erasure, the audit log, numbers.
        // Checked on request, before a body is even parsed.
        await authed.register(async (admin) => {
          admin.addHook('onRequest', requireRole('admin'));
          await admin.register(privacyRoutes, { db: deps.db, store: deps.mediaStore, clock, salt: deps.privacySalt });
          await admin.register(auditRoutes, { db: deps.db });
          await admin.register(numbersRoutes, { numbers: deps.numbers });
        });
        // Agents read templates and preview them; authoring and syncing are for admins.
        await authed.register(async (templates) => {
          templates.addHook('onRequest', requireRole('admin', { unless: (r) => r.method === 'GET' || (r.routeOptions.url ?? '').endsWith('/preview') }));
          await templates.register(templatesRoutes, { db: deps.db, deps: deps.templates });
        });
        await authed.register(mediaRoutes, { db: deps.db, store: deps.mediaStore, graph: deps.graph, numbers: deps.numbers, clock, ids });
        await authed.register(inboxRoutes, { db: deps.db, ...deps.inbox.routes });
        if (deps.crm) await authed.register(crmRoutes, { db: deps.db, ...deps.crm });
        // Rules send messages and call webhooks: agents read them, their runs and dry-runs; admins change them.
        const automation = deps.automation;
        if (automation) {
          await authed.register(async (rules) => {
            rules.addHook('onRequest', requireRole('admin', { unless: (r) => r.method === 'GET' || (r.routeOptions.url ?? '').endsWith('/dry-run') }));
            await rules.register(rulesRoutes, { deps: automation });
          });
        }
      });
    },
    { prefix: '/api/v1' },
  );
  return app;
}
