/**
 * The HubSpot connector wired to a fresh HubSpot fake, for tests (and the contract suite).
 * By default both sides use a 1,000-requests-per-10-s limit so that behaviour tests are not paced;
 * the rate-limit tests pass HubSpot's real tiers. Give a ManualClock to run HubSpot time without waiting.
 */
import { ManualClock, systemClock, type Clock } from '../../../../../platform/clock.js';
import { MemoryRateLimiter } from '../../../../outbound/index.js';
import type { ConnectorUnderTest } from '../../../testing/fake-crm-controls.js';
import { createHubspotConnector, type HubspotConnector, type HubspotConnectorOptions } from '../hubspot.connector.js';
import { HUBSPOT_FAKE_TOKEN, startHubspotFake, type HubspotFakeControls, type HubspotFakeOptions } from './hubspot-fake.server.js';

export type HubspotUnderTest = ConnectorUnderTest & { connector: HubspotConnector; fake: HubspotFakeControls; url: string };

export async function hubspotUnderTest(
  options: { clock?: Clock; fake?: HubspotFakeOptions; connector?: Partial<HubspotConnectorOptions> } = {},
): Promise<HubspotUnderTest> {
  const clock = options.clock ?? systemClock;
  const server = await startHubspotFake({ rateLimit: { perTenSeconds: 1000, searchPerSecond: 50 }, clock, ...options.fake });
  const connector = createHubspotConnector({
    baseUrl: server.url,
    accessToken: options.fake?.accessToken ?? HUBSPOT_FAKE_TOKEN,
    limiter: new MemoryRateLimiter(clock),
    clock,
    rateLimit: { perTenSeconds: 1000, searchPerSecond: 50 },
    portalId: '4242',
    // On a manual clock, waiting for a rate-limit token moves the clock (which the fake shares) instead of sleeping.
    ...(clock instanceof ManualClock ? { sleep: async (ms: number) => clock.advance(ms) } : {}),
    ...options.connector,
  });
  return {
    connector,
    fake: server.controls,
    url: server.url,
    async close() {
      await connector.close();
      await server.close();
    },
  };
}
