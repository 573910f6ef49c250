import { generateKeyPairSync } from 'node:crypto';
import { systemClock } from '../../../../platform/clock.js';
import { MemoryRateLimiter } from '../../../outbound/index.js';
import { describeConnectorContract } from '../../testing/connector-contract.js';
import { createSalesforceConnector } from './index.js';
import { startSalesforceFake } from './testing/salesforce-fake.server.js';

// One key pair for every case: generating RSA keys per test would dominate the run time.
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privateKey = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

describeConnectorContract('Salesforce', async () => {
  const fake = await startSalesforceFake({ publicKey: keys.publicKey, pageSize: 25 });
  const connector = createSalesforceConnector({
    loginUrl: fake.url,
    clientId: fake.clientId,
    username: fake.username,
    privateKey,
    limiter: new MemoryRateLimiter(systemClock),
    clock: systemClock,
    // The suite polls right after a change; the hold-back (on by default) has its own tests.
    pollHoldBackMs: 0,
  });
  return {
    connector,
    fake: fake.controls,
    ownerId: fake.ownerId,
    pageSize: 25,
    close: async () => {
      await connector.close();
      await fake.close();
    },
  };
});
