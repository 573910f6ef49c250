import { Counter, Histogram, type Registry } from 'prom-client';

export type InboundMetrics = ReturnType<typeof createInboundMetrics>;

export function createInboundMetrics(registry: Registry) {
  return {
    received: new Counter({
      name: 'switchboard_webhooks_received_total',
      help: 'Signed webhook bodies accepted and stored durably',
      registers: [registry],
    }),
    refused: new Counter({
      name: 'switchboard_webhooks_refused_total',
      help: 'Webhook bodies refused, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    ackSeconds: new Histogram({
      name: 'switchboard_webhook_ack_seconds',
      help: 'Time from receiving a webhook to answering it, storage included',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
  };
}
