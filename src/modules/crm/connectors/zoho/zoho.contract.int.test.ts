import { systemClock } from '../../../../platform/clock.js';
import { MemoryRateLimiter } from '../../../outbound/index.js';
import { describeConnectorContract } from '../../testing/connector-contract.js';
import { createZohoConnector } from './index.js';
import { startZohoFake, ZOHO_FAKE_CLIENT, ZOHO_FAKE_OWNER } from './testing/zoho-fake.server.js';

describeConnectorContract('Zoho CRM', async () => {
  const fake = await startZohoFake();
  const connector = createZohoConnector({
    accountsUrl: fake.accountsUrl,
    apiUrl: fake.apiUrl,
    ...ZOHO_FAKE_CLIENT,
    limiter: new MemoryRateLimiter(systemClock),
    clock: systemClock,
  });
  return {
    connector,
    fake: fake.controls,
    ownerId: ZOHO_FAKE_OWNER.id,
    pageSize: 200,
    async close() {
      await connector.close();
      await fake.close();
    },
  };
});
