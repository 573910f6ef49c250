import type { Db, DbExecutor } from '../../db/database.js';
import type { NewJob } from '../../jobs/job-definition.js';
import type { Clock } from '../../platform/clock.js';
import type { IdGenerator } from '../../platform/ids.js';
import type { Logger } from '../../platform/logger.js';
import type { CrmCommands } from '../crm/crm-commands.js';
import type { InboxCommands } from '../inbox/inbox-commands.js';
import type { QueueMessageDeps } from '../outbound/index.js';
import type { RegexTester } from './core/evaluate-rule.js';
import type { WebhookSender } from './webhook.client.js';

export type AutomationDeps = {
  db: Db;
  clock: Clock;
  ids: IdGenerator;
  log: Logger;
  /** Sends (`queueMessage`); it opens its own transactions on `queueDeps.db`. */
  queueDeps: QueueMessageDeps;
  /** Null when no CRM is configured: CRM actions then fail with AUTOMATION_CRM_NOT_CONFIGURED. */
  crm: CrmCommands | null;
  /** Null without the shared inbox: its actions then fail with AUTOMATION_INBOX_NOT_CONFIGURED. */
  inbox: InboxCommands | null;
  webhooks: WebhookSender;
  webhookTimeoutMs: number;
  regex: RegexTester;
  /** Schedules the window checks (`automation.window_closing`). */
  enqueue: (exec: DbExecutor, jobs: NewJob[]) => Promise<void>;
};
