/**
 * The floor of ingest.bench.ts phase 2b (one signed webhook every 1/rate s, latency from the due
 * time): what the instrument itself reads for servers that store nothing, measured the same way
 * (server pinned to CPU 1, load generator to CPU 0). If bare node:http reads a p99 well under the
 * issue's 5 ms, the bar is measurable here, and a hub above it is slowed by its own work.
 *
 * Each server is loaded twice: with the bench's per-request signing, and with bodies signed
 * before the run, to tell the generator's own cost from the server's.
 *
 *   npx tsx bench/diagnostics/paced-floor.ts [rate=1000] [seconds=10]
 */
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runPaced } from '../paced.js';
import { cleanup, startServer } from '../processes.js';
import { createBodyGenerator, type BodyGenerator } from '../webhook-body.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SECRET = 'bench-app-secret-0123456789abcdef';
const rate = Number(process.argv[2] ?? 1000);
const seconds = Number(process.argv[3] ?? 10);

spawnSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
const signing = createBodyGenerator({ fixturePath: join(ROOT, 'test/fixtures/meta/inbound-text.json'), appSecret: SECRET });
const presigned = presign(signing, rate * (seconds + 2));

/** The same bodies, signed before the run: the generator then only sends. */
function presign(generator: BodyGenerator, count: number): BodyGenerator {
  const bodies = Array.from({ length: count }, () => generator.next());
  let next = 0;
  return { ...generator, next: () => bodies[next++ % bodies.length]! };
}

const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', HOST: '127.0.0.1', META_APP_SECRET: SECRET, NODE_ENV: 'production' };
delete env['NODE_OPTIONS'];
const servers = [
  { name: 'express baseline (express.json, 200)', args: ['--import', 'tsx', 'bench/baseline-express.ts'] },
  { name: 'bare node:http (200)', args: ['bench/diagnostics/ceiling-node.mjs'] },
];

try {
  for (const s of servers) {
    const server = await startServer({ name: s.name, command: 'taskset', args: ['-c', '1', process.execPath, ...s.args], cwd: ROOT, env, ready: /listening on http:\/\/[^:]+:(\d+)/ });
    const url = server.url + '/webhooks/whatsapp';
    for (const [label, generator] of [['signed per request', signing], ['signed before', presigned]] as const) {
      await runPaced({ url, generator, rate, durationSeconds: 2, connections: 100 });
      const r = await runPaced({ url, generator, rate, durationSeconds: seconds, connections: 100, serverPid: server.pid });
      console.log(
        `${s.name.padEnd(38)} ${label.padEnd(19)} ${Math.round(r.acksPerSecond).toLocaleString('en-US').padStart(6)} acks/s  p50 ${r.p50.toFixed(2)} ms  p90 ${r.p90.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  max ${r.max.toFixed(1)} ms  non-2xx ${r.non2xx}`,
      );
    }
    await server.stop();
  }
} finally {
  await cleanup();
}
