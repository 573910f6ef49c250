import { collectDefaultMetrics, Registry } from 'prom-client';

export type { Registry };

/** One registry per process, passed to each module's metrics factory; tests make their own. */
export function createMetricsRegistry(withProcessMetrics: boolean): Registry {
  const registry = new Registry();
  if (withProcessMetrics) collectDefaultMetrics({ register: registry, prefix: 'switchboard_' });
  return registry;
}
