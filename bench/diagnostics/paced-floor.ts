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
import { runPaced } from '../paced.js';
import { cleanup } from '../processes.js';
import type { BodyGenerator } from '../webhook-body.js';
import { BARE_NODE, createCeilingBodies, EXPRESS_BASELINE, startCeilingServer } from './ceiling-servers.js';

const rate = Number(process.argv[2] ?? 1000);
const seconds = Number(process.argv[3] ?? 10);

spawnSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
const signing = createCeilingBodies();
const presigned = presign(signing, rate * (seconds + 2));

/** The same bodies, signed before the run: the generator then only sends. */
function presign(generator: BodyGenerator, count: number): BodyGenerator {
  const bodies = Array.from({ length: count }, () => generator.next());
  let next = 0;
  return { ...generator, next: () => bodies[next++ % bodies.length]! };
}

try {
  for (const s of [EXPRESS_BASELINE, BARE_NODE]) {
    const server = await startCeilingServer(s);
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
