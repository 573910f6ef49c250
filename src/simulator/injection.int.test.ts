import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NUMBER_ID, startHarness, TOKEN, type Harness } from './testing/harness.js';

const sale = { type: 'template', template: { name: 'spring_sale', language: { code: 'en_US' } } };

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ templates: [{ name: 'spring_sale', language: 'en_US', category: 'MARKETING', components: [{ type: 'BODY', text: 'Sale!' }] }] });
});
afterEach(() => h.close());

describe('error injection', () => {
  it('answers the next n sends with the chosen Meta error, then sends go through again', async () => {
    h.sim.injectError({ code: 131000, times: 2 });
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await h.send({ to: '551187654321', ...sale }));
    expect(results.map((r) => r.statusCode)).toEqual([400, 400, 200]);
    expect(results[0]!.json().error).toMatchObject({ code: 131000, type: 'OAuthException', message: '(#131000) Something went wrong', error_data: { messaging_product: 'whatsapp' } });
  });

  it.each([131048, 131049, 131057, 130472, 80007, 4, 368, 131031, 133010])('can inject error %i in its envelope', async (code) => {
    h.sim.injectError({ code });
    const res = await h.send({ to: '551187654321', ...sale });
    expect(res.json().error).toMatchObject({ code, type: 'OAuthException', message: expect.any(String), fbtrace_id: expect.any(String) });
  });

  it('only hits the sends that match `to` and `type`', async () => {
    h.sim.injectError({ code: 131056, match: { to: '+447700900123', type: 'template' } });
    expect((await h.send({ to: '551187654321', ...sale })).statusCode).toBe(200);
    expect((await h.send({ to: '447700900123', ...sale })).json().error.code).toBe(131056);
    expect((await h.send({ to: '447700900123', ...sale })).statusCode).toBe(200);
  });

  it.each([500, 502, 503])('answers HTTP %i with a Graph-style transient error body', async (httpStatus) => {
    h.sim.injectError({ httpStatus, times: 1 });
    const res = await h.send({ to: '551187654321', ...sale });
    expect(res.statusCode).toBe(httpStatus);
    expect(res.json()).toEqual({
      error: { message: expect.any(String), type: 'OAuthException', is_transient: true, code: httpStatus === 500 ? 1 : 2, fbtrace_id: expect.any(String) },
    });
  });

  it('can give a Meta code its own HTTP status (130429 as 429)', async () => {
    h.sim.injectError({ code: 130429, httpStatus: 429 });
    const res = await h.send({ to: '551187654321', ...sale });
    expect(res.statusCode).toBe(429);
    expect(res.json().error.code).toBe(130429);
  });

  it('applies to media and template endpoints when asked', async () => {
    h.sim.injectError({ code: 80007, endpoint: 'templates' });
    h.sim.injectError({ httpStatus: 503, endpoint: 'media' });
    expect((await h.graph('GET', '/v23.0/204857361209384/message_templates')).json().error.code).toBe(80007);
    expect((await h.graph('GET', '/v23.0/123456789012345')).statusCode).toBe(503);
    expect((await h.send({ to: '551187654321', ...sale })).statusCode).toBe(200);
  });

  it('clears pending injections', async () => {
    h.sim.injectError({ code: 131000, times: 5 });
    h.sim.clearInjections();
    expect((await h.send({ to: '551187654321', ...sale })).statusCode).toBe(200);
  });
});

describe('timeout injection', () => {
  it("holds the response past the client's timeout; the message still goes out (a real ambiguity)", async () => {
    const base = await h.sim.listen(0);
    h.sim.injectTimeout({ times: 1, delayMs: 400 });
    // Only the held call gets a timeout it outlasts; the next one is not held, and a loaded machine
    // may take longer than 100 ms to answer it.
    const post = (timeoutMs: number) =>
      request(`${base}/v23.0/${NUMBER_ID}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ messaging_product: 'whatsapp', to: '551187654321', ...sale }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    await expect(post(100)).rejects.toThrow(/abort|timeout/i);
    const next = await post(5_000);
    expect(next.statusCode).toBe(200);
    await next.body.dump();
    await expect.poll(() => h.sim.sentMessages().length, { timeout: 5_000 }).toBe(2);
  });

  it('releases held responses when the simulator closes', async () => {
    h.sim.injectTimeout({ times: 1, delayMs: 60_000 });
    const pending = h.send({ to: '551187654321', ...sale });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const started = Date.now();
    await h.sim.close();
    expect((await pending).statusCode).toBe(503);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
