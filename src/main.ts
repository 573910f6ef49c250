import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { connectDatabase, migrateToLatest, type DatabaseHandle } from './db/connect.js';
import { GroupTransaction } from './db/group-transaction.js';
import { buildApp } from './http/app.js';
import { deadLetterRepository } from './jobs/dead-letter.repository.js';
import { createJobsMetrics } from './jobs/jobs.metrics.js';
import { pruneDoneJobsJob, pruneDoneJobsRun } from './jobs/prune-done-jobs.js';
import { SqlJobQueue } from './jobs/sql-job-queue.js';
import { Worker, type WorkerOptions } from './jobs/worker.js';
import { applyWithInboundDeps, createInboundMetrics, createWebhookIngestor, processInboundEventJob, type InboundDeps, type WebhookIngestor } from './modules/inbound/index.js';
import { buildKeywordMatcher, type ConsentPolicy } from './modules/consent/index.js';
import { eventPublisher, subscriberJob, type EventSubscriber } from './modules/events/index.js';
import { automationSubscriber, createRegexTester, createWebhookSender, loadRulesFile, runRulesForEvent, windowClosingJob, type AutomationDeps } from './modules/automation/index.js';
import { inboxSubscriber, LocalLiveBus, PostgresLiveBus, SseHub, sqlInboxCommands, type InboxCommands, type InboxDeps, type LiveBus } from './modules/inbox/index.js';
import { createCrm, type Crm } from './modules/crm/index.js';
import { downloadMediaJob, MediaStore } from './modules/media/index.js';
import { NumberDirectory } from './modules/numbers/index.js';
import {
  CONSENT_REPLY,
  consentReplyJob,
  createOutboundMetrics,
  GraphClient,
  markAsReadJob,
  MAX_SENDER_CONCURRENCY,
  MemoryRateLimiter,
  OutboundSender,
  outboxRepository,
  RedisRateLimiter,
  type QueueMessageDeps,
  type RateLimiter,
  type WindowLimiter,
} from './modules/outbound/index.js';
import { retentionPurgeJob, scheduleRetentionPurge } from './modules/privacy/index.js';
import { GraphTemplatesClient, syncTemplates, type TemplatesDeps } from './modules/templates/index.js';
import { preciseClock, systemClock, type Clock } from './platform/clock.js';
import type { Config, StorageConfig } from './platform/config.js';
import { EventLoopContention } from './platform/event-loop-contention.js';
import { uuidGenerator, type IdGenerator } from './platform/ids.js';
import type { Logger } from './platform/logger.js';
import { createMetricsRegistry, type Registry } from './platform/metrics.js';
import { SecretBox } from './platform/secret-box.js';

/** Graph connections for what is not a send (media, read receipts, templates): they never wait behind a full window of sends. */
const GRAPH_CONNECTIONS_BESIDES_SENDS = 16;

/** While the event loop is contended, worker batches commit after 5 ms and take about `share` of the time (WORKER_BUSY_SHARE). */
function givingWay(share: number): NonNullable<WorkerOptions['yieldTo']> {
  const contention = new EventLoopContention();
  return { contended: (ownBusyMs) => contention.contended(ownBusyMs), share, sliceMs: 5 };
}

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

/** `serving`: a long-running process (serve, worker), whose SQLite checkpoints go to a thread; a one-off command needs none. */
export async function openStorage(config: StorageConfig, log: Logger, options: { serving?: boolean } = {}): Promise<Storage> {
  const database = connectDatabase(config.DATABASE_URL, {
    onConnectionError: (error) => log.warn({ err: error }, 'a database connection was lost; the pool replaces it'),
    ...(options.serving
      ? { checkpointInBackground: { onError: (error: Error) => log.error({ err: error }, 'the WAL checkpoint thread failed; the connection checkpoints for itself again') } }
      : {}),
  });
  const applied = await migrateToLatest(database.db);
  if (applied.length > 0) log.info({ migrations: applied }, 'database migrated');
  const queue = new SqlJobQueue(database.db, database.dialect, systemClock, uuidGenerator, config.JOB_MAX_ATTEMPTS);
  return { database, queue, clock: systemClock, ids: uuidGenerator };
}

/** The numbers of this installation: the environment's one, and those stored (tokens sealed with SWITCHBOARD_SECRET_KEY). */
export function numberDirectory(config: Config, storage: Storage, onSaved?: (phoneNumberId: string) => Promise<void>): NumberDirectory {
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
  return new NumberDirectory(storage.database.db, storage.clock, secrets, environmentNumber, onSaved);
}

export type Switchboard = {
  app: FastifyInstance | null;
  /** Full template sync with Meta (all pages, every WABA); run at start and on demand. */
  syncTemplates(): ReturnType<typeof syncTemplates>;
  worker: Worker | null;
  sender: OutboundSender | null;
  storage: Storage;
  numbers: NumberDirectory;
  ingestor: WebhookIngestor;
  registry: Registry;
  /** The shared inbox: the commands automation calls, and this process's event streams (HTTP only). */
  inbox: { commands: InboxCommands; hub: SseHub | null };
  /** The configured CRM: its connector, the commands automation calls, the sync jobs. */
  crm: Crm;
  close(): Promise<void>;
};

/** Builds every part without starting any: tests drive `app.inject()`, `worker.drain()` and `sender.drain()` directly. */
export async function createSwitchboard(config: Config, log: Logger, roles: { http: boolean; worker: boolean }): Promise<Switchboard> {
  const storage = await openStorage(config, log, { serving: true });
  const { database, queue, clock, ids } = storage;
  const db = database.db;
  if (config.AUTOMATION_RULES_FILE) {
    // Before anything starts: a bad rules file stops start-up with one line naming the file and the rule.
    const loaded = await loadRulesFile(config.AUTOMATION_RULES_FILE, { db, clock, ids }).catch(async (error: unknown) => {
      await database.close();
      throw error;
    });
    log.info({ rules: loaded.loaded, file: config.AUTOMATION_RULES_FILE }, 'automation rules loaded');
  }
  const registry = createMetricsRegistry(true);
  const inboundMetrics = createInboundMetrics(registry);
  const outboundMetrics = createOutboundMetrics(registry);
  const jobsMetrics = createJobsMetrics(registry, async () => ({ ...(await queue.stats()), deadLetters: await deadLetterRepository.count(db) }));

  // A replaced token ends the number's pause at once: its queued messages become due and the sender is woken.
  let sender: OutboundSender | null = null;
  const numbers = numberDirectory(config, storage, async (phoneNumberId) => {
    await outboxRepository.wakeNumber(db, phoneNumberId, clock.now());
    sender?.notify();
  });
  const graphOptions = {
    baseUrl: config.GRAPH_API_BASE_URL,
    version: config.GRAPH_API_VERSION,
    timeoutMs: config.GRAPH_API_TIMEOUT_MS,
    // A connection for every send the sender may keep in flight, and a few for media, read receipts
    // and templates; they open only as they are needed.
    connections: (config.OUTBOUND_CONCURRENCY ?? MAX_SENDER_CONCURRENCY) + GRAPH_CONNECTIONS_BESIDES_SENDS,
  };
  const graph = new GraphClient(graphOptions);
  const templatesApi = new GraphTemplatesClient(graph);
  const mediaStore = new MediaStore(config.MEDIA_DIR);
  const redis = config.REDIS_URL ? new Redis(config.REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 2 }) : null;
  // Redis paces on its own clock (TIME, in µs); in process, the system clock to the µs as well.
  const limiter: RateLimiter & WindowLimiter = redis ? new RedisRateLimiter(redis) : new MemoryRateLimiter(clock === systemClock ? preciseClock : clock);

  const consentPolicy: ConsentPolicy = {
    marketing: config.CONSENT_MARKETING_POLICY,
    utility: config.CONSENT_UTILITY_POLICY,
    authentication: config.CONSENT_AUTHENTICATION_POLICY,
  };
  const keywords = (list: string | undefined) => (list ?? '').split(',').map((k) => k.trim()).filter(Boolean);
  const keywordMatcher = buildKeywordMatcher({
    optOut: { configured: keywords(config.CONSENT_OPT_OUT_KEYWORDS) },
    optIn: { configured: keywords(config.CONSENT_OPT_IN_KEYWORDS) },
    remove: keywords(config.CONSENT_IGNORED_KEYWORDS),
  });
  const privacySalt = config.PRIVACY_SALT ?? null;
  const enqueue: InboundDeps['enqueue'] = (exec, jobs) => queue.enqueue(exec, jobs);
  // What happens to contacts (messages, statuses, consent, CRM changes) reaches every subscriber
  // as its own job, enqueued in the transaction of the change. Modules add their subscribers below,
  // before the worker is built.
  const subscribers: EventSubscriber[] = [];
  const publish = eventPublisher(subscribers, enqueue, log);
  // The CRM (built-in, or an external one kept in step through its own jobs and `crm-sync` subscriber).
  const crm = createCrm(config, { db, clock, ids, limiter, enqueue, publish });
  subscribers.push(...crm.subscribers);
  // The shared inbox: live signals (PostgreSQL NOTIFY reaches every process; in-process on SQLite),
  // the subscriber that keeps conversations current, the commands automation calls, and (in
  // HTTP processes) the hub of Server-Sent Events streams.
  const inboxBus: LiveBus =
    database.dialect === 'postgres' ? new PostgresLiveBus(config.DATABASE_URL, ids, log, () => inboxHub?.resync()) : new LocalLiveBus(ids, database.sqlite ?? null);
  const inboxDeps: InboxDeps = { clock, ids, bus: inboxBus, strategy: config.INBOX_ASSIGNMENT };
  subscribers.push(inboxSubscriber(inboxDeps));
  const inboxCommands = sqlInboxCommands(inboxDeps);
  const inboxHub = roles.http ? new SseHub({ db, bus: inboxBus, clock, log }) : null;
  await inboxHub?.start();
  const inboundDeps: InboundDeps = {
    clock,
    ids,
    defaultRegion: config.DEFAULT_REGION,
    enqueue,
    markInboundAsRead: config.MARK_INBOUND_AS_READ,
    keywordMatcher,
    privacySalt,
    publish,
    onConsentKeyword: async (exec, change) => {
      if (!(change.action === 'opt_out' ? config.CONSENT_OPT_OUT_REPLY : config.CONSENT_OPT_IN_REPLY)) return;
      await enqueue(exec, [{ name: CONSENT_REPLY, payload: change, dedupeKey: `${CONSENT_REPLY}:${change.wamid}` }]);
    },
  };
  // Status webhooks are applied as they are stored; every other body is processed by the worker.
  const ingestor = createWebhookIngestor({ database, queue, clock, ids, appSecret: config.META_APP_SECRET, applyOnIngest: applyWithInboundDeps(inboundDeps, log) });

  sender = roles.worker
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
        publish,
        ...(database.commitThenSyncOffLoop ? { commitOffLoop: database.commitThenSyncOffLoop } : {}),
        options: {
          ...(config.OUTBOUND_CONCURRENCY === undefined ? {} : { concurrency: config.OUTBOUND_CONCURRENCY }),
          leaseMs: config.GRAPH_API_TIMEOUT_MS + 5_000,
          inDoubtMs: config.OUTBOUND_IN_DOUBT_MS,
          maxAttempts: config.OUTBOUND_MAX_ATTEMPTS,
          pollIntervalMs: 250,
          // 5 ms: at 1,000 sends/s about five outcomes share a commit; a lone message waits 5 ms more.
          roundGatherMs: 5,
          maxInlineWaitMs: 2_000,
          tokenExpiredPauseMs: 60_000,
          consentPolicy,
        },
      })
    : null;
  const templatesDeps: TemplatesDeps = {
    db,
    clock,
    ids,
    numbers,
    api: templatesApi,
    defaultLocale: config.TEMPLATE_DEFAULT_LANGUAGE,
    timeZone: config.TEMPLATE_TIME_ZONE,
  };
  const queueDeps: QueueMessageDeps = {
    db,
    // API requests that arrive together share one commit (one fsync on SQLite).
    transactions: new GroupTransaction(
      db,
      database.commitThenSyncOffLoop ? { commitOffLoop: database.commitThenSyncOffLoop } : {},
    ),
    clock,
    ids,
    numbers,
    defaultRegion: config.DEFAULT_REGION,
    templateDefaultLanguage: config.TEMPLATE_DEFAULT_LANGUAGE,
    templateTimeZone: config.TEMPLATE_TIME_ZONE,
    // In a process without a sender (`serve` with workers elsewhere), the sender's poll picks messages up.
    // The worker too: the send's domain events (the inbox's live update among them) run at once, not at its next poll.
    onQueued: () => {
      sender?.notify();
      queue.announceEnqueued();
    },
    consentPolicy,
    privacySalt,
    publish,
  };
  // Automation: the rules engine runs each event as a lease job (its actions send and call webhooks).
  const webhooks = createWebhookSender({ allowPrivate: config.AUTOMATION_WEBHOOK_ALLOW_PRIVATE });
  const automationDeps: AutomationDeps = {
    db,
    clock,
    ids,
    log,
    queueDeps,
    crm: crm.commands,
    inbox: inboxCommands,
    webhooks,
    webhookTimeoutMs: config.AUTOMATION_WEBHOOK_TIMEOUT_MS,
    regex: createRegexTester(),
    enqueue,
  };
  subscribers.push(automationSubscriber(automationDeps));

  const worker = roles.worker
    ? new Worker(
        queue,
        [
          processInboundEventJob(inboundDeps),
          downloadMediaJob({ graph, numbers, store: mediaStore, clock }),
          markAsReadJob({ graph, numbers }),
          consentReplyJob(queueDeps, { opt_out: config.CONSENT_OPT_OUT_REPLY, opt_in: config.CONSENT_OPT_IN_REPLY }),
          ...(config.RETENTION_DAYS ? [retentionPurgeJob({ db, store: mediaStore, clock, days: config.RETENTION_DAYS, enqueue })] : []),
          pruneDoneJobsJob({ db, clock, keepMs: config.JOB_KEEP_DONE_HOURS * 3_600_000, enqueue }),
          ...subscribers.map(subscriberJob),
          windowClosingJob(automationDeps, (event, only) => runRulesForEvent(automationDeps, event, only)),
          ...crm.jobs,
        ],
        {
        batchSize: config.WORKER_BATCH_SIZE,
        gatherMs: config.WORKER_GATHER_MS,
        // Only beside an HTTP server: a worker process alone has nothing to give way to.
        ...(roles.http && config.WORKER_BUSY_SHARE < 1 ? { yieldTo: givingWay(config.WORKER_BUSY_SHARE) } : {}),
        pollIntervalMs: 500,
        // SQLite has one connection: webhooks waiting to be written end a worker batch early, and
        // a batch's commit (redone after a power cut, never lost to a crash) does not wait for fsync.
        ...(database.dialect === 'sqlite' ? { shouldYield: () => ingestor.writesWaiting() } : {}),
        ...(database.withoutCommitFsync ? { batchConnection: database.withoutCommitFsync } : {}),
        clock,
        log,
        onProcessed: (job, outcome) => jobsMetrics.processed.inc({ job: job.name, outcome }),
        },
      )
    : null;
  if (worker && config.RETENTION_DAYS) await scheduleRetentionPurge(db, enqueue, clock.now());
  if (worker) await enqueue(db, [pruneDoneJobsRun(clock.now())]);

  const app = roles.http
    ? await buildApp({
        db,
        log,
        registry,
        apiToken: config.SWITCHBOARD_API_TOKEN,
        verifyToken: config.WHATSAPP_VERIFY_TOKEN,
        trustProxy: config.TRUST_PROXY,
        webhookBodyLimitBytes: config.WEBHOOK_BODY_LIMIT_BYTES,
        ...(database.withoutCommitFsync ? { commitWithoutFsync: database.withoutCommitFsync } : {}),
        ingestor,
        inboundMetrics,
        contacts: { clock, ids, defaultRegion: config.DEFAULT_REGION },
        numbers,
        graph,
        mediaStore,
        queueDeps,
        privacySalt,
        templates: templatesDeps,
        publish,
        automation: automationDeps,
        // Events an API change published (a lead created in the CRM) run at once, not at the worker's next poll.
        // Only if the request enqueued any: a webhook (which wakes the worker itself) or a read-only POST wakes nobody.
        onChangeAnswered: () => queue.announceEnqueued(),
        crm: { ...crm.routes, webhook: crm.webhook },
        inbox: {
          auth: {
            sessions: { db, clock, policy: { idleMs: config.SESSION_IDLE_MINUTES * 60_000, absoluteMs: config.SESSION_MAX_HOURS * 3_600_000 } },
            ids,
            throttle: { maxFailures: config.LOGIN_MAX_FAILURES, windowMs: config.LOGIN_WINDOW_MINUTES * 60_000 },
          },
          routes: {
            deps: inboxDeps,
            numbers: async () => (await numbers.list()).map((n) => ({ phoneNumberId: n.phoneNumberId, displayPhoneNumber: n.displayPhoneNumber })),
          },
          live: { bus: inboxBus, hub: inboxHub! },
        },
      })
    : null;

  return {
    app,
    syncTemplates: () => syncTemplates(templatesDeps),
    worker,
    sender,
    storage,
    numbers,
    ingestor,
    registry,
    inbox: { commands: inboxCommands, hub: inboxHub },
    crm,
    async close() {
      // Stop taking requests first (in-flight ones finish and are stored), then let the work in progress commit.
      // A keep-alive connection that is busy when closing starts would hold close() for its whole
      // timeout: after a grace period, the remaining connections are cut.
      const cut = app ? setTimeout(() => app.server.closeAllConnections(), 5_000) : null;
      // Event streams never end by themselves: ended first, so that the server can close.
      await inboxHub?.close();
      await app?.close();
      if (cut) clearTimeout(cut);
      await sender?.stop();
      await worker?.stop();
      await graph.close();
      await webhooks.close();
      await crm.close();
      redis?.disconnect();
      await inboxBus.close();
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
  if (switchboard.worker) await switchboard.crm.startPolling();
  if (switchboard.worker && (await switchboard.numbers.list()).length > 0) {
    // The catalogue is fetched in the background: start-up never waits on Meta.
    void switchboard.syncTemplates().then(
      (counts) => log.info({ templates: counts }, 'templates synced'),
      (error: unknown) => log.warn({ err: error }, 'template sync failed; POST /api/v1/templates/sync retries'),
    );
  }
  return switchboard;
}
