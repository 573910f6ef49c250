import type { FastifyInstance } from 'fastify';
import { connectDatabase, migrateToLatest, type DatabaseHandle } from './db/connect.js';
import { buildApp } from './http/app.js';
import { deadLetterRepository } from './jobs/dead-letter.repository.js';
import { createJobsMetrics } from './jobs/jobs.metrics.js';
import { SqlJobQueue } from './jobs/sql-job-queue.js';
import { Worker } from './jobs/worker.js';
import { createInboundMetrics, createWebhookIngestor, processInboundEventJob, type WebhookIngestor } from './modules/inbound/index.js';
import { systemClock, type Clock } from './platform/clock.js';
import type { Config, StorageConfig } from './platform/config.js';
import { uuidGenerator, type IdGenerator } from './platform/ids.js';
import type { Logger } from './platform/logger.js';
import { createMetricsRegistry, type Registry } from './platform/metrics.js';

/**
 * The composition root: builds config → database → queue → use cases → HTTP and workers,
 * explicitly and in one place. Nothing else constructs adapters.
 */
export type Storage = {
  database: DatabaseHandle;
  queue: SqlJobQueue;
  clock: Clock;
  ids: IdGenerator;
};

export async function openStorage(config: StorageConfig, log: Logger): Promise<Storage> {
  const database = connectDatabase(config.DATABASE_URL, {
    onConnectionError: (error) => log.warn({ err: error }, 'a database connection was lost; the pool replaces it'),
  });
  const applied = await migrateToLatest(database.db);
  if (applied.length > 0) log.info({ migrations: applied }, 'database migrated');
  const queue = new SqlJobQueue(database.db, database.dialect, systemClock, uuidGenerator, config.JOB_MAX_ATTEMPTS);
  return { database, queue, clock: systemClock, ids: uuidGenerator };
}

export type Switchboard = {
  app: FastifyInstance | null;
  worker: Worker | null;
  storage: Storage;
  ingestor: WebhookIngestor;
  registry: Registry;
  close(): Promise<void>;
};

/** Builds every part without starting any: tests drive `app.inject()` and `worker.drain()` directly. */
export async function createSwitchboard(config: Config, log: Logger, roles: { http: boolean; worker: boolean }): Promise<Switchboard> {
  const storage = await openStorage(config, log);
  const { database, queue, clock, ids } = storage;
  const registry = createMetricsRegistry(true);
  const inboundMetrics = createInboundMetrics(registry);
  const jobsMetrics = createJobsMetrics(registry, async () => ({
    ...(await queue.stats()),
    deadLetters: await deadLetterRepository.count(database.db),
  }));

  const contactsDeps = { clock, ids, defaultRegion: config.DEFAULT_REGION };
  const ingestor = createWebhookIngestor({ db: database.db, dialect: database.dialect, queue, clock, ids, appSecret: config.META_APP_SECRET });

  const worker = roles.worker
    ? new Worker(queue, [processInboundEventJob(contactsDeps)], {
        batchSize: config.WORKER_BATCH_SIZE,
        pollIntervalMs: 500,
        clock,
        log,
        onProcessed: (job, outcome) => jobsMetrics.processed.inc({ job: job.name, outcome }),
      })
    : null;

  const app = roles.http
    ? await buildApp({
        db: database.db,
        log,
        registry,
        apiToken: config.SWITCHBOARD_API_TOKEN,
        verifyToken: config.WHATSAPP_VERIFY_TOKEN,
        webhookBodyLimitBytes: config.WEBHOOK_BODY_LIMIT_BYTES,
        ingestor,
        inboundMetrics,
        contacts: contactsDeps,
      })
    : null;

  return {
    app,
    worker,
    storage,
    ingestor,
    registry,
    async close() {
      // Stop taking webhooks first (in-flight ones finish and are stored), then let the batch in progress commit.
      await app?.close();
      await worker?.stop();
      await database.close();
    },
  };
}

/** Builds everything, then listens for HTTP and starts the workers, as `roles` asks. */
export async function startSwitchboard(config: Config, log: Logger, roles: { http: boolean; worker: boolean }): Promise<Switchboard> {
  const switchboard = await createSwitchboard(config, log, roles);
  if (switchboard.app) await switchboard.app.listen({ port: config.PORT, host: config.HOST });
  switchboard.worker?.start();
  return switchboard;
}
