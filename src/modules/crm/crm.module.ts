import type { Db, DbExecutor } from '../../db/database.js';
import type { JobDefinition, NewJob } from '../../jobs/job-definition.js';
import type { Clock } from '../../platform/clock.js';
import type { CrmConfig } from '../../platform/config.js';
import type { IdGenerator } from '../../platform/ids.js';
import type { EventPublisher, EventSubscriber } from '../events/index.js';
import type { RateLimiter } from '../outbound/index.js';
import type { CrmCommands } from './crm-commands.js';
import { createCrmCommands } from './crm-commands.impl.js';
import type { CrmKind } from './crm-connector.js';
import type { CrmRouteOptions } from './crm.routes.js';
import type { FieldMap } from './core/field-mapping.js';
import { createCrmConnector, type ClosableCrmConnector } from './create-crm-connector.js';
import { loadFieldMap } from './load-field-map.js';
import { createTaskJob, updatePersonJob } from './sync/crm-command.jobs.js';
import { crmSyncRetryJob, crmSyncSubscriber } from './sync/crm-sync.subscriber.js';
import type { CrmSyncDeps } from './sync/crm-sync.deps.js';
import { crmFlushJob, crmOutboxReplayJob } from './sync/flush-crm-outbox.job.js';
import type { CrmWebhookRouteOptions } from './sync/crm-webhook.route.js';
import { ensureCrmPolling, pollCrmChangesJob } from './sync/poll-crm-changes.job.js';

export type CrmModuleDeps = {
  db: Db;
  clock: Clock;
  ids: IdGenerator;
  limiter: RateLimiter;
  enqueue: (exec: DbExecutor, jobs: NewJob[]) => Promise<void>;
  publish: EventPublisher;
};

/** Everything the composition root wires for the configured CRM. */
export type Crm = {
  kind: CrmKind;
  connector: ClosableCrmConnector;
  fieldMap: FieldMap;
  commands: CrmCommands;
  /** `crm-sync` with an external CRM; none for the built-in one (its people are the contacts). */
  subscribers: EventSubscriber[];
  jobs: JobDefinition[];
  routes: Omit<CrmRouteOptions, 'db'>;
  /** The CRM webhook route's options; null for the built-in CRM. */
  webhook: Omit<CrmWebhookRouteOptions, 'bodyLimitBytes'> | null;
  /** Starts the change-feed polling chain (worker processes). */
  startPolling(): Promise<void>;
  close(): Promise<void>;
};

export function createCrm(config: CrmConfig, deps: CrmModuleDeps): Crm {
  const kind = config.CRM_CONNECTOR;
  const fieldMap = loadFieldMap(kind, config);
  const connector = createCrmConnector(config, { db: deps.db, clock: deps.clock, ids: deps.ids, limiter: deps.limiter, fieldMap });
  const builtinDeps = { clock: deps.clock, ids: deps.ids, defaultRegion: config.DEFAULT_REGION };
  const commands = createCrmCommands({ ...builtinDeps, kind, enqueue: deps.enqueue });
  const routes = { deps: builtinDeps, kind, publish: deps.publish, commands, enqueue: deps.enqueue };
  if (kind === 'builtin') {
    return { kind, connector, fieldMap, commands, subscribers: [], jobs: [], routes, webhook: null, startPolling: async () => {}, close: async () => {} };
  }
  const syncDeps: CrmSyncDeps = { db: deps.db, connector, fieldMap, clock: deps.clock, ids: deps.ids, defaultRegion: config.DEFAULT_REGION, publish: deps.publish, enqueue: deps.enqueue };
  return {
    kind,
    connector,
    fieldMap,
    commands,
    subscribers: [crmSyncSubscriber(syncDeps)],
    jobs: [crmFlushJob(syncDeps), crmOutboxReplayJob(syncDeps), crmSyncRetryJob(syncDeps), updatePersonJob(syncDeps), createTaskJob(syncDeps), pollCrmChangesJob(syncDeps, config.CRM_POLL_INTERVAL_MS)],
    routes,
    webhook: { deps: syncDeps },
    startPolling: () => ensureCrmPolling(deps.db, deps.enqueue, kind, deps.clock.now(), config.CRM_POLL_INTERVAL_MS),
    close: async () => {
      await connector.close?.();
    },
  };
}
