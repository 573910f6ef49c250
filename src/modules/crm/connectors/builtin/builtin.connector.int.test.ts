import { afterAll, beforeAll, describe } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../../../../test/support/test-databases.js';
import { systemClock } from '../../../../platform/clock.js';
import { uuidGenerator } from '../../../../platform/ids.js';
import { describeConnectorContract } from '../../testing/connector-contract.js';
import { FaultInjectingConnector } from '../../testing/fault-injecting-connector.js';
import { BuiltinCrmConnector } from './builtin.connector.js';
import { builtinControls } from './testing/builtin-controls.js';

const CLEARED = ['crm_changes', 'crm_activities', 'crm_tasks', 'crm_links', 'crm_people', 'contacts'] as const;

describe.each(DIALECTS)('built-in CRM on %s', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await database.drop();
  });

  describeConnectorContract(`built-in (${dialect})`, async () => {
    for (const table of CLEARED) await database.db.deleteFrom(table).execute();
    const deps = { clock: systemClock, ids: uuidGenerator, defaultRegion: 'US' };
    const faults = new FaultInjectingConnector(new BuiltinCrmConnector({ db: database.db, ...deps, pageSize: 25 }), systemClock);
    return { connector: faults, fake: builtinControls(database.db, deps, faults), pageSize: 25, close: async () => {} };
  });
});
