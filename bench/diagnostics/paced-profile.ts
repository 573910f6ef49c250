/**
 * CPU profile of `switchboard serve` under the paced open-loop load of ingest.bench.ts phase 2b
 * only (one signed webhook every 1/rate s), to see what a webhook costs when nothing batches.
 *
 *   npx tsx bench/diagnostics/paced-profile.ts [rate=1000] [seconds=10] [hub-root=.]
 *   npx tsx bench/diagnostics/profile-summary.ts <printed .cpuprofile path>
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runPaced } from '../paced.js';
import { cleanup, startServer } from '../processes.js';
import { createBodyGenerator } from '../webhook-body.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SECRET = 'bench-app-secret-0123456789abcdef';
const rate = Number(process.argv[2] ?? 1000);
const seconds = Number(process.argv[3] ?? 10);
const hubRoot = resolve(process.argv[4] ?? ROOT);

spawnSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
const generator = createBodyGenerator({ fixturePath: join(ROOT, 'test/fixtures/meta/inbound-text.json'), appSecret: SECRET });
const dir = mkdtempSync(join(tmpdir(), 'switchboard-paced-'));
const env: NodeJS.ProcessEnv = {
  ...process.env,
  PORT: '0',
  HOST: '127.0.0.1',
  META_APP_SECRET: SECRET,
  WHATSAPP_VERIFY_TOKEN: 'bench-verify-token',
  SWITCHBOARD_API_TOKEN: 'bench-api-token-0123456789abcdef',
  DATABASE_URL: `sqlite:${join(dir, 'switchboard.db')}`,
  LOG_LEVEL: 'warn',
};
delete env['NODE_OPTIONS'];
try {
  const hub = await startServer({
    name: 'hub',
    command: 'taskset',
    args: ['-c', '1', process.execPath, '--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-name=hub-paced.cpuprofile', 'bin/switchboard.js', 'serve'],
    cwd: hubRoot,
    env,
    ready: /Switchboard listening on http:\/\/[^:/\s]+:(\d+)/,
  });
  const url = hub.url + '/webhooks/whatsapp';
  await runPaced({ url, generator, rate, durationSeconds: 2, connections: 100, serverPid: hub.pid });
  const r = await runPaced({ url, generator, rate, durationSeconds: seconds, connections: 100, serverPid: hub.pid });
  console.log(`paced ${rate}/s: p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  server CPU ${Math.round((r.serverCpu ?? 0) * 100)}%`);
  await hub.stop();
  console.log(`profile: ${join(dir, 'hub-paced.cpuprofile')}`);
} finally {
  await cleanup();
}
