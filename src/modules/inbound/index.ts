export type * from './core/inbound-event.js';
export { parseWebhookEnvelope, toInboundEvents } from './core/parse-webhook.js';
export { applyWithInboundDeps, eventsAppliedOnIngest, type ApplyOnIngest } from './apply-on-ingest.js';
export { createWebhookIngestor, type WebhookIngestor } from './ingest-webhook.js';
export { inboundJob, processInboundEventJob, PROCESS_INBOUND_EVENT, type InboundDeps } from './process-inbound-event.job.js';
export { createInboundMetrics, type InboundMetrics } from './inbound.metrics.js';
export { inboxRepository } from './inbox.repository.js';
export { isValidSignature, signatureFor } from './webhook-signature.js';
export { webhookRoutes } from './webhook.route.js';
