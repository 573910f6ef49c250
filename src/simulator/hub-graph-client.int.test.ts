/**
 * Contract check: the hub's own Graph client (src/modules/outbound) against the simulator, over
 * real HTTP, the way `switchboard serve` uses it with GRAPH_API_BASE_URL pointed here.
 */
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { GraphClient } from '../modules/outbound/index.js';
import { NUMBER_ID, startHarness, TOKEN, WABA_ID, type Harness } from './testing/harness.js';

let h: Harness;
let baseUrl: string;
/** Patient enough for a loaded machine: only the test of timeouts uses a client with a short one. */
let client: GraphClient;
beforeEach(async () => {
  h = await startHarness({
    templates: Array.from({ length: 5 }, (_, i) => ({ name: `t_${i}`, language: 'en_US', category: 'UTILITY' as const, components: [{ type: 'BODY', text: `Body ${i}` }] })),
  });
  baseUrl = await h.sim.listen(0);
  client = new GraphClient({ baseUrl, version: 'v24.0', timeoutMs: 5_000 });
});
afterEach(async () => {
  await client.close();
  await h.close();
});

describe("the hub's GraphClient against the simulator", () => {
  it('sends, marks as read, and reads statuses back', async () => {
    const ana = h.sim.addCustomer({ name: 'Ana', waId: '551187654321', aliases: ['5511987654321'] });
    const inbound = h.sim.customerSays(ana, NUMBER_ID, 'oi');
    const sent = await client.sendMessage(NUMBER_ID, TOKEN, { to: '+5511987654321', type: 'text', text: { body: 'olá' } });
    expect(sent).toEqual({ ok: true, value: { wamid: expect.stringMatching(/^wamid\./), messageStatus: null, waId: '551187654321' } });
    expect(await client.markRead(NUMBER_ID, TOKEN, inbound, true)).toEqual({ ok: true, value: undefined });
  });

  it("gets Meta's errors as `meta` failures with code, subcode and details", async () => {
    const closed = await client.sendMessage(NUMBER_ID, TOKEN, { to: '447700900123', type: 'text', text: { body: 'x' } });
    expect(closed).toMatchObject({ ok: false, error: { kind: 'meta', httpStatus: 400, code: 131047, subcode: 2494055, details: expect.stringContaining('24 hours') } });
    h.sim.expireToken(TOKEN);
    expect(await client.sendMessage(NUMBER_ID, TOKEN, { to: '447700900123', type: 'text', text: { body: 'x' } })).toMatchObject({ ok: false, error: { kind: 'meta', httpStatus: 401, code: 190, subcode: 463 } });
  });

  it('sees injected 5xx as Meta envelopes and injected timeouts as `timeout`', async () => {
    h.sim.injectError({ httpStatus: 503 });
    expect(await client.sendMessage(NUMBER_ID, TOKEN, { to: '551187654321', type: 'template', template: { name: 't_0', language: { code: 'en_US' } } })).toMatchObject({
      ok: false,
      error: { kind: 'meta', httpStatus: 503, code: 2 },
    });
    // Held far past this client's timeout: undici checks its headers timeout on a coarse timer,
    // so 300 ms run out only about a second after the request (closing the simulator ends the hold).
    const impatient = new GraphClient({ baseUrl, version: 'v24.0', timeoutMs: 300 });
    onTestFinished(() => impatient.close());
    h.sim.injectTimeout({ delayMs: 10_000 });
    expect(await impatient.sendMessage(NUMBER_ID, TOKEN, { to: '551187654321', type: 'template', template: { name: 't_0', language: { code: 'en_US' } } })).toMatchObject({
      ok: false,
      error: { kind: 'timeout' },
    });
  });

  it('uploads media and reads its metadata', async () => {
    const uploaded = await client.uploadMedia(NUMBER_ID, TOKEN, { bytes: Buffer.from('%PDF-1.4 test'), mimeType: 'application/pdf', filename: 'a.pdf' });
    expect(uploaded.ok).toBe(true);
    const id = uploaded.ok ? uploaded.value : '';
    expect(await client.mediaMetadata(id, TOKEN)).toMatchObject({ ok: true, value: { id, mime_type: 'application/pdf', file_size: '13' } });
  });

  // KNOWN HUB BUG (src/modules/outbound/whatsapp/graph.client.ts, downloadMedia): undici 7 refuses
  // the `maxRedirections` request option ("maxRedirections is not supported, use the redirect
  // interceptor"), so every download fails, reported as a `timeout`. Turn this into `it` once fixed.
  it('downloads media with the bearer token', async () => {
    const uploaded = await client.uploadMedia(NUMBER_ID, TOKEN, { bytes: Buffer.from('%PDF-1.4 test'), mimeType: 'application/pdf', filename: 'a.pdf' });
    const metadata = uploaded.ok ? await client.mediaMetadata(uploaded.value, TOKEN) : null;
    const downloaded = metadata?.ok ? await client.downloadMedia(metadata.value.url, TOKEN, 1_000_000) : null;
    expect(downloaded).toMatchObject({ ok: true, value: { contentType: 'application/pdf' } });
  });

  it('lists templates page by page', async () => {
    const names: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await client.listTemplates(WABA_ID, TOKEN, after, 2);
      if (!page.ok) throw new Error(JSON.stringify(page.error));
      names.push(...page.value.data.map((t) => t.name));
      if (!page.value.paging?.next) break;
      after = page.value.paging.cursors?.after;
    }
    expect(names).toEqual(['t_0', 't_1', 't_2', 't_3', 't_4']);
  });
});
