import { afterEach, describe, expect, it } from 'vitest';
import { isValidSignature } from '../modules/inbound/index.js';
import { ManualClock } from '../platform/clock.js';
import { startFakeHub } from './testing/fake-hub.js';
import { APP_SECRET, NUMBER_ID, startHarness, statusesIn, statusesOf, valueOf, type Harness } from './testing/harness.js';

let h: Harness;
afterEach(() => h?.close());

const textTo = (to: string) => ({ to, type: 'text', text: { body: 'hi' } });

describe('webhook delivery', () => {
  it("signs Meta's escaped bytes: the hub verifies them, and re-serialising them would not match", async () => {
    h = await startHarness();
    const carlos = h.sim.addCustomer({ name: 'Carlos Hernández', waId: '5215512345678' });
    h.sim.customerSays(carlos, NUMBER_ID, '¿Me pueden dar más información? 👍');
    const [received] = await h.hub.waitFor((a) => a.length === 1);
    const raw = received!.rawBody.toString('latin1');
    expect(/^[\x00-\x7f]*$/.test(raw)).toBe(true);
    expect(raw).toContain('Carlos Hern\\u00e1ndez');
    expect(raw).toContain('\\ud83d\\udc4d');
    expect(received!.signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(received!.signatureValid).toBe(true);
    expect(isValidSignature(Buffer.from(JSON.stringify(received!.body)), received!.signature, APP_SECRET)).toBe(false);
  });

  it('retries with exponential backoff until the hub answers 200, and logs every attempt', async () => {
    h = await startHarness({ webhookRetry: { baseDelayMs: 20, maxDelayMs: 1_000, maxAttempts: 6 } });
    h.hub.failNext(3, 500);
    h.sim.customerSays(h.sim.addCustomer({ name: 'Ana', waId: '551187654321' }), NUMBER_ID, 'hi');
    await h.sim.idle();
    const [delivery] = h.sim.deliveries();
    expect(delivery!.state).toBe('delivered');
    expect(delivery!.attempts.map((a) => a.statusCode)).toEqual([500, 500, 500, 200]);
    expect(h.hub.received.map((r) => r.answeredStatus)).toEqual([500, 500, 500, 200]);
    // The same bytes every time: Meta redelivers the stored body.
    expect(new Set(h.hub.received.map((r) => r.rawBody.toString())).size).toBe(1);
    const gaps = h.hub.received.slice(1).map((r, i) => r.at - h.hub.received[i]!.at);
    expect(gaps[0]).toBeGreaterThanOrEqual(15);
    expect(gaps[1]).toBeGreaterThanOrEqual(35);
    expect(gaps[2]).toBeGreaterThanOrEqual(75);
  });

  it('retries after a dropped connection and gives up after the configured attempts', async () => {
    h = await startHarness({ webhookRetry: { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 3 } });
    const ana = h.sim.addCustomer({ name: 'Ana', waId: '551187654321' });
    h.hub.dropNext(1);
    h.sim.customerSays(ana, NUMBER_ID, 'first');
    await h.sim.idle();
    expect(h.sim.deliveries()[0]!.attempts.map((a) => a.statusCode)).toEqual([null, 200]);
    expect(h.sim.deliveries()[0]!.attempts[0]!.error).toEqual(expect.any(String));

    h.hub.failNext(3, 503);
    h.sim.customerSays(ana, NUMBER_ID, 'second');
    await h.sim.idle();
    expect(h.sim.deliveries()[1]).toMatchObject({ state: 'failed', attempts: [{ statusCode: 503 }, { statusCode: 503 }, { statusCode: 503 }] });
  });

  it('keeps deliveries independent: one failing body does not hold back the next', async () => {
    h = await startHarness({ webhookRetry: { baseDelayMs: 400, maxDelayMs: 1_000, maxAttempts: 3 } });
    const ana = h.sim.addCustomer({ name: 'Ana', waId: '551187654321' });
    h.hub.failNext(1);
    h.sim.customerSays(ana, NUMBER_ID, 'one');
    await h.hub.waitFor(() => h.hub.received.length === 1);
    h.sim.customerSays(ana, NUMBER_ID, 'two');
    await h.hub.waitFor((accepted) => accepted.length === 1);
    const texts = (accepted: typeof h.hub.received) => accepted.map((r) => (valueOf(r.body)['messages'] as { text: { body: string } }[])[0]!.text.body);
    expect(texts(h.hub.accepted())).toEqual(['two']);
    await h.sim.idle();
    expect(texts(h.hub.accepted())).toEqual(['two', 'one']);
  });

  it('keeps retrying without a webhook URL until one is configured', async () => {
    h = await startHarness({ webhookUrl: null, webhookRetry: { baseDelayMs: 20, maxDelayMs: 20, maxAttempts: 50 } });
    h.sim.customerSays(h.sim.addCustomer({ name: 'Ana', waId: '551187654321' }), NUMBER_ID, 'hi');
    await expect.poll(() => h.sim.deliveries()[0]!.attempts.length).toBeGreaterThan(1);
    expect(h.sim.deliveries()[0]!.attempts[0]!.error).toBe('no webhookUrl configured');
    h.sim.configure({ webhookUrl: h.hub.url });
    await h.hub.waitFor((a) => a.length === 1);
    await h.sim.idle();
    expect(h.sim.deliveries()[0]!.state).toBe('delivered');
  });

  it('re-signs with a corrected app secret on retry', async () => {
    h = await startHarness({ appSecret: 'wrong-secret', webhookRetry: { baseDelayMs: 20, maxDelayMs: 20, maxAttempts: 10 } });
    h.sim.customerSays(h.sim.addCustomer({ name: 'Ana', waId: '551187654321' }), NUMBER_ID, 'hi');
    await expect.poll(() => h.hub.received.length).toBeGreaterThan(0);
    expect(h.hub.received[0]!.signatureValid).toBe(false);
    h.sim.configure({ appSecret: APP_SECRET });
    await h.hub.waitFor((a) => a.length === 1);
  });
});

describe('status ordering', () => {
  const arrivals = async (options: Parameters<typeof startHarness>[0], sends: number) => {
    h = await startHarness(options);
    const ana = h.sim.addCustomer({ name: 'Ana', waId: '551187654321' });
    h.sim.customerSays(ana, NUMBER_ID, 'hi');
    const wamids: string[] = [];
    for (let i = 0; i < sends; i++) wamids.push((await h.send(textTo('551187654321'))).json().messages[0].id as string);
    await h.sim.idle();
    const result = wamids.map((w) => statusesOf(h.hub, w));
    await h.close();
    return result;
  };

  it('duplicates status webhooks when asked; a duplicate carries the same bytes', async () => {
    const [statuses] = await arrivals({ duplicateRate: 1 }, 1);
    expect(statuses!.map((s) => s['status'])).toEqual(['sent', 'sent', 'delivered', 'delivered', 'read', 'read']);
    expect(statuses![0]).toEqual(statuses![1]);
  });

  it('delivers statuses out of order when asked, with timestamps still in the true order', async () => {
    // 10 ms before a second boundary, so that `sent` and the later statuses fall into different seconds.
    const clock = new ManualClock(1_790_000_000_990);
    const runs = await arrivals({ clock, outOfOrderRate: 1, statusDelaysMs: { sent: 5, delivered: 20, read: 40 } }, 3);
    for (const statuses of runs) {
      expect(statuses.map((s) => s['status'])).not.toEqual(['sent', 'delivered', 'read']);
      const ts = Object.fromEntries(statuses.map((s) => [s['status'], Number(s['timestamp'])]));
      expect(ts['sent']).toBe(1_790_000_000);
      expect(ts['delivered']).toBe(1_790_000_001);
      expect(ts['read']).toBe(1_790_000_001);
    }
  });

  it('repeats the same arrivals for the same seed', async () => {
    const options = { seed: 7, duplicateRate: 0.5, outOfOrderRate: 0.5, statusDelaysMs: { sent: 5, delivered: 40, read: 80 } };
    const order = (runs: Record<string, unknown>[][]) => runs.map((r) => r.map((s) => s['status']).join(','));
    const first = order(await arrivals(options, 6));
    const second = order(await arrivals(options, 6));
    expect(first).toEqual(second);
    expect(new Set(first).size).toBeGreaterThan(1);
  });
});

describe('status batching', () => {
  it('sends one number’s statuses that fall due within the window in one signed POST, at most maxUpdates each', async () => {
    // A window far longer than the three sends take, so that only maxUpdates cuts the batches (a
    // loaded machine took more than 200 ms over them); the last batch waits for it to end.
    h = await startHarness({ webhookBatch: { windowMs: 2_000, maxUpdates: 4 }, statusDelaysMs: { sent: 5, delivered: 10, read: 15 } });
    const ana = h.sim.addCustomer({ name: 'Ana', waId: '551187654321' });
    const bia = h.sim.addCustomer({ name: 'Bia', waId: '551187654322' });
    h.sim.customerSays(ana, NUMBER_ID, 'oi');
    h.sim.customerSays(bia, NUMBER_ID, 'oi');
    const wamids: string[] = [];
    for (const to of ['551187654321', '551187654322', '551187654321']) wamids.push((await h.send(textTo(to))).json().messages[0].id as string);
    await h.sim.idle();

    const statusBodies = h.hub.accepted().filter((r) => statusesIn(r.body).length > 0);
    // 9 statuses in POSTs of at most 4: three POSTs, the first two full.
    expect(statusBodies.map((r) => statusesIn(r.body).length)).toEqual([4, 4, 1]);
    for (const r of statusBodies) expect(isValidSignature(r.rawBody, r.signature, APP_SECRET)).toBe(true);
    for (const wamid of wamids) expect(statusesOf(h.hub, wamid).map((s) => s['status'])).toEqual(['sent', 'delivered', 'read']);
    // Each customer of the batch once in `contacts`, so every status can be tied to its user.
    const [first] = statusBodies;
    const contacts = valueOf(first!.body)['contacts'] as { wa_id: string }[];
    expect(contacts.map((c) => c.wa_id).sort()).toEqual(['551187654321', '551187654322']);
  });

  it('sends each status on its own POST with the window at 0 (the default)', async () => {
    h = await startHarness();
    const ana = h.sim.addCustomer({ name: 'Ana', waId: '551187654321' });
    h.sim.customerSays(ana, NUMBER_ID, 'oi');
    await h.send(textTo('551187654321'));
    await h.send(textTo('551187654321'));
    await h.sim.idle();
    const sizes = h.hub.accepted().map((r) => statusesIn(r.body).length).filter((n) => n > 0);
    expect(sizes).toEqual([1, 1, 1, 1, 1, 1]);
  });
});

describe('fake hub', () => {
  it('refuses a body with a bad signature with 401', async () => {
    const hub = await startFakeHub(APP_SECRET);
    const res = await fetch(hub.url, { method: 'POST', body: '{}', headers: { 'x-hub-signature-256': 'sha256=00' } });
    expect(res.status).toBe(401);
    await hub.close();
  });
});
