import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DialectName } from '../../src/db/connect.js';
import type { Db } from '../../src/db/database.js';
import { createSwitchboard, type Switchboard } from '../../src/main.js';
import { loadConfig, type Config } from '../../src/platform/config.js';
import { createLogger } from '../../src/platform/logger.js';
import { createSimulator, DEFAULT_ACCESS_TOKEN, DEFAULT_NUMBER, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';
import { api as apiCall, postSignedWebhook, waitFor as waitUntil, type EnvOverrides, type HttpResult } from './server-process.js';
import { createTestDatabase, type TestDatabase } from './test-databases.js';

/**
 * An in-process hub (`createSwitchboard`, listening on 127.0.0.1:0, worker and sender started)
 * wired to an in-process Meta simulator (also on 127.0.0.1:0) over real HTTP: the hub's
 * GRAPH_API_BASE_URL is the simulator, the simulator's webhook URL is the hub's
 * `/webhooks/whatsapp`, both share the app secret, and the simulator's default number is the
 * hub's environment number. Each one runs on a fresh database of its own.
 */

export const HUB_API_TOKEN = 'hub-with-simulator-api-token-0123456789';
export const HUB_APP_SECRET = 'hub-with-simulator-app-secret';
export const HUB_VERIFY_TOKEN = 'hub-with-simulator-verify-token';
/** A SWITCHBOARD_SECRET_KEY for tests that store numbers (at least 32 characters). */
export const HUB_SECRET_KEY = 'hub-with-simulator-secret-key-0123456789abcdef';
export const NUMBER_ID = DEFAULT_NUMBER.phoneNumberId;
export const WABA_ID = DEFAULT_NUMBER.wabaId;
export const DISPLAY_NUMBER = DEFAULT_NUMBER.displayPhoneNumber;

/** A request the simulator's Graph API received (whatever it answered), for counting attempts. */
export type GraphRequest = { at: number; method: string; url: string; body: unknown };

export type HubWithSimulatorOptions = {
  dialect: DialectName;
  /** Hub environment overrides (`undefined` removes a default). */
  env?: EnvOverrides;
  /** Simulator options; merged over the defaults below (seed, fast statuses and webhook retries). */
  simulator?: SimulatorOptions;
  /** false: the sender is built but not started (call `hub.sender.start()`), to queue messages first. */
  startSender?: boolean;
  /** Syncs the hub's template catalogue from the simulator once started (`POST /api/v1/templates/sync`); default true. */
  syncTemplates?: boolean;
};

export type HubWithSimulator = {
  hub: Switchboard;
  sim: Simulator;
  config: Config;
  database: TestDatabase;
  /** The test's own connection to the hub's database. */
  db: Db;
  hubUrl: string;
  simUrl: string;
  mediaDir: string;
  /** Every Graph request the simulator received, oldest first (sends, mark-as-read, media, templates). */
  graphRequests(): GraphRequest[];
  /** Sends, in the order received, to `POST /{v}/{phone-number-id}/messages` (mark-as-read excluded). */
  sendAttempts(): GraphRequest[];
  /** The REST API with the bearer token; `path` is relative to /api/v1 unless it starts with `/`. */
  api<T = unknown>(path: string, init?: RequestInit): Promise<HttpResult<T>>;
  /** POSTs a body to the hub's webhook, signed with the shared app secret. */
  postWebhook(body: string | Buffer): Promise<HttpResult>;
  /** Polls `fn` until it neither throws nor returns false; fails at the deadline with the last error. */
  waitFor<T>(fn: () => T | Promise<T>, timeoutMs: number, message?: string): Promise<Exclude<T, false>>;
  close(): Promise<void>;
};

export async function startHubWithSimulator(options: HubWithSimulatorOptions): Promise<HubWithSimulator> {
  const database = await createTestDatabase(options.dialect);
  const mediaDir = mkdtempSync(join(tmpdir(), 'switchboard-media-'));
  const requests: GraphRequest[] = [];
  let sim: Simulator | undefined;
  let hub: Switchboard | undefined;
  try {
    sim = await createSimulator({
      seed: 20_261_001,
      appSecret: HUB_APP_SECRET,
      statusDelaysMs: { sent: 20, delivered: 60, read: 120 },
      webhookRetry: { baseDelayMs: 100, maxDelayMs: 1_000, maxAttempts: 60, timeoutMs: 5_000 },
      ...options.simulator,
    });
    // Before listening: records every Graph request, including the ones answered with an error.
    sim.app.addHook('preHandler', async (request) => {
      if (!request.url.startsWith('/_simulator')) requests.push({ at: Date.now(), method: request.method, url: request.url, body: request.body });
    });
    const simUrl = await sim.listen(0, '127.0.0.1');

    const config = loadConfig({
      DATABASE_URL: database.url,
      PORT: '0',
      HOST: '127.0.0.1',
      META_APP_SECRET: HUB_APP_SECRET,
      WHATSAPP_VERIFY_TOKEN: HUB_VERIFY_TOKEN,
      SWITCHBOARD_API_TOKEN: HUB_API_TOKEN,
      LOG_LEVEL: 'silent',
      WHATSAPP_PHONE_NUMBER_ID: DEFAULT_NUMBER.phoneNumberId,
      WHATSAPP_BUSINESS_ACCOUNT_ID: DEFAULT_NUMBER.wabaId,
      WHATSAPP_DISPLAY_PHONE_NUMBER: DEFAULT_NUMBER.displayPhoneNumber,
      WHATSAPP_ACCESS_TOKEN: DEFAULT_ACCESS_TOKEN,
      GRAPH_API_BASE_URL: simUrl,
      GRAPH_API_TIMEOUT_MS: '1000',
      OUTBOUND_IN_DOUBT_MS: '1500',
      MEDIA_DIR: mediaDir,
      ...options.env,
    });
    hub = await createSwitchboard(config, createLogger(config.LOG_LEVEL), { http: true, worker: true });
    await hub.app!.listen({ port: 0, host: '127.0.0.1' });
    const address = hub.app!.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const hubUrl = `http://127.0.0.1:${port}`;
    sim.configure({ webhookUrl: `${hubUrl}/webhooks/whatsapp` });
    hub.worker!.start();
    if (options.startSender !== false) hub.sender!.start();

    const server = { baseUrl: hubUrl, apiToken: HUB_API_TOKEN, appSecret: HUB_APP_SECRET };
    if (options.syncTemplates !== false) {
      // As an operator does after configuring a number: template sends are checked against this catalogue.
      const synced = await apiCall(server, 'templates/sync', { method: 'POST', body: '{}' });
      if (synced.status !== 200) throw new Error(`template sync failed: HTTP ${synced.status} ${synced.text.slice(0, 300)}`);
    }
    const started = { sim, hub };
    let closed = false;
    return {
      hub,
      sim,
      config,
      database,
      db: database.db,
      hubUrl,
      simUrl,
      mediaDir,
      graphRequests: () => [...requests],
      sendAttempts: () =>
        requests.filter((r) => r.method === 'POST' && /^\/v\d+\.\d+\/\d+\/messages$/.test(r.url) && (r.body as { status?: unknown } | undefined)?.status !== 'read'),
      api: (path, init) => apiCall(server, path, init),
      postWebhook: (body) => postSignedWebhook(server, body),
      waitFor: (fn, timeoutMs, message) => waitUntil(fn, { timeoutMs, intervalMs: 25, ...(message ? { message } : {}) }),
      async close() {
        if (closed) return;
        closed = true;
        // The hub first (its sender and worker may be mid-call to the simulator), then the simulator.
        // Fastify closes the connections that are idle when close() starts; a keep-alive connection
        // whose last response (a streamed file) is still finishing would hold it for the keep-alive
        // timeout (72 s), so idle connections are closed again until the hub is down.
        const server = started.hub.app!.server;
        const sweep = setInterval(() => server.closeIdleConnections(), 50);
        try {
          await started.hub.close();
        } finally {
          clearInterval(sweep);
        }
        await started.sim.close();
        await database.drop();
        rmSync(mediaDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await hub?.close().catch(() => undefined);
    await sim?.close().catch(() => undefined);
    await database.drop().catch(() => undefined);
    rmSync(mediaDir, { recursive: true, force: true });
    throw error;
  }
}
