/**
 * What one outbound message costs the hub, part by part, with nothing else running: an in-process
 * hub on a fresh SQLite file (worker and sender not started), 500 contacts whose window is open.
 * 1. accept: `--requests` free-form texts through `app.inject()` (no sockets), `--concurrency` at
 *    a time: CPU per `POST /api/v1/messages`;
 * 2. statuses (`--statuses N`): N of those messages are given a wamid as a send would, their
 *    sent/delivered/read status webhooks (3 × N) are posted while the worker is stopped, then the
 *    worker drains what they left it: CPU per status webhook acknowledged (its statuses applied
 *    on ingest included: src/modules/inbound/apply-on-ingest.ts), and per status processed by
 *    the worker (none, unless applying on ingest failed and left jobs). `--batch K`
 *    puts K statuses in each webhook, as Meta does under load (the simulator's `webhookBatch`).
 * `--profile accept|acks|work` writes a CPU profile of that part alone (for profile-summary.ts).
 *
 *   npx tsx bench/diagnostics/outbound-path-probe.ts [--requests 20000] [--concurrency 64] [--statuses 5000] [--batch 1] [--profile acks]
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSwitchboard } from '../../src/main.js';
import { signatureFor } from '../../src/modules/inbound/webhook-signature.js';
import { outboxRepository } from '../../src/modules/outbound/outbox.repository.js';
import { completeOutboundSend } from '../../src/modules/timeline/index.js';
import { loadConfig } from '../../src/platform/config.js';
import { createLogger } from '../../src/platform/logger.js';
import { MAX_WEBHOOK_UPDATES } from '../../src/simulator/schemas.js';
import { removeTempDir } from '../processes.js';
import { parseFlags } from '../flags.js';

const flags = parseFlags(process.argv.slice(2), ['requests', 'concurrency', 'statuses', 'batch', 'profile']);
const REQUESTS = Number(flags.get('requests') ?? 20_000);
const CONCURRENCY = Number(flags.get('concurrency') ?? 64);
const STATUSES = Math.min(Number(flags.get('statuses') ?? 5_000), REQUESTS);
const BATCH = Number(flags.get('batch') ?? 1);
if (!Number.isInteger(BATCH) || BATCH < 1 || BATCH > MAX_WEBHOOK_UPDATES) throw new Error(`--batch takes 1 to ${MAX_WEBHOOK_UPDATES} statuses per webhook`);
const PROFILE = flags.get('profile');
if (PROFILE !== undefined && !['accept', 'acks', 'work'].includes(PROFILE)) throw new Error('--profile takes accept, acks or work');
const CONTACTS = 500;

/** Runs `part`, under the CPU profiler when it is the one asked for. */
async function measured<T>(name: string, part: () => Promise<T>): Promise<T> {
  if (name !== PROFILE) return part();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await part();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    const file = join(tmpdir(), `outbound-path-probe-${name}-${process.pid}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    console.log(`CPU profile of "${name}": ${file}`);
    session.disconnect();
  }
}
const TOKEN = 'outbound-path-probe-token-0123456789abcdef';
const NUMBER_ID = '100000000000001';
const SECRET = 'outbound-path-probe-secret';

const dir = mkdtempSync(join(tmpdir(), 'outbound-path-probe-'));
try {
  const config = loadConfig({
    DATABASE_URL: `sqlite:${join(dir, 'hub.db')}`,
    META_APP_SECRET: SECRET,
    WHATSAPP_VERIFY_TOKEN: 'verify',
    SWITCHBOARD_API_TOKEN: TOKEN,
    LOG_LEVEL: 'warn',
    WHATSAPP_PHONE_NUMBER_ID: NUMBER_ID,
    WHATSAPP_BUSINESS_ACCOUNT_ID: '200000000000001',
    WHATSAPP_ACCESS_TOKEN: 'token',
    GRAPH_API_BASE_URL: 'http://127.0.0.1:9',
    MEDIA_DIR: join(dir, 'media'),
  });
  const hub = await createSwitchboard(config, createLogger(config.LOG_LEVEL), { http: true, worker: true });
  const app = hub.app!;
  const postWebhook = async (body: string) => {
    const response = await app.inject({ method: 'POST', url: '/webhooks/whatsapp', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signatureFor(body, SECRET) }, payload: body });
    if (response.statusCode !== 200) throw new Error(`webhook: HTTP ${response.statusCode}: ${response.body}`);
  };
  const waIdOf = (i: number) => `1415555${String(i).padStart(4, '0')}`;

  // Each contact writes in once (a real inbound message, so the window is open), processed by the worker.
  const nowS = Math.floor(Date.now() / 1000);
  for (let i = 0; i < CONTACTS; i++) {
    const waId = waIdOf(i);
    const message = { from: waId, id: `wamid.probe.${i}`, timestamp: String(nowS), type: 'text', text: { body: 'hi' } };
    const value = { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550000000', phone_number_id: NUMBER_ID }, contacts: [{ profile: { name: `P${i}` }, wa_id: waId }], messages: [message] };
    await postWebhook(JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: '200000000000001', changes: [{ value, field: 'messages' }] }] }));
  }
  await hub.worker!.drain();

  const post = (k: number) =>
    app.inject({
      method: 'POST',
      url: '/api/v1/messages',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ to: `+${waIdOf(k % CONTACTS)}`, type: 'text', text: { body: `Probe message ${k}` } }),
    });
  const run = async (count: number) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < count) {
          const response = await post(next++);
          if (response.statusCode !== 202) throw new Error(`HTTP ${response.statusCode}: ${response.body}`);
        }
      }),
    );
  };
  await run(2_000); // warm-up: JIT, statement caches
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await measured('accept', () => run(REQUESTS));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuUs = (cpu.user + cpu.system) / REQUESTS;
  console.log(`${REQUESTS} accepts, ${CONCURRENCY} at a time: ${Math.round(REQUESTS / seconds)}/s, CPU ${cpuUs.toFixed(0)} µs per accept (user ${(cpu.user / REQUESTS).toFixed(0)}, system ${(cpu.system / REQUESTS).toFixed(0)})`);

  if (STATUSES > 0) {
    // As the sender records an accepted send: the outbox row and its timeline entry get the wamid.
    const rows = await hub.storage.database.db.selectFrom('outbound_messages').select(['id', 'recipient']).orderBy('created_at', 'desc').limit(STATUSES).execute();
    const acceptedAt = Date.now();
    await hub.storage.database.db.transaction().execute(async (trx) => {
      for (const row of rows) {
        await outboxRepository.markAccepted(trx, row.id, { wamid: `wamid.${row.id}`, messageStatus: null, attempts: 1, now: acceptedAt });
        await completeOutboundSend(trx, row.id, `wamid.${row.id}`, acceptedAt);
      }
    });
    await hub.worker!.drain();
    type Row = { id: string; recipient: string };
    const statusItem = (row: Row, status: string, k: number) => ({
      id: `wamid.${row.id}`,
      status,
      timestamp: String(nowS + k),
      recipient_id: row.recipient,
      biz_opaque_callback_data: `sb:${row.id}`,
      pricing: { billable: true, pricing_model: 'PMP', type: 'regular', category: 'service' },
    });
    const statusBody = (items: { row: Row; status: string; k: number }[]) => {
      const contacts = [...new Set(items.map(({ row }) => row.recipient))].map((waId) => ({ profile: { name: 'P' }, wa_id: waId }));
      const value = { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550000000', phone_number_id: NUMBER_ID }, contacts, statuses: items.map(({ row, status, k }) => statusItem(row, status, k)) };
      return JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: '200000000000001', changes: [{ value, field: 'messages' }] }] });
    };
    // Every message's sent, then every delivered, then every read: a batch holds one kind, as
    // statuses falling due together do.
    const items = ['sent', 'delivered', 'read'].flatMap((status, k) => rows.map((row) => ({ row, status, k })));
    const bodies: string[] = [];
    for (let i = 0; i < items.length; i += BATCH) bodies.push(statusBody(items.slice(i, i + BATCH)));
    const ingestCpu0 = process.cpuUsage();
    let nextBody = 0;
    await measured('acks', () =>
      Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (nextBody < bodies.length) await postWebhook(bodies[nextBody++]!);
        }),
      ),
    );
    const ingestCpu = process.cpuUsage(ingestCpu0);
    const workCpu0 = process.cpuUsage();
    const w0 = performance.now();
    const processed = await measured('work', () => hub.worker!.drain());
    const workSeconds = (performance.now() - w0) / 1000;
    const workCpu = process.cpuUsage(workCpu0);
    const perUs = (usage: NodeJS.CpuUsage, n: number) => ((usage.user + usage.system) / n).toFixed(0);
    console.log(
      `${bodies.length} status webhooks of ${BATCH} status${BATCH === 1 ? '' : 'es'}: CPU ${perUs(ingestCpu, bodies.length)} µs per acknowledgement; ` +
        `worker processed ${processed} left as jobs in ${workSeconds.toFixed(2)} s, CPU ${perUs(workCpu, items.length)} µs per status`,
    );
  }
  await hub.close();
} finally {
  removeTempDir(dir);
}
