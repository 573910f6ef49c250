import type { FastifyInstance } from 'fastify';
import { createSwitchboard, type Switchboard } from '../../../main.js';
import { loadConfig } from '../../../platform/config.js';
import { createLogger } from '../../../platform/logger.js';
import { signatureFor } from '../../inbound/index.js';

export const TOKEN = 'inbox-test-api-token-0123456789';
export const SECRET = 'inbox-test-app-secret';
export const NUMBER_ID = '118274650392817';
export const bearer = { authorization: `Bearer ${TOKEN}` };

export type Session = { cookie: string; csrf: string; user: { id: string; email: string; name: string; role: string } };

/** A hub (HTTP and worker built, nothing started but the HTTP listener) on `databaseUrl`, with helpers for the inbox's tests. */
export async function startInboxHub(databaseUrl: string, env: Record<string, string> = {}, roles = { http: true, worker: true }) {
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    META_APP_SECRET: SECRET,
    WHATSAPP_VERIFY_TOKEN: 'verify',
    SWITCHBOARD_API_TOKEN: TOKEN,
    DEFAULT_REGION: 'US',
    LOG_LEVEL: 'silent',
    // A number to send from; the sender is never started, so nothing leaves.
    WHATSAPP_PHONE_NUMBER_ID: NUMBER_ID,
    WHATSAPP_BUSINESS_ACCOUNT_ID: '204857361209384',
    WHATSAPP_ACCESS_TOKEN: 'inbox-test-access-token',
    GRAPH_API_BASE_URL: 'http://127.0.0.1:9',
    ...env,
  });
  const switchboard: Switchboard = await createSwitchboard(config, createLogger('silent'), roles);
  const app: FastifyInstance = switchboard.app!;
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  let sequence = 0;
  const hub = {
    switchboard,
    app,
    baseUrl,
    db: switchboard.storage.database.db,

    /** An inbound text from `waId` to the test number, signed, as Meta posts it. */
    async customerWrites(waId: string, text: string, options: { name?: string; at?: number } = {}) {
      const body = JSON.stringify({
        object: 'whatsapp_business_account',
        entry: [
          {
            id: 'waba',
            changes: [
              {
                field: 'messages',
                value: {
                  messaging_product: 'whatsapp',
                  metadata: { display_phone_number: '15557340192', phone_number_id: NUMBER_ID },
                  contacts: [{ profile: { name: options.name ?? `Customer ${waId}` }, wa_id: waId }],
                  messages: [{ from: waId, id: `wamid.inbox-${waId}-${++sequence}-${Date.now()}`, timestamp: String(Math.floor((options.at ?? Date.now()) / 1000)), type: 'text', text: { body: text } }],
                },
              },
            ],
          },
        ],
      });
      const res = await app.inject({ method: 'POST', url: '/webhooks/whatsapp', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signatureFor(body, SECRET) }, payload: body });
      if (res.statusCode !== 200) throw new Error(`webhook answered ${res.statusCode}: ${res.body}`);
    },

    async drain() {
      // Twice over: a job's follow-ups (the inbox subscriber's) are enqueued as it commits.
      while ((await switchboard.worker!.drain()) > 0);
    },

    async addUser(email: string, role: 'admin' | 'agent', extra: Record<string, unknown> = {}) {
      const res = await app.inject({ method: 'POST', url: '/api/v1/users', headers: bearer, payload: { email, password: 'password-123', name: email.split('@')[0], role, ...extra } });
      if (res.statusCode !== 201) throw new Error(`POST /users answered ${res.statusCode}: ${res.body}`);
      return res.json() as { id: string; email: string; name: string };
    },

    async login(email: string, password = 'password-123', remoteAddress = '127.0.0.1'): Promise<Session> {
      const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, remoteAddress });
      if (res.statusCode !== 200) throw new Error(`login answered ${res.statusCode}: ${res.body}`);
      const cookie = String(res.headers['set-cookie']).split(';')[0]!;
      return { cookie, csrf: res.json().csrfToken, user: res.json().user };
    },

    /** A request as the browser of `session` makes it (cookie, and the CSRF header on changes). */
    as(session: Session, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) {
      return app.inject({
        method,
        url: `/api/v1${url}`,
        headers: { cookie: session.cookie, ...(method === 'GET' ? {} : { 'x-csrf-token': session.csrf }) },
        ...(payload !== undefined ? { payload: payload as object } : {}),
      });
    },

    async close() {
      await switchboard.close();
    },
  };
  return hub;
}

export type InboxHub = Awaited<ReturnType<typeof startInboxHub>>;
