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
import { runLoad } from '../load.js';
import { cleanup } from '../processes.js';
import { BARE_FASTIFY, BARE_NODE, createCeilingBodies, EXPRESS_BASELINE, FASTIFY_VERIFY, NODE_DURABLE, NODE_VERIFY, startCeilingServer } from './ceiling-servers.js';

const seconds = Number(process.argv[2] ?? 10);

spawnSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
const generator = createCeilingBodies();
const servers = [EXPRESS_BASELINE, BARE_FASTIFY, FASTIFY_VERIFY, BARE_NODE, NODE_VERIFY, NODE_DURABLE];

try {
  for (const s of servers) {
    const server = await startCeilingServer(s);
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
