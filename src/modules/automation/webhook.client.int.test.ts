import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookSender, isNonPublicAddress } from './webhook.client.js';

/** The webhook action's client against real local HTTP servers: signing, timeouts, redirects, and the refusal of private addresses. */

type Received = { method: string; url: string; headers: IncomingMessage['headers']; body: string };

async function startServer(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, server };
}

const SECRET = 'webhook-secret-0123456789';
const input = (url: string, timeoutMs = 2_000) => ({ url, secret: SECRET, body: { hello: 'world', n: 1 }, deliveryId: 'automation:run-1:0', timeoutMs });

describe('the webhook action client', () => {
  const servers: Server[] = [];
  const allowed = createWebhookSender({ allowPrivate: true });
  const guarded = createWebhookSender({ allowPrivate: false });
  let ok: Awaited<ReturnType<typeof startServer>>;

  beforeAll(async () => {
    ok = await startServer((_req, res) => res.writeHead(204).end());
    servers.push(ok.server);
  });
  afterAll(async () => {
    await allowed.close();
    await guarded.close();
    for (const s of servers) s.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });

  it('POSTs JSON signed with sha256=<HMAC of the body> and a delivery id', async () => {
    const result = await allowed.post(input(`${ok.url}/hook?x=1`));
    expect(result).toMatchObject({ ok: true, status: 204 });
    const request = ok.received.at(-1)!;
    expect(request).toMatchObject({ method: 'POST', url: '/hook?x=1' });
    expect(JSON.parse(request.body)).toEqual({ hello: 'world', n: 1 });
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['x-switchboard-delivery']).toBe('automation:run-1:0');
    expect(request.headers['x-switchboard-signature']).toBe(`sha256=${createHmac('sha256', SECRET).update(request.body).digest('hex')}`);
  });

  it('gives up after the timeout', async () => {
    const silent = await startServer(() => undefined);
    servers.push(silent.server);
    const started = Date.now();
    expect(await allowed.post(input(silent.url, 300))).toEqual({ ok: false, code: 'WEBHOOK_TIMEOUT', message: 'no answer within 300 ms' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('does not follow redirects, and reports error statuses', async () => {
    const redirect = await startServer((_req, res) => res.writeHead(302, { location: `${ok.url}/elsewhere` }).end());
    const failing = await startServer((_req, res) => res.writeHead(503).end('down'));
    servers.push(redirect.server, failing.server);
    const before = ok.received.length;
    expect(await allowed.post(input(redirect.url))).toMatchObject({ ok: false, code: 'WEBHOOK_REDIRECT_REFUSED', status: 302 });
    expect(ok.received.length).toBe(before);
    expect(await allowed.post(input(failing.url))).toMatchObject({ ok: false, code: 'WEBHOOK_HTTP_ERROR', status: 503 });
  });

  it('refuses loopback, private, link-local and mapped addresses, by IP or by name, without connecting', async () => {
    const port = new URL(ok.url).port;
    const before = ok.received.length;
    for (const url of [ok.url, `http://localhost:${port}`, `http://[::1]:${port}`, `http://[::ffff:127.0.0.1]:${port}`, 'http://169.254.169.254/latest/meta-data', 'http://10.1.2.3/', 'http://192.168.0.10/', 'http://0.0.0.0/']) {
      const result = await guarded.post(input(url, 1_000));
      expect(result, url).toMatchObject({ ok: false, code: 'WEBHOOK_ADDRESS_REFUSED' });
    }
    expect(ok.received.length).toBe(before);
  });

  it('reports an unreachable host', async () => {
    expect(await allowed.post(input('http://127.0.0.1:1/'))).toMatchObject({ ok: false, code: 'WEBHOOK_UNREACHABLE' });
  });

  it('tells public addresses from the others', () => {
    for (const a of ['8.8.8.8', '93.184.216.34', '2606:4700:4700::1111', '::ffff:8.8.8.8', '::ffff:808:808']) expect(isNonPublicAddress(a), a).toBe(false);
    for (const a of ['127.0.0.1', '10.0.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:10.0.0.1', '::ffff:a00:1', 'not-an-ip']) {
      expect(isNonPublicAddress(a), a).toBe(true);
    }
  });
});
