/**
 * Does `serve` keep answering while its worker drains a backlog? Builds a backlog of N webhooks
 * with the HTTP role only (bench/hub-ingest-only.mjs), then starts the real `switchboard serve` on
 * that database and, while the worker drains it, sends signed webhooks at a steady 100/s and GETs
 * /healthz every 50 ms, recording their latency against the time the backlog needed to drain.
 *
 *   npx tsx bench/diagnostics/backlog-starvation.ts [backlog=20000] [hubRoot=.]
 */
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { runLoad } from '../load.js';
import { runPaced } from '../paced.js';
import { cleanup, tempDir, startServer } from '../processes.js';
import { createBodyGenerator } from '../webhook-body.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const backlog = Number(process.argv[2] ?? 20_000);
const hubRoot = resolve(process.argv[3] ?? ROOT);
const SECRETS = { META_APP_SECRET: 'bench-app-secret-0123456789abcdef', WHATSAPP_VERIFY_TOKEN: 'bench-verify-token', SWITCHBOARD_API_TOKEN: 'bench-api-token-0123456789abcdef' };

spawnSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
const dbPath = join(tempDir('switchboard-starve-'), 'switchboard.db');
const env = () => {
  const e: NodeJS.ProcessEnv = { ...process.env, ...SECRETS, DATABASE_URL: `sqlite:${dbPath}`, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', SWITCHBOARD_DIST: pathToFileURL(join(hubRoot, 'dist') + '/').href };
  delete e['NODE_OPTIONS'];
  return e;
};
const pending = () => {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return Number((db.prepare("select count(*) as n from jobs where state = 'pending' and run_at <= ?").get(Date.now()) as { n: number }).n);
  } finally {
    db.close();
  }
};
const generator = createBodyGenerator({ fixturePath: join(ROOT, 'test/fixtures/meta/inbound-text.json'), appSecret: SECRETS.META_APP_SECRET });

try {
  const ingest = await startServer({ name: 'ingest-only', command: 'taskset', args: ['-c', '1', process.execPath, join(ROOT, 'bench/hub-ingest-only.mjs')], cwd: hubRoot, env: env(), ready: /listening on http:\/\/[^:]+:(\d+)/ });
  const filled = await runLoad({ url: ingest.url + '/webhooks/whatsapp', generator, connections: 100, amount: backlog });
  await ingest.stop();
  console.log(`backlog: ${pending()} pending jobs (${filled.ok} webhooks stored by the HTTP-only hub)`);

  const hub = await startServer({ name: 'serve', command: 'taskset', args: ['-c', '1', process.execPath, 'bin/switchboard.js', 'serve'], cwd: hubRoot, env: env(), ready: /listening on http:\/\/[^:]+:(\d+)/ });
  const t0 = performance.now();
  const health: { at: number; ms: number }[] = [];
  let drainedAt: number | null = null;
  let stop = false;
  const probe = (async () => {
    while (!stop) {
      const sent = performance.now();
      await fetch(hub.url + '/healthz', { signal: AbortSignal.timeout(60_000) }).then((r) => r.text());
      health.push({ at: (sent - t0) / 1000, ms: performance.now() - sent });
      await sleep(50);
    }
  })();
  const watch = (async () => {
    while (!stop && performance.now() - t0 < 120_000) {
      if (pending() === 0) {
        drainedAt = (performance.now() - t0) / 1000;
        return;
      }
      await sleep(50);
    }
  })();
  const webhooks = await runPaced({ url: hub.url + '/webhooks/whatsapp', generator, rate: 100, durationSeconds: 10, connections: 20 });
  await watch;
  stop = true;
  await probe;
  await hub.stop();

  const worst = [...health].sort((a, b) => b.ms - a.ms).slice(0, 3);
  console.log(`serve started on the backlog; queue empty after ${drainedAt === null ? 'NOT within 120 s' : `${(drainedAt as number).toFixed(2)} s`}`);
  console.log(`GET /healthz every 50 ms: ${health.length} answered; slowest ${worst.map((h) => `${h.ms.toFixed(0)} ms (sent at +${h.at.toFixed(2)} s)`).join(', ')}`);
  console.log(`webhooks at 100/s during the first 10 s: p50 ${webhooks.p50.toFixed(1)} ms, p99 ${webhooks.p99.toFixed(1)} ms, max ${webhooks.max.toFixed(0)} ms, 2xx ${webhooks.ok}/${webhooks.sent}`);
} finally {
  await cleanup();
}
