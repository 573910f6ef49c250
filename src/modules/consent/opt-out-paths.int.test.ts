import { afterEach, describe, expect, it } from 'vitest';
import { NUMBER_ID, startHubWithSimulator, type HubWithSimulator } from '../../../test/support/hub-with-simulator.js';
import { DIALECTS } from '../../../test/support/test-databases.js';
import type { TemplateSeed } from '../../simulator/index.js';

// Every way a customer opts out (a STOP message, WhatsApp's own "stop promotions", Meta refusing
// a send with 131050), each followed by a marketing send that the hub refuses itself.

const TEMPLATES: TemplateSeed[] = [
  { name: 'spring_sale', language: 'en_US', category: 'MARKETING', components: [{ type: 'BODY', text: 'Spring sale: 20% off everything.' }] },
  { name: 'order_update', language: 'en_US', category: 'UTILITY', components: [{ type: 'BODY', text: 'Your order has shipped.' }] },
];
const marketing = { type: 'template', template: { name: 'spring_sale', language: 'en_US' } };
const utility = { type: 'template', template: { name: 'order_update', language: 'en_US' } };

type Ledger = { category: string; action: string; source: string }[];

describe.each(DIALECTS)('opt-out paths on %s', (dialect) => {
  let h: HubWithSimulator | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  async function start(simulator: Record<string, unknown> = {}, env: Record<string, string> = {}): Promise<HubWithSimulator> {
    h = await startHubWithSimulator({ dialect, env, simulator: { templates: TEMPLATES, ...simulator } });
    return h;
  }

  async function customer(hub: HubWithSimulator, waId: string): Promise<{ ref: ReturnType<HubWithSimulator['sim']['addCustomer']>; contactId: string }> {
    const ref = hub.sim.addCustomer({ name: `Customer ${waId.slice(-4)}`, waId });
    hub.sim.customerSays(ref, NUMBER_ID, 'Hello');
    const contactId = await hub.waitFor(async () => {
      const found = await hub.api<{ data: { id: string }[] }>(`contacts?phone=%2B${waId}`);
      return found.json.data[0]?.id ?? false;
    }, 10_000, 'the contact to exist');
    return { ref, contactId };
  }

  const ledger = async (hub: HubWithSimulator, contactId: string): Promise<Ledger> =>
    (await hub.api<{ ledger: Ledger }>(`contacts/${contactId}/consent`)).json.ledger;

  const send = (hub: HubWithSimulator, contactId: string, body: Record<string, unknown>) =>
    hub.api<{ id: string; status: string; error: { code: string } | null }>('messages', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contactId, ...body }),
    });

  it('a STOP message opts out of marketing at once, START opts back in', async () => {
    const hub = await start();
    const { ref, contactId } = await customer(hub, '16505550301');
    hub.sim.customerSays(ref, NUMBER_ID, '  Stop! ');
    await hub.waitFor(async () => (await ledger(hub, contactId)).some((e) => e.category === 'marketing' && e.action === 'opt_out' && e.source === 'inbound_keyword'), 10_000);

    const refused = await send(hub, contactId, marketing);
    expect(refused.status).toBe(422);
    expect(refused.json).toMatchObject({ error: { code: 'CONSENT_REQUIRED' } });
    // Utility messages follow their own policy (default: not blocked by a marketing opt-out).
    const update = await send(hub, contactId, utility);
    expect(update.status).toBe(202);
    expect(update.json).toMatchObject({ category: 'utility', template: { name: 'order_update', language: 'en_US' } });
    // A sentence that merely contains the word is not an opt-out, and free-form replies are service.
    expect((await send(hub, contactId, { type: 'text', text: { body: 'Sorry to see you go' } })).status).toBe(202);

    hub.sim.customerSays(ref, NUMBER_ID, 'START');
    await hub.waitFor(async () => (await ledger(hub, contactId)).some((e) => e.category === 'marketing' && e.action === 'opt_in'), 10_000);
    const resumed = await send(hub, contactId, marketing);
    expect(resumed.status).toBe(202);
    await hub.waitFor(async () => ['sent', 'delivered', 'read'].includes((await hub.api<{ status: string }>(`messages/${resumed.json.id}`)).json.status), 10_000);
  });

  it('confirms an opt-out once, with the configured reply, even when the STOP webhook is delivered twice', async () => {
    const reply = 'You will get no more promotions. Reply START to get them again.';
    const hub = await start({ duplicateRate: 0 }, { CONSENT_OPT_OUT_REPLY: reply });
    const { ref, contactId } = await customer(hub, '16505550341');
    hub.sim.customerSays(ref, NUMBER_ID, 'STOP');
    await hub.waitFor(async () => (await ledger(hub, contactId)).some((e) => e.action === 'opt_out'), 10_000);
    const confirmations = () => hub.sim.sentMessages().filter((m) => JSON.stringify(m).includes(reply));
    await hub.waitFor(() => confirmations().length === 1, 10_000, 'the confirmation to be sent');
    // Meta redelivers the same STOP: no second confirmation.
    const stop = (await hub.api<{ data: { wamid: string; text: string }[] }>(`contacts/${contactId}/timeline`)).json.data.find((e) => e.text === 'STOP')!;
    const webhook = {
      object: 'whatsapp_business_account',
      entry: [{ id: '204857361209384', changes: [{ field: 'messages', value: {
        messaging_product: 'whatsapp',
        metadata: { display_phone_number: '15557340192', phone_number_id: NUMBER_ID },
        contacts: [{ profile: { name: 'Customer 0341' }, wa_id: '16505550341' }],
        messages: [{ from: '16505550341', id: stop.wamid, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: 'STOP' } }],
      } }] }],
    };
    expect((await hub.postWebhook(JSON.stringify(webhook))).status).toBe(200);
    await hub.sim.idle();
    await new Promise((r) => setTimeout(r, 500));
    expect(confirmations()).toHaveLength(1);
  });

  it('PARAR, BAJA and ARRÊT opt out just as STOP does, but not inside a sentence', async () => {
    const hub = await start();
    const people = await Promise.all(['16505550311', '16505550312', '16505550313', '16505550314'].map((waId) => customer(hub, waId)));
    const words = ['PARAR', 'baja', 'Arrêt.', 'please do not stop sending me offers'];
    people.forEach((p, i) => hub.sim.customerSays(p.ref, NUMBER_ID, words[i]!));
    for (const p of people.slice(0, 3)) {
      await hub.waitFor(async () => (await ledger(hub, p.contactId)).some((e) => e.action === 'opt_out'), 10_000);
      expect((await send(hub, p.contactId, marketing)).json).toMatchObject({ error: { code: 'CONSENT_REQUIRED' } });
    }
    await hub.sim.idle();
    await hub.waitFor(async () => (await hub.api<{ data: { text: string }[] }>(`contacts/${people[3]!.contactId}/timeline`)).json.data.some((e) => e.text === words[3]), 10_000);
    expect(await ledger(hub, people[3]!.contactId)).toEqual([]);
    expect((await send(hub, people[3]!.contactId, marketing)).status).toBe(202);
  });

  it("WhatsApp's own stop (the user_preferences webhook) opts out of marketing", async () => {
    const hub = await start();
    const { contactId } = await customer(hub, '16505550321');
    const webhook = {
      object: 'whatsapp_business_account',
      entry: [{ id: '204857361209384', time: 1791047600, changes: [{ field: 'user_preferences', value: {
        messaging_product: 'whatsapp',
        metadata: { display_phone_number: '15557340192', phone_number_id: NUMBER_ID },
        contacts: [{ profile: { name: 'Customer 0321' }, wa_id: '16505550321' }],
        user_preferences: [{ wa_id: '16505550321', detail: 'User requested to stop marketing messages', category: 'marketing_messages', value: 'stop', timestamp: 1791047600 }],
      } }] }],
    };
    expect((await hub.postWebhook(JSON.stringify(webhook))).status).toBe(200);
    await hub.waitFor(async () => (await ledger(hub, contactId)).some((e) => e.action === 'opt_out' && e.source === 'user_preferences'), 10_000);
    expect((await send(hub, contactId, marketing)).json).toMatchObject({ error: { code: 'CONSENT_REQUIRED' } });
  });

  it('Meta refusing a marketing send with 131050 opts the contact out, and the next marketing send is refused before Meta', async () => {
    // The simulator knows the customer stopped (its own STOP), but the hub never heard of it.
    const hub = await start({ asyncFailures: [131026] });
    const { ref, contactId } = await customer(hub, '16505550331');
    const { webhookUrl } = hub.sim.settings();
    hub.sim.configure({ webhookUrl: 'http://127.0.0.1:9/unreachable', webhookRetry: { maxAttempts: 1 } });
    hub.sim.customerStops(ref, NUMBER_ID);
    await hub.sim.idle();
    hub.sim.configure({ webhookUrl, webhookRetry: { maxAttempts: 60 } });
    expect(await ledger(hub, contactId)).toEqual([]);

    const first = await send(hub, contactId, marketing);
    expect(first.status).toBe(202);
    await hub.waitFor(async () => (await hub.api<{ status: string }>(`messages/${first.json.id}`)).json.status === 'failed', 10_000);
    expect(await ledger(hub, contactId)).toContainEqual(expect.objectContaining({ category: 'marketing', action: 'opt_out', source: 'meta_error_131050' }));

    const attemptsBefore = hub.sendAttempts().length;
    expect((await send(hub, contactId, marketing)).json).toMatchObject({ error: { code: 'CONSENT_REQUIRED' } });
    expect(hub.sendAttempts().length).toBe(attemptsBefore);
  });
});
