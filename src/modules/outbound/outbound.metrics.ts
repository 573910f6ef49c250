import { Counter, Histogram, type Registry } from 'prom-client';

export type OutboundMetrics = ReturnType<typeof createOutboundMetrics>;

export function createOutboundMetrics(registry: Registry) {
  return {
    sends: new Counter({
      name: 'switchboard_outbound_sends_total',
      help: 'Calls to the send API, by outcome (accepted, retry, failed, in_doubt, token_expired)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: 'switchboard_outbound_rate_limited_total',
      help: 'Sends that waited for a rate limit, by limit (throughput, pair)',
      labelNames: ['limit'] as const,
      registers: [registry],
    }),
    acceptToSendSeconds: new Histogram({
      name: 'switchboard_outbound_queue_seconds',
      help: 'Time from accepting a message to Meta accepting it',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
  };
}
