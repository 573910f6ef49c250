import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { webUi } from './web-ui.js';

const INDEX = '<!doctype html><html><body><div id="root"></div><script type="module" src="/assets/index-abc123.js"></script></body></html>';

let dirs: string[] = [];
let apps: FastifyInstance[] = [];

afterEach(async () => {
  for (const app of apps) await app.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  apps = [];
  dirs = [];
});

function builtUi(): string {
  const root = mkdtempSync(join(tmpdir(), 'switchboard-web-'));
  dirs.push(root);
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'index.html'), INDEX);
  writeFileSync(join(root, 'assets', 'index-abc123.js'), 'console.log("inbox")');
  return root;
}

/** The app as src/http/app.ts builds it: its JSON 404, an API route and a probe beside the UI. */
async function appWith(root: string): Promise<FastifyInstance> {
  const app = Fastify();
  apps.push(app);
  app.setNotFoundHandler((request, reply) => reply.status(404).send({ error: { code: 'NOT_FOUND', message: `No route ${request.method} ${request.url}.` } }));
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/api/v1/users', async () => ({ items: [] }));
  await app.register(webUi, { root });
  return app;
}

describe('the web UI served by the hub', () => {
  it('answers the app for every path it routes in the browser, revalidated and with a strict CSP', async () => {
    const app = await appWith(builtUi());
    for (const url of ['/', '/login', '/inbox', '/inbox/3f0c9c7e', '/admin', '/login?next=%2Finbox']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(response.body).toBe(INDEX);
      expect(response.headers['cache-control']).toBe('no-cache');
      expect(response.headers['content-security-policy']).toContain("script-src 'self'");
      expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(response.headers['x-frame-options']).toBe('DENY');
    }
  });

  it('serves built assets with a long cache, since their names change with their content', async () => {
    const app = await appWith(builtUi());
    const response = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/javascript/);
    expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(response.body).toBe('console.log("inbox")');
  });

  it('leaves the API, the probes and the JSON 404 alone', async () => {
    const app = await appWith(builtUi());
    expect((await app.inject({ method: 'GET', url: '/api/v1/users' })).json()).toEqual({ items: [] });
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    for (const url of ['/api/v1/nothing-here', '/webhooks/nothing', '/favicon.ico', '/assets/missing.js', '/inboxes']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(404);
      expect(response.json().error.code, url).toBe('NOT_FOUND');
    }
    // Files outside the build are out of reach.
    expect((await app.inject({ method: 'GET', url: '/../package.json' })).statusCode).toBe(404);
  });

  it('says how to build the UI when dist/web is missing, and keeps the API working', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'switchboard-web-missing-'));
    dirs.push(empty);
    const app = await appWith(empty);
    const response = await app.inject({ method: 'GET', url: '/inbox' });
    expect(response.statusCode).toBe(503);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.body).toContain('npm run build');
    expect((await app.inject({ method: 'GET', url: '/api/v1/users' })).statusCode).toBe(200);
  });
});
