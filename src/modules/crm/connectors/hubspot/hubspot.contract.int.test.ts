import { describeConnectorContract } from '../../testing/connector-contract.js';
import { hubspotUnderTest } from './testing/hubspot-under-test.js';

// The fake pages by 20 so that the paging case needs several pages; polling reports changes at
// once (pollSettleMs 0), as the suite polls right after a change made in the CRM.
describeConnectorContract('HubSpot', async () => {
  const under = await hubspotUnderTest({ fake: { pageSize: 20 }, connector: { pollSettleMs: 0 } });
  return { ...under, ownerId: '12345', pageSize: 20 };
});
