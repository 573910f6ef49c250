/**
 * Upper bounds for the saturation figure, measured like ingest.bench.ts does (same bodies, same
 * connections, server pinned to CPU 1, autocannon to CPU 0): Express baseline vs bare fastify vs
 * fastify + the hub's non-storage CPU work, and the same on node:http, then with the least a
 * durable ack can store (one SQLite row per webhook, group commit, WAL fsynced before the 200).
 * If bare fastify is not 2.5× Express here, no hub that also stores can be; the last line bounds
 * any hub that stores a row per webhook, even with no framework and no worker.
 *
 *   npx tsx bench/diagnostics/ceiling.ts [seconds=10]
 */
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLoad } from '../load.js';
import { cleanup, startServer } from '../processes.js';
import { createBodyGenerator } from '../webhook-body.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SECRET = 'bench-app-secret-0123456789abcdef';
const seconds = Number(process.argv[2] ?? 10);

spawnSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
const generator = createBodyGenerator({ fixturePath: join(ROOT, 'test/fixtures/meta/inbound-text.json'), appSecret: SECRET });
const env = (extra: Record<string, string>) => {
  const e: NodeJS.ProcessEnv = { ...process.env, PORT: '0', HOST: '127.0.0.1', META_APP_SECRET: SECRET, NODE_ENV: 'production', ...extra };
  delete e['NODE_OPTIONS'];
  return e;
};
const servers: { name: string; args: string[]; extra: Record<string, string>; ready: RegExp }[] = [
  { name: 'express baseline (express.json, 200)', args: ['--import', 'tsx', 'bench/baseline-express.ts'], extra: {}, ready: /listening on http:\/\/[^:]+:(\d+)/ },
  { name: 'bare fastify (raw buffer, 200)', args: ['bench/diagnostics/ceiling-fastify.mjs'], extra: {}, ready: /listening on http:\/\/[^:]+:(\d+)/ },
  { name: 'fastify + HMAC + JSON.parse + sha256', args: ['bench/diagnostics/ceiling-fastify.mjs'], extra: { CEILING_WORK: 'verify' }, ready: /listening on http:\/\/[^:]+:(\d+)/ },
  { name: 'bare node:http (200)', args: ['bench/diagnostics/ceiling-node.mjs'], extra: {}, ready: /listening on http:\/\/[^:]+:(\d+)/ },
  { name: 'node:http + HMAC + JSON.parse + sha256', args: ['bench/diagnostics/ceiling-node.mjs'], extra: { CEILING_WORK: 'verify' }, ready: /listening on http:\/\/[^:]+:(\d+)/ },
  { name: '… + durable SQLite row, group commit', args: ['bench/diagnostics/ceiling-node.mjs'], extra: { CEILING_WORK: 'durable' }, ready: /listening on http:\/\/[^:]+:(\d+)/ },
];

try {
  for (const s of servers) {
    const server = await startServer({ name: s.name, command: 'taskset', args: ['-c', '1', process.execPath, ...s.args], cwd: ROOT, env: env(s.extra), ready: s.ready });
    const url = server.url + '/webhooks/whatsapp';
    await runLoad({ url, generator, connections: 100, durationSeconds: 2 });
    const r = await runLoad({ url, generator, connections: 100, durationSeconds: seconds, serverPid: server.pid });
    console.log(
      `${s.name.padEnd(40)} ${Math.round(r.acksPerSecond).toLocaleString('en-US').padStart(7)} acks/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  non-2xx ${r.non2xx}` +
        `  CPU server ${Math.round((r.serverCpu ?? 0) * 100)}% (${Math.round(((r.serverCpu ?? 0) * ((r.finishedAt - r.startedAt) / 1000) * 1e6) / r.ok)} µs/ack) load-gen ${Math.round(r.loadGeneratorCpu * 100)}% other ${Math.round((r.otherCpu ?? 0) * 100)}%`,
    );
    await server.stop();
  }
} finally {
  await cleanup();
}
