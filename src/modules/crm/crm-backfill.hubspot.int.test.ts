import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../../test/support/test-databases.js';
import { runCrmBackfill } from '../../cli/crm.command.js';
import { createSwitchboard, type Switchboard } from '../../main.js';
import { loadConfig } from '../../platform/config.js';
import { createLogger } from '../../platform/logger.js';
import { signatureFor } from '../inbound/index.js';
import { HUBSPOT_FAKE_TOKEN, startHubspotFake, type HubspotFake } from './connectors/hubspot/testing/hubspot-fake.server.js';

const APP_SECRET = 'crm-backfill-app-secret';

function inboundText(waId: string, wamid: string, text: string): string {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '204857361209384',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15557340192', phone_number_id: '118274650392817' },
              contacts: [{ profile: { name: 'dora' }, wa_id: waId }],
              messages: [{ from: waId, id: wamid, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: text } }],
            },
          },
        ],
      },
    ],
  });
}

describe.each(DIALECTS)('switchboard crm backfill against the HubSpot fake on %s', (dialect) => {
  let database: TestDatabase;
  let hubspot: HubspotFake;
  let hub: Switchboard | null = null;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    hubspot = await startHubspotFake({ rateLimit: { perTenSeconds: 1000, searchPerSecond: 50 } });
  });
  afterAll(async () => {
    await hub?.close();
    await hubspot.close();
    await database.drop();
  });

  const env = () => ({
    DATABASE_URL: database.url,
    CRM_CONNECTOR: 'hubspot',
    HUBSPOT_ACCESS_TOKEN: HUBSPOT_FAKE_TOKEN,
    HUBSPOT_BASE_URL: hubspot.url,
    DEFAULT_REGION: 'US',
    LOG_LEVEL: 'silent',
  });

  it('imports (415) 555-0142 with our key written back, idempotently; a WhatsApp message from 14155550142 then lands on that contact and on that record', async () => {
    const crmId = await hubspot.controls.createPersonDirectly({ firstName: 'Dora', lastName: 'Reyes', phone: '(415) 555-0142' });
    for (let i = 0; i < 3; i++) await hubspot.controls.createPersonDirectly({ lastName: `Other ${i}`, phone: `(415) 555-${2200 + i}` });

    expect(await runCrmBackfill(env())).toMatchObject({ people: 4, created: 4, keysWritten: 4, failed: 0 });
    expect(await runCrmBackfill(env())).toMatchObject({ people: 4, created: 0, alreadyLinked: 4, keysWritten: 0, failed: 0 });
    expect(await hubspot.controls.personCount()).toBe(4);

    const config = loadConfig({ ...env(), META_APP_SECRET: APP_SECRET, WHATSAPP_VERIFY_TOKEN: 'verify-token', SWITCHBOARD_API_TOKEN: 'api-token-0123456789abcdef' });
    hub = await createSwitchboard(config, createLogger('silent'), { http: true, worker: true });
    const dora = await hub.storage.database.db.selectFrom('contacts').selectAll().where('phone', '=', '+14155550142').executeTakeFirstOrThrow();
    expect(dora.name).toBe('Dora Reyes');
    expect((await hub.crm.connector.findByKey(dora.id))?.crmId).toBe(crmId);

    const body = inboundText('14155550142', 'wamid.crm-backfill-1', 'Hi! Is the flat still available?');
    const res = await hub.app!.inject({ method: 'POST', url: '/webhooks/whatsapp', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signatureFor(Buffer.from(body), APP_SECRET) }, payload: body });
    expect(res.statusCode).toBe(200);
    await hub.worker!.drain();

    const contacts = await hub.storage.database.db.selectFrom('contacts').select('id').execute();
    expect(contacts).toHaveLength(4);
    const message = await hub.storage.database.db.selectFrom('messages').select('contact_id').where('wamid', '=', 'wamid.crm-backfill-1').executeTakeFirstOrThrow();
    expect(message.contact_id).toBe(dora.id);
    expect((await hubspot.controls.activitiesOf(crmId)).map((a) => a.body)).toEqual([expect.stringContaining('Is the flat still available?')]);
    expect(await hubspot.controls.personCount()).toBe(4);

    const person = await hub.app!.inject({ method: 'GET', url: `/api/v1/crm/people/${dora.id}`, headers: { authorization: 'Bearer api-token-0123456789abcdef' } });
    expect(person.json()).toMatchObject({ id: dora.id, crm: { connector: 'hubspot', crmId } });
  });
});
