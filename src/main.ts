import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { connectDatabase, migrateToLatest, type DatabaseHandle } from './db/connect.js';
import { buildApp } from './http/app.js';
import { deadLetterRepository } from './jobs/dead-letter.repository.js';
import { createJobsMetrics } from './jobs/jobs.metrics.js';
import { SqlJobQueue } from './jobs/sql-job-queue.js';
import { Worker } from './jobs/worker.js';
import { createInboundMetrics, createWebhookIngestor, processInboundEventJob, type InboundDeps, type WebhookIngestor } from './modules/inbound/index.js';
import { downloadMediaJob, MediaStore } from './modules/media/index.js';
import { NumberDirectory } from './modules/numbers/index.js';
import {
  createOutboundMetrics,
  GraphClient,
  markAsReadJob,
  MemoryRateLimiter,
  OutboundSender,
  RedisRateLimiter,
  type RateLimiter,
} from './modules/outbound/index.js';
import { systemClock, type Clock } from './platform/clock.js';
import type { Config, StorageConfig } from './platform/config.js';
import { uuidGenerator, type IdGenerator } from './platform/ids.js';
import type { Logger } from './platform/logger.js';
import { createMetricsRegistry, type Registry } from './platform/metrics.js';
import { SecretBox } from './platform/secret-box.js';

/**
 * The composition root: builds config → database → queue → adapters → use cases → HTTP and
 * workers, explicitly and in one place. Nothing else constructs adapters.
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

/** The numbers of this installation: the environment's one, and those stored (tokens sealed with SWITCHBOARD_SECRET_KEY). */
export function numberDirectory(config: Config, storage: Storage): NumberDirectory {
  const secrets = config.SWITCHBOARD_SECRET_KEY ? new SecretBox(config.SWITCHBOARD_SECRET_KEY) : null;
  const environmentNumber =
    config.WHATSAPP_PHONE_NUMBER_ID && config.WHATSAPP_ACCESS_TOKEN
      ? {
          phoneNumberId: config.WHATSAPP_PHONE_NUMBER_ID,
          wabaId: config.WHATSAPP_BUSINESS_ACCOUNT_ID ?? '',
          displayPhoneNumber: config.WHATSAPP_DISPLAY_PHONE_NUMBER ?? null,
          accessToken: config.WHATSAPP_ACCESS_TOKEN,
          throughputMps: config.WHATSAPP_THROUGHPUT_MPS,
        }
      : null;
  return new NumberDirectory(storage.database.db, storage.clock, secrets, environmentNumber);
}

export type Switchboard = {
  app: FastifyInstance | null;
  worker: Worker | null;
  sender: OutboundSender | null;
  storage: Storage;
  numbers: NumberDirectory;
  ingestor: WebhookIngestor;
  registry: Registry;
  close(): Promise<void>;
};

/** Builds every part without starting any: tests drive `app.inject()`, `worker.drain()` and `sender.drain()` directly. */
export async function createSwitchboard(config: Config, log: Logger, roles: { http: boolean; worker: boolean }): Promise<Switchboard> {
  const storage = await openStorage(config, log);
  const { database, queue, clock, ids } = storage;
  const db = database.db;
  const registry = createMetricsRegistry(true);
  const inboundMetrics = createInboundMetrics(registry);
  const outboundMetrics = createOutboundMetrics(registry);
  const jobsMetrics = createJobsMetrics(registry, async () => ({ ...(await queue.stats()), deadLetters: await deadLetterRepository.count(db) }));

  const numbers = numberDirectory(config, storage);
  const graph = new GraphClient({ baseUrl: config.GRAPH_API_BASE_URL, version: config.GRAPH_API_VERSION, timeoutMs: config.GRAPH_API_TIMEOUT_MS });
  const mediaStore = new MediaStore(config.MEDIA_DIR);
  const redis = config.REDIS_URL ? new Redis(config.REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 2 }) : null;
  const limiter: RateLimiter = redis ? new RedisRateLimiter(redis) : new MemoryRateLimiter(clock);

  const ingestor = createWebhookIngestor({ database, queue, clock, ids, appSecret: config.META_APP_SECRET });
  const inboundDeps: InboundDeps = {
    clock,
    ids,
    defaultRegion: config.DEFAULT_REGION,
    enqueue: (exec, jobs) => queue.enqueue(exec, jobs),
    markInboundAsRead: config.MARK_INBOUND_AS_READ,
  };

  const sender = roles.worker
    ? new OutboundSender({
        db,
        dialect: database.dialect,
        clock,
        ids,
        graph,
        numbers,
        limiter,
        log,
        metrics: outboundMetrics,
        options: {
          concurrency: config.OUTBOUND_CONCURRENCY,
          leaseMs: config.GRAPH_API_TIMEOUT_MS + 5_000,
          inDoubtMs: config.OUTBOUND_IN_DOUBT_MS,
          maxAttempts: config.OUTBOUND_MAX_ATTEMPTS,
          pollIntervalMs: 250,
          maxInlineWaitMs: 2_000,
          tokenExpiredPauseMs: 60_000,
        },
      })
    : null;

  const worker = roles.worker
    ? new Worker(queue, [processInboundEventJob(inboundDeps), downloadMediaJob({ graph, numbers, store: mediaStore, clock }), markAsReadJob({ graph, numbers })], {
        batchSize: config.WORKER_BATCH_SIZE,
        pollIntervalMs: 500,
        clock,
        log,
        onProcessed: (job, outcome) => jobsMetrics.processed.inc({ job: job.name, outcome }),
      })
    : null;

  const app = roles.http
    ? await buildApp({
        db,
        log,
        registry,
        apiToken: config.SWITCHBOARD_API_TOKEN,
        verifyToken: config.WHATSAPP_VERIFY_TOKEN,
        webhookBodyLimitBytes: config.WEBHOOK_BODY_LIMIT_BYTES,
        ingestor,
        inboundMetrics,
        contacts: { clock, ids, defaultRegion: config.DEFAULT_REGION },
        numbers,
        graph,
        mediaStore,
        // In a process without a sender (`serve` with workers elsewhere), the sender's poll picks messages up.
        onMessageQueued: () => sender?.notify(),
      })
    : null;

  return {
    app,
    worker,
    sender,
    storage,
    numbers,
    ingestor,
    registry,
    async close() {
      // Stop taking requests first (in-flight ones finish and are stored), then let the work in progress commit.
      await app?.close();
      await sender?.stop();
      await worker?.stop();
      await graph.close();
      redis?.disconnect();
      await database.close();
    },
  };
}

/** Builds everything, then listens for HTTP and starts the workers, as `roles` asks. */
export async function startSwitchboard(config: Config, log: Logger, roles: { http: boolean; worker: boolean }): Promise<Switchboard> {
  const switchboard = await createSwitchboard(config, log, roles);
  if (switchboard.app) await switchboard.app.listen({ port: config.PORT, host: config.HOST });
  switchboard.worker?.start();
  switchboard.sender?.start();
  return switchboard;
}
