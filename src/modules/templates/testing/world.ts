/**
 * A templates module wired to the in-process Meta simulator over real HTTP, for the integration
 * suites: the hub's GraphClient points at the simulator, whose webhooks land in a fake hub and
 * are applied the way the inbound job does (parse → field_update → applyTemplateWebhook in a
 * transaction). Not part of the build (`testing/`).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Db } from '../../../db/database.js';
import { ManualClock } from '../../../platform/clock.js';
import { uuidGenerator } from '../../../platform/ids.js';
import { createSimulator, type Simulator, type SimulatorOptions } from '../../../simulator/index.js';
import { startFakeHub, type FakeHub } from '../../../simulator/testing/fake-hub.js';
import { parseWebhookEnvelope, toInboundEvents } from '../../inbound/index.js';
import type { BusinessNumber } from '../../numbers/index.js';
import { GraphClient } from '../../outbound/index.js';
import { applyTemplateWebhook, isTemplateWebhookField, type TemplateWebhookOutcome } from '../apply-template-webhook.js';
import type { TemplatesDeps } from '../templates.deps.js';
import { templatesRoutes } from '../templates.routes.js';
import { GraphTemplatesClient, type TemplateManagementApi } from '../whatsapp-templates.client.js';

export const APP_SECRET = 'templates-test-app-secret';
export const TOKEN = 'templates-test-token';
export const WABA_ID = '204857361209384';
export const NUMBER_ID = '118274650392817';
/** 2026-09-01T00:00:00Z */
export const T0 = Date.UTC(2026, 8, 1);

export const number = (phoneNumberId: string, wabaId: string): BusinessNumber => ({
  phoneNumberId,
  displayPhoneNumber: null,
  wabaId,
  accessToken: TOKEN,
  throughputMps: 80,
  tokenExpiredAt: null,
  source: 'environment',
});

export type World = {
  sim: Simulator;
  hub: FakeHub;
  clock: ManualClock;
  graph: GraphClient;
  /** Counts `listTemplates` calls and lets a test replace the API. */
  api: TemplateManagementApi & { listCalls: number };
  deps: TemplatesDeps;
  app: FastifyInstance;
  /** Applies every template webhook the fake hub received since the last call; answers the outcomes. */
  applyWebhooks(): Promise<TemplateWebhookOutcome[]>;
  /** Applies one webhook body (a fixture, or a delivery replayed). */
  applyBody(body: unknown): Promise<TemplateWebhookOutcome[]>;
  close(): Promise<void>;
};

export async function startWorld(db: Db, options: SimulatorOptions & { hubNumbers?: BusinessNumber[]; pageSize?: number } = {}): Promise<World> {
  const { hubNumbers, pageSize, ...simOptions } = options;
  const clock = new ManualClock(T0);
  const hub = await startFakeHub(APP_SECRET);
  const sim = await createSimulator({
    appSecret: APP_SECRET,
    accessTokens: [TOKEN],
    webhookUrl: hub.url,
    seed: 7,
    clock,
    templateReviewDelayMs: 10,
    webhookRetry: { baseDelayMs: 10, maxDelayMs: 100, maxAttempts: 3, timeoutMs: 2_000 },
    ...simOptions,
  });
  const baseUrl = await sim.listen(0, '127.0.0.1');
  const graphOptions = { baseUrl, version: 'v24.0', timeoutMs: 5_000 };
  const graph = new GraphClient(graphOptions);
  const client = new GraphTemplatesClient(graph);
  const api: World['api'] = {
    listCalls: 0,
    listTemplates(...args) {
      api.listCalls += 1;
      return client.listTemplates(...args);
    },
    createTemplate: (...args) => client.createTemplate(...args),
  };
  const deps: TemplatesDeps = {
    db,
    clock,
    ids: uuidGenerator,
    numbers: { list: async () => hubNumbers ?? [number(NUMBER_ID, WABA_ID)] },
    api,
    defaultLocale: 'en_US',
    timeZone: 'UTC',
    syncPageSize: pageSize ?? 7,
  };
  const app = Fastify();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  await app.register(templatesRoutes, { prefix: '/api/v1', db, deps });
  await app.ready();

  const applyBody = async (body: unknown) => {
    const parsed = parseWebhookEnvelope(body);
    if (!parsed.ok) throw new Error(parsed.message);
    const outcomes: TemplateWebhookOutcome[] = [];
    for (const event of toInboundEvents(parsed.envelope)) {
      if (event.kind !== 'field_update' || !isTemplateWebhookField(event.field)) continue;
      // As the inbound job will: inside the job's transaction, through it only.
      outcomes.push(await db.transaction().execute((trx) => applyTemplateWebhook(trx, event, deps)));
    }
    return outcomes;
  };
  let applied = 0;
  return {
    sim,
    hub,
    clock,
    graph,
    api,
    deps,
    app,
    applyBody,
    async applyWebhooks() {
      const received = hub.accepted().slice(applied);
      applied += received.length;
      const outcomes: TemplateWebhookOutcome[] = [];
      for (const r of received) outcomes.push(...(await applyBody(r.body)));
      return outcomes;
    },
    async close() {
      await app.close();
      await graph.close();
      await sim.close();
      await hub.close();
    },
  };
}
