import { Counter, Gauge, type Registry } from 'prom-client';
import type { QueueStats } from './sql-job-queue.js';

/** Queue depth, lag and dead letters are read from the database at scrape time. */
export function createJobsMetrics(registry: Registry, readStats: () => Promise<QueueStats & { deadLetters: number }>) {
  let pending: Promise<QueueStats & { deadLetters: number }> | null = null;
  // One query per scrape, shared by the gauges below.
  const stats = () => (pending ??= readStats().finally(() => setImmediate(() => (pending = null))));
  new Gauge({
    name: 'switchboard_queue_depth',
    help: 'Jobs due and waiting to run (the backlog)',
    registers: [registry],
    async collect() {
      this.set((await stats()).pending);
    },
  });
  new Gauge({
    name: 'switchboard_jobs_scheduled',
    help: 'Jobs waiting for a later time: periodic runs, retries in their backoff, scheduled checks',
    registers: [registry],
    async collect() {
      this.set((await stats()).scheduled);
    },
  });
  new Gauge({
    name: 'switchboard_processing_lag_seconds',
    help: 'Age of the oldest job that is due and not done',
    registers: [registry],
    async collect() {
      this.set((await stats()).oldestDueAgeMs / 1000);
    },
  });
  new Gauge({
    name: 'switchboard_dead_letters',
    help: 'Dead letters waiting for inspection or replay',
    registers: [registry],
    async collect() {
      this.set((await stats()).deadLetters);
    },
  });
  return {
    processed: new Counter({
      name: 'switchboard_jobs_processed_total',
      help: 'Jobs run, by name and outcome',
      labelNames: ['job', 'outcome'] as const,
      registers: [registry],
    }),
  };
}
