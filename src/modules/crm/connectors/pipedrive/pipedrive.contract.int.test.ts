import { systemClock } from '../../../../platform/clock.js';
import { MemoryRateLimiter } from '../../../outbound/index.js';
import { describeConnectorContract } from '../../testing/connector-contract.js';
import { createPipedriveConnector } from './index.js';
import { PIPEDRIVE_FAKE_TOKEN, PIPEDRIVE_FAKE_USER_ID, startPipedriveFake } from './testing/pipedrive-fake.server.js';

describeConnectorContract('Pipedrive', async () => {
  const fake = await startPipedriveFake();
  const connector = createPipedriveConnector({ baseUrl: fake.url, apiToken: PIPEDRIVE_FAKE_TOKEN, limiter: new MemoryRateLimiter(systemClock), clock: systemClock });
  return {
    connector,
    fake: fake.controls,
    ownerId: String(PIPEDRIVE_FAKE_USER_ID),
    pageSize: 100,
    async close() {
      await connector.close();
      await fake.close();
    },
  };
});
