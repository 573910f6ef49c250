/**
 * One simulator and one fake hub wired together with small delays, for the simulator's tests.
 */
import type { LightMyRequestResponse } from 'fastify';
import { createSimulator, DEFAULT_NUMBER, type Simulator, type SimulatorOptions } from '../simulator.js';
import { startFakeHub, type FakeHub } from './fake-hub.js';

export const APP_SECRET = 'test-app-secret-0123456789';
export const TOKEN = 'test-access-token';
export const NUMBER_ID = DEFAULT_NUMBER.phoneNumberId;
export const DISPLAY_NUMBER = DEFAULT_NUMBER.displayPhoneNumber;
export const WABA_ID = DEFAULT_NUMBER.wabaId;

export type Harness = {
  sim: Simulator;
  hub: FakeHub;
  /** A Graph request with the valid bearer token (override `authorization` to test auth). */
  graph(method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** `POST /v23.0/{number}/messages` with `messaging_product` filled in. */
  send(body: Record<string, unknown>, numberId?: string): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
};

export async function startHarness(options: SimulatorOptions = {}): Promise<Harness> {
  const hub = await startFakeHub(APP_SECRET);
  const sim = await createSimulator({
    appSecret: APP_SECRET,
    accessTokens: [TOKEN],
    webhookUrl: hub.url,
    seed: 42,
    statusDelaysMs: { sent: 5, delivered: 40, read: 80 },
    webhookRetry: { baseDelayMs: 10, maxDelayMs: 200, maxAttempts: 5, timeoutMs: 2_000 },
    templateReviewDelayMs: 10,
    ...options,
  });
  const graph: Harness['graph'] = (method, url, payload, headers = {}) =>
    sim.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${TOKEN}`, ...headers },
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
  return {
    sim,
    hub,
    graph,
    send: (body, numberId = NUMBER_ID) => graph('POST', `/v23.0/${numberId}/messages`, { messaging_product: 'whatsapp', ...body }),
    async close() {
      await sim.close();
      await hub.close();
    },
  };
}

/** The `value` of the first change of a webhook body. */
export function valueOf(body: unknown): Record<string, unknown> {
  const change = (body as { entry: { changes: { value: Record<string, unknown> }[] }[] }).entry[0]?.changes[0];
  if (!change) throw new Error('no change in webhook body');
  return change.value;
}

/** The statuses a webhook body carries (none for a message webhook; several when Meta batches them). */
export function statusesIn(body: unknown): Record<string, unknown>[] {
  return (valueOf(body)['statuses'] as Record<string, unknown>[] | undefined) ?? [];
}

/** Status webhooks received for one wamid, in arrival order. */
export function statusesOf(hub: FakeHub, wamid: string): Record<string, unknown>[] {
  return hub
    .accepted()
    .flatMap((r) => statusesIn(r.body))
    .filter((s) => s['id'] === wamid);
}
