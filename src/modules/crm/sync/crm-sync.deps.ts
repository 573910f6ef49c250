import type { Db } from '../../../db/database.js';
import type { NewJob } from '../../../jobs/job-definition.js';
import type { Clock } from '../../../platform/clock.js';
import type { IdGenerator } from '../../../platform/ids.js';
import type { EventPublisher } from '../../events/index.js';
import type { CrmConnector } from '../crm-connector.js';
import type { FieldMap } from '../core/field-mapping.js';

/** What the sync with an external CRM needs. */
export type CrmSyncDeps = {
  db: Db;
  connector: CrmConnector;
  fieldMap: FieldMap;
  clock: Clock;
  ids: IdGenerator;
  /** ISO country for national numbers in the CRM. */
  defaultRegion: string | undefined;
  publish: EventPublisher;
  enqueue: (exec: Parameters<EventPublisher>[0], jobs: NewJob[]) => Promise<void>;
  /** Random in [0, 1) for retry jitter. */
  random?: () => number;
};
