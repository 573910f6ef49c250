/**
 * Webhook ingestion benchmark: Switchboard (durable SQLite, answers 200 once the body is on disk)
 * against the tutorial baseline (Express 5 + express.json(), 200 at once, nothing stored).
 *
 *   npm run bench:ingest [-- --duration 10 --warmup 2 --connections 100 --rate 1000 --messages 20000]
 *                        [-- --no-build] [-- --no-pin] [-- --cpu-prof] [-- --skip baseline,saturation,rate,e2e,backlog]
 *                        [-- --hub-import ./bench/diagnostics/sql-timing.mjs]   (diagnostics preloaded into the hub)
 *                        [-- --hub-root DIR]   (bench another checkout's build, e.g. a `git archive` snapshot)
 *                        [-- --hub-env WORKER_BATCH_SIZE=50,…]   (extra hub environment)
 *                        [-- --hub-mode ingest-only]   (phases 1–2 without the in-process worker: diagnostics)
 *
 * Every option can also be given as an env variable: BENCH_DURATION, BENCH_WARMUP, BENCH_CONNECTIONS,
 * BENCH_RATE, BENCH_MESSAGES, BENCH_DRAIN_TIMEOUT, BENCH_NO_BUILD=1, BENCH_NO_PIN=1, BENCH_CPU_PROF=1.
 *
 * Phases (each hub phase gets a fresh hub process and a fresh temp SQLite file):
 *   1. saturation: `connections` connections for `duration` s (after `warmup` s), acks/s and p50/p99;
 *   2. fixed rate: autocannon `overallRate` = `rate`, p50/p99;
 *   3. end to end (hub only): `messages` unique webhooks as fast as the hub takes them, then
 *      /metrics `switchboard_queue_depth` polled until 0; the timeline is checked in SQLite.
 *
 * On a 2-core machine the load generator (this process) and the server share the CPU. By default
 * the servers are pinned to CPU 1 and this process to CPU 0 (taskset) so that each side has one
 * core and the comparison is not decided by who wins the scheduler; --no-pin turns that off.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { runLoad, type LoadResult } from './load.js';
import { runPaced } from './paced.js';
import { parseFlags } from './flags.js';
import { cleanup, processCpuSeconds, tempDir, removeTempDir, startServer, type Server } from './processes.js';
import { createBodyGenerator, type BodyGenerator } from './webhook-body.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WEBHOOK_PATH = '/webhooks/whatsapp';

// Throwaway credentials for a loopback-only benchmark.
const SECRETS = {
  META_APP_SECRET: 'bench-app-secret-0123456789abcdef',
  WHATSAPP_VERIFY_TOKEN: 'bench-verify-token',
  SWITCHBOARD_API_TOKEN: 'bench-api-token-0123456789abcdef',
};

// ------------------------------------------------------------------------------------------------
// Options

type Options = {
  duration: number;
  warmup: number;
  connections: number;
  rate: number;
  messages: number;
  drainTimeout: number;
  build: boolean;
  pin: boolean;
  cpuProf: boolean;
  /** A module preloaded into every hub process (node --import), e.g. bench/diagnostics/sql-timing.mjs. */
  hubImport: string | null;
  /** The checkout whose build is benchmarked (default: this one), e.g. a `git archive` snapshot. */
  hubRoot: string;
  /** Extra environment for the hub processes (e.g. WORKER_BATCH_SIZE=50). */
  hubEnv: Record<string, string>;
  /** Phases 1–2 against `serve` (default) or the HTTP role alone (diagnostics: what the worker costs the webhook path). */
  hubMode: 'serve' | 'ingest-only';
  skip: Set<string>;
};

function parseOptions(argv: string[], env: NodeJS.ProcessEnv): Options {
  const known = ['duration', 'warmup', 'connections', 'rate', 'messages', 'drain-timeout', 'no-build', 'no-pin', 'cpu-prof', 'hub-import', 'hub-root', 'hub-env', 'hub-mode', 'skip'];
  const flags = parseFlags(argv, known);
  const number = (flag: string, envName: string, fallback: number, min: number) => {
    const raw = flags.get(flag) ?? env[envName];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min) throw new Error(`--${flag} / ${envName} must be a number ≥ ${min} (got ${raw})`);
    return value;
  };
  const bool = (flag: string, envName: string) => flags.has(flag) || ['1', 'true', 'yes'].includes(env[envName] ?? '');
  return {
    duration: number('duration', 'BENCH_DURATION', 10, 1),
    warmup: number('warmup', 'BENCH_WARMUP', 2, 0),
    connections: Math.round(number('connections', 'BENCH_CONNECTIONS', 100, 1)),
    rate: Math.round(number('rate', 'BENCH_RATE', 1000, 1)),
    messages: Math.round(number('messages', 'BENCH_MESSAGES', 20_000, 1)),
    drainTimeout: number('drain-timeout', 'BENCH_DRAIN_TIMEOUT', 180, 1),
    build: !bool('no-build', 'BENCH_NO_BUILD'),
    pin: !bool('no-pin', 'BENCH_NO_PIN') && cpus().length >= 2 && existsSync('/usr/bin/taskset'),
    cpuProf: bool('cpu-prof', 'BENCH_CPU_PROF'),
    hubImport: flags.get('hub-import') ?? env['BENCH_HUB_IMPORT'] ?? null,
    hubRoot: resolve(flags.get('hub-root') ?? env['BENCH_HUB_ROOT'] ?? ROOT),
    hubMode: (() => {
      const mode = flags.get('hub-mode') ?? env['BENCH_HUB_MODE'] ?? 'serve';
      if (mode !== 'serve' && mode !== 'ingest-only') throw new Error(`--hub-mode must be serve or ingest-only (got ${mode})`);
      return mode;
    })(),
    hubEnv: Object.fromEntries(
      (flags.get('hub-env') ?? env['BENCH_HUB_ENV'] ?? '')
        .split(',')
        .filter(Boolean)
        .map((pair) => {
          const at = pair.indexOf('=');
          if (at <= 0) throw new Error(`--hub-env expects KEY=VALUE[,KEY=VALUE…], got ${pair}`);
          return [pair.slice(0, at), pair.slice(at + 1)];
        }),
    ),
    skip: new Set((flags.get('skip') ?? env['BENCH_SKIP'] ?? '').split(',').filter(Boolean)),
  };
}

// ------------------------------------------------------------------------------------------------
// Servers

const SERVER_CPU = '1';
const BENCH_CPU = '0';

function nodeCommand(options: Options, nodeArgs: string[]): { command: string; args: string[] } {
  return options.pin
    ? { command: 'taskset', args: ['-c', SERVER_CPU, process.execPath, ...nodeArgs] }
    : { command: process.execPath, args: nodeArgs };
}

/** The child's environment: ours minus anything that would change how node or the hub runs. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key === 'NODE_OPTIONS' || key.startsWith('npm_') || key === 'DATABASE_URL' || key === 'PORT' || key === 'HOST') delete env[key];
  }
  return { ...env, ...extra };
}

type Hub = Server & { dbPath: string; profileDir: string | null };

type HubMode = 'serve' | 'ingest-only' | 'worker';

function hubEnv(dbPath: string): NodeJS.ProcessEnv {
  return childEnv({ ...SECRETS, DATABASE_URL: `sqlite:${dbPath}`, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
}

/**
 * `serve`: the real thing (`node bin/switchboard.js serve`, HTTP + worker in one process).
 * `ingest-only`: the compiled serve with the HTTP role only (bench/hub-ingest-only.mjs).
 * `worker`: `node bin/switchboard.js worker` (no HTTP), on an existing database.
 */
async function startHub(options: Options, label: string, profileDir: string | null, mode: HubMode = 'serve', dbPath?: string): Promise<Hub> {
  const path = dbPath ?? join(tempDir('switchboard-bench-'), 'switchboard.db');
  const profiling = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=hub-${label}.cpuprofile`] : [];
  const preload = options.hubImport ? ['--import', pathToFileURL(resolve(ROOT, options.hubImport)).href] : [];
  const script = mode === 'ingest-only' ? [join(ROOT, 'bench/hub-ingest-only.mjs')] : ['bin/switchboard.js', mode];
  const { command, args } = nodeCommand(options, [...profiling, ...preload, ...script]);
  const timingOut = options.hubImport ? join(profileDir ?? tmpdir(), `hub-${label}.${process.pid}.timing.txt`) : null;
  if (timingOut) console.log(`  ${options.hubImport} report of hub (${label}) → ${timingOut} (written when it exits)`);
  const server = await startServer({
    name: `hub (${label})`,
    command,
    args,
    cwd: options.hubRoot,
    env: {
      ...hubEnv(path),
      ...options.hubEnv,
      SWITCHBOARD_DIST: pathToFileURL(join(options.hubRoot, 'dist') + '/').href,
      ...(timingOut ? { SQL_TIMING_OUT: timingOut } : {}),
    },
    ready: mode === 'worker' ? /Switchboard worker started/ : /Switchboard listening on http:\/\/[^:/\s]+:(\d+)/,
  });
  return { ...server, dbPath: path, profileDir };
}

async function startBaseline(options: Options): Promise<Server> {
  const { command, args } = nodeCommand(options, ['--import', 'tsx', 'bench/baseline-express.ts']);
  return startServer({
    name: 'baseline',
    command,
    args,
    cwd: ROOT,
    env: childEnv({ PORT: '0', HOST: '127.0.0.1', WHATSAPP_VERIFY_TOKEN: SECRETS.WHATSAPP_VERIFY_TOKEN, NODE_ENV: 'production' }),
    ready: /Baseline listening on http:\/\/[^:/\s]+:(\d+)/,
  });
}

/** One signed webhook through fetch: the server must take it before any load is worth measuring. */
async function smokeTest(server: Server, generator: BodyGenerator): Promise<void> {
  const { body, signature } = generator.next();
  const response = await fetch(server.url + WEBHOOK_PATH, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${server.name} refused a valid signed webhook: ${response.status} ${text}\n${server.output()}`);
}

async function queueDepth(hub: Server): Promise<number> {
  const response = await fetch(hub.url + '/metrics', { signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  const match = /^switchboard_queue_depth(?:\{[^}]*\})? (\S+)$/m.exec(text);
  if (!match) throw new Error(`${hub.name}: no switchboard_queue_depth in /metrics (status ${response.status})`);
  return Number(match[1]);
}

/** Polls the queue depth every `intervalMs` until 0 or `timeoutSeconds`; returns when it hit 0 (performance.now()) or null. */
async function waitForDrain(hub: Server, timeoutSeconds: number, intervalMs = 50): Promise<{ drainedAt: number | null; lastDepth: number }> {
  const deadline = performance.now() + timeoutSeconds * 1000;
  let lastDepth = Number.NaN;
  while (performance.now() < deadline) {
    lastDepth = await queueDepth(hub);
    if (lastDepth === 0) return { drainedAt: performance.now(), lastDepth };
    await sleep(intervalMs);
  }
  return { drainedAt: null, lastDepth };
}

// Due ones only: a periodic job's next run (the hourly prune) waits for its time. Like /metrics' queue depth.
const DUE_PENDING_JOBS = "select count(*) as n from jobs where state = 'pending' and run_at <= ?";

/** Counts rows in the hub's SQLite file through a read-only connection (WAL readers do not block the writer). */
function timelineCounts(dbPath: string): { inbox: number; messages: number; pending: number; done: number; dead: number; deadLetters: number } {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const one = (sql: string, ...params: number[]) => Number((db.prepare(sql).get(...params) as { n: number }).n);
    return {
      inbox: one('select count(*) as n from inbox_events'),
      messages: one('select count(*) as n from messages'),
      pending: one(DUE_PENDING_JOBS, Date.now()),
      done: one("select count(*) as n from jobs where state = 'done'"),
      dead: one("select count(*) as n from jobs where state = 'dead'"),
      deadLetters: one('select count(*) as n from dead_letters'),
    };
  } finally {
    db.close();
  }
}

/** The due pending jobs every `intervalMs`, read from the hub's SQLite file, until stopped. */
function sampleDepths(dbPath: string, intervalMs = 20): { samples: { at: number; depth: number }[]; stop(): void } {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  const count = db.prepare(DUE_PENDING_JOBS);
  const samples: { at: number; depth: number }[] = [];
  const timer = setInterval(() => samples.push({ at: performance.now(), depth: Number((count.get(Date.now()) as { n: number }).n) }), intervalMs);
  return {
    samples,
    stop: () => {
      clearInterval(timer);
      db.close();
    },
  };
}

function pendingJobs(dbPath: string): number {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return Number((db.prepare(DUE_PENDING_JOBS).get(Date.now()) as { n: number }).n);
  } finally {
    db.close();
  }
}

// ------------------------------------------------------------------------------------------------
// Reporting

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const ms = (n: number) => (Number.isFinite(n) ? (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0)) : 'n/a');
const pct = (n: number | null) => (n === null ? 'n/a' : `${Math.round(n * 100)}%`);

/** Server CPU time per acknowledged webhook: robust to other load on the machine, unlike acks/s. */
function cpuPerAck(r?: LoadResult): number {
  return r && r.serverCpu !== null && r.ok > 0 ? (r.serverCpu * ((r.finishedAt - r.startedAt) / 1000) * 1e6) / r.ok : Number.NaN;
}
const usPerAck = (r?: LoadResult) => int(cpuPerAck(r));

function describe(label: string, r: LoadResult): string {
  const slow = r.slow.length
    ? `\n    responses slower than 1 s: ${r.slow.map((x) => `${x.ms.toFixed(0)} ms at +${x.at.toFixed(2)} s`).join(', ')}${r.slow.length === 10 ? ', …' : ''}`
    : '';
  const codes = Object.entries(r.statusCodes)
    .filter(([code]) => !code.startsWith('2'))
    .map(([code, n]) => `${code}×${n}`)
    .join(' ');
  return (
    `  ${label.padEnd(34)} ${int(r.acksPerSecond).padStart(7)} acks/s  p50 ${ms(r.p50).padStart(6)} ms  p90 ${ms(r.p90).padStart(6)} ms` +
    `  p99 ${ms(r.p99).padStart(6)} ms  max ${ms(r.max).padStart(6)} ms  2xx ${int(r.ok)}  non-2xx ${int(r.non2xx)}${codes ? ` (${codes})` : ''}` +
    `  errors ${r.errors}  CPU: server ${pct(r.serverCpu)} (${usPerAck(r)} µs/ack) load-gen ${pct(r.loadGeneratorCpu)} other ${pct(r.otherCpu)} steal ${pct(r.steal)}` +
    slow
  );
}

/**
 * After each warm-up: let the server finish the requests the warm-up abandoned when it closed its
 * connections, so the measured run starts from a steady state. (Against the hub, a handful of the
 * very first requests of a measured run sometimes take ~1 s — never inside the hub: see
 * bench/diagnostics/slow-requests.mjs; not seen with --warmup 0. They show up in `max`, not p99.)
 */
const SETTLE_MS = 1_500;

async function checkWarmup(label: string, r: LoadResult): Promise<void> {
  await sleep(SETTLE_MS);
  if (r.ok === 0) throw new Error(`${label}: warm-up got no 2xx at all (status codes ${JSON.stringify(r.statusCodes)}, errors ${r.errors})`);
}

// ------------------------------------------------------------------------------------------------
// Phases

type Phase1 = { hub?: LoadResult; baseline?: LoadResult; hubBacklog?: number };
type Phase2 = { hub?: LoadResult; baseline?: LoadResult; hubPaced?: LoadResult; baselinePaced?: LoadResult };
type Phase3 = {
  messages: number;
  ingest: LoadResult;
  firstRequestToDrainedSeconds: number | null;
  firstAckToDrainedSeconds: number | null;
  depthWhenIngestDone: number;
  drainSeconds: number | null;
  drainRate: number | null;
  endToEndRate: number | null;
  counts: ReturnType<typeof timelineCounts>;
};

async function saturation(options: Options, generator: BodyGenerator, hub: Hub | null, baseline: Server | null): Promise<Phase1> {
  const out: Phase1 = {};
  console.log(`\n[1/3] saturation: ${options.connections} connections, ${options.warmup} s warm-up + ${options.duration} s`);
  // The baseline first: after its run the hub keeps draining its backlog on the same CPU, which
  // would slow a baseline measured after it.
  for (const [key, server] of [['baseline', baseline], ['hub', hub]] as const) {
    if (!server) continue;
    const url = server.url + WEBHOOK_PATH;
    if (options.warmup > 0) await checkWarmup(server.name, await runLoad({ url, generator, connections: options.connections, durationSeconds: options.warmup, serverPid: server.pid }));
    const result = await runLoad({ url, generator, connections: options.connections, durationSeconds: options.duration, serverPid: server.pid });
    out[key] = result;
    console.log(describe(server.name, result));
  }
  if (hub) {
    out.hubBacklog = await queueDepth(hub);
    console.log(`  hub queue depth right after the run (webhooks stored, not yet on the timeline): ${int(out.hubBacklog)}`);
  }
  return out;
}

async function fixedRate(options: Options, generator: BodyGenerator, hub: Hub | null, baseline: Server | null): Promise<Phase2> {
  const out: Phase2 = {};
  console.log(
    `\n[2/3] fixed rate ${options.rate} requests/s, ${options.warmup} s warm-up + ${options.duration} s each:` +
      `\n      (a) autocannon overallRate over ${options.connections} connections — bursty: every connection's 1-s quota goes out at the top of each second` +
      `\n      (b) paced open loop (bench/paced.ts): one request every ${(1000 / options.rate).toFixed(2)} ms, ≤ ${options.connections} keep-alive sockets, latency from the due time`,
  );
  // The baseline first: after its run the hub keeps draining its backlog on the same CPU, which
  // would slow a baseline measured after it.
  for (const [key, server] of [['baseline', baseline], ['hub', hub]] as const) {
    if (!server) continue;
    const url = server.url + WEBHOOK_PATH;
    const common = { url, generator, connections: options.connections, overallRate: options.rate, serverPid: server.pid };
    if (options.warmup > 0) await checkWarmup(server.name, await runLoad({ ...common, durationSeconds: options.warmup }));
    const result = await runLoad({ ...common, durationSeconds: options.duration });
    out[key] = result;
    console.log(describe(`${server.name} (a) overallRate`, result));
    const paced = { url, generator, connections: options.connections, rate: options.rate, serverPid: server.pid };
    if (options.warmup > 0) await checkWarmup(server.name, await runPaced({ ...paced, durationSeconds: options.warmup }));
    const pacedResult = await runPaced({ ...paced, durationSeconds: options.duration });
    out[key === 'hub' ? 'hubPaced' : 'baselinePaced'] = pacedResult;
    console.log(describe(`${server.name} (b) paced`, pacedResult));
  }
  if (hub) console.log(`  hub queue depth right after the runs: ${int(await queueDepth(hub))}`);
  return out;
}

async function endToEnd(options: Options, generator: BodyGenerator, hub: Hub): Promise<Phase3> {
  const warmupMessages = Math.min(5_000, Math.max(500, Math.round(options.messages / 10)));
  console.log(`\n[3/3] end to end: warm-up ${int(warmupMessages)} webhooks (then drained), then ${int(options.messages)} unique webhooks at ${options.connections} connections`);
  const url = hub.url + WEBHOOK_PATH;
  await checkWarmup(hub.name, await runLoad({ url, generator, connections: options.connections, amount: warmupMessages, serverPid: hub.pid }));
  const warm = await waitForDrain(hub, options.drainTimeout);
  if (warm.drainedAt === null) throw new Error(`${hub.name}: warm-up backlog did not drain within ${options.drainTimeout} s (depth ${warm.lastDepth})`);
  const before = timelineCounts(hub.dbPath);

  let firstAckAt: number | null = null;
  const cpuBefore = processCpuSeconds(hub.pid);
  // Sampled during the run: the queue may empty before autocannon reports the run as finished.
  const depths = sampleDepths(hub.dbPath);
  let ingest: LoadResult;
  try {
    ingest = await runLoad({ url, generator, connections: options.connections, amount: options.messages, serverPid: hub.pid, onFirstAck: (at) => (firstAckAt = at) });
  } finally {
    depths.stop();
  }
  const emptiedAfterLastAck = depths.samples.find((s) => s.at >= ingest.finishedAt && s.depth === 0);
  const depthWhenIngestDone = depths.samples.find((s) => s.at >= ingest.finishedAt)?.depth ?? (await queueDepth(hub));
  const drained = emptiedAfterLastAck ? { drainedAt: emptiedAfterLastAck.at, lastDepth: 0 } : await waitForDrain(hub, options.drainTimeout);
  const cpuAfter = processCpuSeconds(hub.pid);
  const after = timelineCounts(hub.dbPath);
  const counts = {
    inbox: after.inbox - before.inbox,
    messages: after.messages - before.messages,
    pending: after.pending,
    done: after.done - before.done,
    dead: after.dead - before.dead,
    deadLetters: after.deadLetters - before.deadLetters,
  };

  const firstRequestToDrainedSeconds = drained.drainedAt === null ? null : (drained.drainedAt - ingest.startedAt) / 1000;
  const firstAckToDrainedSeconds = drained.drainedAt === null || firstAckAt === null ? null : (drained.drainedAt - firstAckAt) / 1000;
  const drainSeconds = drained.drainedAt === null ? null : (drained.drainedAt - ingest.finishedAt) / 1000;
  const result: Phase3 = {
    messages: counts.messages,
    ingest,
    firstRequestToDrainedSeconds,
    firstAckToDrainedSeconds,
    depthWhenIngestDone,
    drainSeconds,
    drainRate: drainSeconds === null || drainSeconds <= 0 ? null : depthWhenIngestDone / drainSeconds,
    endToEndRate: firstRequestToDrainedSeconds === null ? null : counts.messages / firstRequestToDrainedSeconds,
    counts,
  };

  console.log(describe(`${hub.name} ingest of ${int(options.messages)}`, ingest));
  console.log(`  ingest took ${ingest.seconds.toFixed(2)} s; queue depth when the last ack arrived: ${int(depthWhenIngestDone)} (so ${int(options.messages - depthWhenIngestDone)} were on the timeline already)`);
  if (drained.drainedAt === null) {
    console.log(`  queue NOT drained after ${options.drainTimeout} s (depth ${int(drained.lastDepth)})`);
  } else {
    console.log(
      `  drained ${drainSeconds!.toFixed(2)} s after the last ack → drain rate ${int(result.drainRate ?? Number.NaN)} msgs/s (worker alone, no HTTP load)`,
    );
    console.log(
      `  first request → queue empty: ${firstRequestToDrainedSeconds!.toFixed(2)} s → ${int(result.endToEndRate!)} msgs/s end to end` +
        (firstAckToDrainedSeconds !== null ? ` (first ack → empty: ${firstAckToDrainedSeconds.toFixed(2)} s, ${int(counts.messages / firstAckToDrainedSeconds)} msgs/s)` : ''),
    );
  }
  const wall = (drained.drainedAt ?? performance.now()) - ingest.startedAt;
  if (cpuBefore !== null && cpuAfter !== null) console.log(`  hub CPU over the whole phase: ${pct((cpuAfter - cpuBefore) / (wall / 1000))}`);
  console.log(
    `  SQLite check: +${int(counts.inbox)} inbox events, +${int(counts.messages)} timeline messages, +${int(counts.done)} jobs done, ` +
      `${int(counts.pending)} pending, +${int(counts.dead)} dead, +${int(counts.deadLetters)} dead letters`,
  );
  if (counts.messages !== ingest.ok) console.log(`  WARNING: ${int(ingest.ok)} webhooks were acknowledged but ${int(counts.messages)} messages reached the timeline`);
  return result;
}

type Backlog = { ingestOnly: LoadResult; backlog: number; drainSeconds: number | null; drainRate: number | null; workerCpu: number | null; left: number };

/**
 * The worker's own pace: a backlog of `messages` webhooks is stored by the hub with the HTTP role
 * only (nothing drains it), then `switchboard worker` alone processes it; pending jobs are counted
 * in SQLite (read-only) every 50 ms.
 */
async function backlogDrain(options: Options, generator: BodyGenerator, profileDir: string | null): Promise<Backlog> {
  console.log(`\n[3b] backlog drain: ${int(options.messages)} webhooks into an ingest-only hub (no worker), then \`switchboard worker\` alone drains them`);
  const ingestHub = await startHub(options, 'ingest-only', profileDir, 'ingest-only');
  let ingestOnly: LoadResult;
  try {
    await smokeTest(ingestHub, generator);
    const url = ingestHub.url + WEBHOOK_PATH;
    if (options.warmup > 0) await checkWarmup(ingestHub.name, await runLoad({ url, generator, connections: options.connections, durationSeconds: options.warmup, serverPid: ingestHub.pid }));
    ingestOnly = await runLoad({ url, generator, connections: options.connections, amount: options.messages, serverPid: ingestHub.pid });
    console.log(describe(`${ingestHub.name} ${int(options.messages)} webhooks`, ingestOnly));
  } finally {
    await ingestHub.stop(30_000);
  }
  const backlog = pendingJobs(ingestHub.dbPath);
  const worker = await startHub(options, 'worker', profileDir, 'worker', ingestHub.dbPath);
  const startedAt = performance.now();
  const cpuBefore = processCpuSeconds(worker.pid);
  let left = backlog;
  let drainedAt: number | null = null;
  let workerCpu: number | null = null;
  try {
    const deadline = startedAt + options.drainTimeout * 1000;
    while (performance.now() < deadline) {
      left = pendingJobs(worker.dbPath);
      if (left === 0) {
        drainedAt = performance.now();
        break;
      }
      await sleep(50);
    }
  } finally {
    const cpuAfter = processCpuSeconds(worker.pid);
    await worker.stop(30_000);
    removeTempDir(dirname(worker.dbPath));
    const wall = ((drainedAt ?? performance.now()) - startedAt) / 1000;
    workerCpu = cpuBefore !== null && cpuAfter !== null ? (cpuAfter - cpuBefore) / wall : null;
  }
  const drainSeconds = drainedAt === null ? null : (drainedAt - startedAt) / 1000;
  const drainRate = drainSeconds === null ? null : backlog / drainSeconds;
  console.log(
    drainSeconds === null
      ? `  backlog of ${int(backlog)} NOT drained within ${options.drainTimeout} s (${int(left)} left)`
      : `  worker alone drained ${int(backlog)} jobs in ${drainSeconds.toFixed(2)} s → ${int(drainRate!)} msgs/s (worker CPU ${pct(workerCpu)})`,
  );
  return { ingestOnly, backlog, drainSeconds, drainRate, workerCpu, left };
}

// ------------------------------------------------------------------------------------------------
// Main

function printTable(options: Options, p1: Phase1, p2: Phase2, p3: Phase3 | null, p3b: Backlog | null): void {
  const col1 = 26;
  const col2 = 23;
  const row = (label: string, hub: string, baseline: string) => console.log(label.padEnd(col1) + hub.padEnd(col2) + baseline);
  const pair = (r?: LoadResult) => (r ? `${ms(r.p50)} / ${ms(r.p99)}` : 'n/a');
  const non2xx = (r?: LoadResult) => (r ? `${int(r.non2xx)} (+${r.errors} socket errors)` : 'n/a');
  console.log('\n' + ''.padEnd(col1) + 'hub (durable SQLite)'.padEnd(col2) + 'baseline (express, no storage)');
  row(`acks/s @${options.connections} conns`, p1.hub ? int(p1.hub.acksPerSecond) : 'n/a', p1.baseline ? int(p1.baseline.acksPerSecond) : 'n/a');
  row('p50 / p99 (ms)', pair(p1.hub), pair(p1.baseline));
  row(`p50 / p99 @${options.rate} rps`, pair(p2.hub), pair(p2.baseline));
  row(`  same, paced`, pair(p2.hubPaced), pair(p2.baselinePaced));
  row('end-to-end msgs/s', p3?.endToEndRate ? int(p3.endToEndRate) : 'n/a', 'n/a');
  row(
    '  drain after last ack',
    p3 ? (p3.depthWhenIngestDone === 0 ? 'no backlog left' : p3.drainRate ? `${int(p3.drainRate)} msgs/s` : 'not drained') : 'n/a',
    'n/a',
  );
  row('  backlog drain msgs/s', p3b?.drainRate ? `${int(p3b.drainRate)} (worker alone)` : 'n/a', 'n/a');
  row('  ingest-only acks/s', p3b ? `${int(p3b.ingestOnly.acksPerSecond)} (no worker)` : 'n/a', 'n/a');
  row('non-2xx (saturation)', non2xx(p1.hub), non2xx(p1.baseline));
  row(`non-2xx (@${options.rate} rps)`, non2xx(p2.hub), non2xx(p2.baseline));
  row(`  same, paced`, non2xx(p2.hubPaced), non2xx(p2.baselinePaced));
  row('server CPU (sat.)', pct(p1.hub?.serverCpu ?? null), pct(p1.baseline?.serverCpu ?? null));
  row('server CPU µs/ack (sat.)', usPerAck(p1.hub), usPerAck(p1.baseline));
  row('other procs CPU (sat.)', pct(p1.hub?.otherCpu ?? null), pct(p1.baseline?.otherCpu ?? null));

  const ratio = p1.hub && p1.baseline ? p1.hub.acksPerSecond / p1.baseline.acksPerSecond : Number.NaN;
  console.log(
    `ratio hub/baseline acks/s: ${Number.isFinite(ratio) ? ratio.toFixed(2) : 'n/a'}x   (bar: ≥ 2.5x; p99 < 25 ms at saturation, < 5 ms at 1,000 rps; ≥ 5,000 msgs/s end to end)`,
  );
  const verdict = (name: string, pass: boolean | null, value: string) => console.log(`  ${pass === null ? '–' : pass ? 'PASS' : 'MISS'}  ${name.padEnd(34)} ${value}`);
  verdict('acks/s ratio ≥ 2.5x', Number.isFinite(ratio) ? ratio >= 2.5 : null, Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : 'n/a');
  verdict('hub p99 < 25 ms at saturation', p1.hub ? p1.hub.p99 < 25 : null, p1.hub ? `${ms(p1.hub.p99)} ms` : 'n/a');
  verdict(`hub p99 < 5 ms at ${options.rate} rps (overallRate)`, p2.hub ? p2.hub.p99 < 5 : null, p2.hub ? `${ms(p2.hub.p99)} ms` : 'n/a');
  verdict(`hub p99 < 5 ms at ${options.rate} rps (paced)`, p2.hubPaced ? p2.hubPaced.p99 < 5 : null, p2.hubPaced ? `${ms(p2.hubPaced.p99)} ms` : 'n/a');
  verdict('≥ 5,000 msgs/s end to end', p3?.endToEndRate ? p3.endToEndRate >= 5_000 : null, p3?.endToEndRate ? `${int(p3.endToEndRate)} msgs/s` : 'n/a');
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), process.env);
  const phases = { baseline: !options.skip.has('baseline'), saturation: !options.skip.has('saturation'), rate: !options.skip.has('rate'), e2e: !options.skip.has('e2e'), backlog: !options.skip.has('backlog') };

  if (options.build) {
    console.log(`building the hub (npm run build in ${options.hubRoot}) …`);
    const build = spawnSync('npm', ['run', 'build'], { cwd: options.hubRoot, encoding: 'utf8' });
    if (build.status !== 0) {
      // tsc still emits JavaScript on type errors (noEmitOnError is off): go on, but say so loudly.
      const errors = `${build.stdout}\n${build.stderr}`.split('\n').filter((line) => /error TS\d+/.test(line));
      if (errors.length === 0 || !existsSync(join(options.hubRoot, 'dist/cli/main.js'))) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
      console.log(`WARNING: npm run build reported ${errors.length} type error(s) in the working tree; benchmarking the JavaScript tsc emitted anyway:`);
      for (const line of errors.slice(0, 5)) console.log(`  ${line}`);
    }
  } else if (!existsSync(join(options.hubRoot, 'dist/cli/main.js'))) {
    throw new Error('dist/ is missing: run `npm run build` or drop --no-build');
  }

  if (options.pin) {
    // -a: every thread of this process (V8 and libuv threads included), not just the main one.
    spawnSync('taskset', ['-a', '-p', '-c', BENCH_CPU, String(process.pid)], { stdio: 'ignore' });
  }
  const profileDir = options.cpuProf ? mkdtempSync(join(tmpdir(), 'switchboard-prof-')) : null;

  const git = (args: string[]) => spawnSync('git', args, { cwd: options.hubRoot, encoding: 'utf8' });
  const head = git(['rev-parse', '--short', 'HEAD']);
  const dirty = git(['status', '--porcelain', '--', 'src']).stdout?.split('\n').filter(Boolean).length ?? 0;
  const snapshotOf = existsSync(join(options.hubRoot, '.snapshot-of')) ? readFileSync(join(options.hubRoot, '.snapshot-of'), 'utf8').trim().slice(0, 7) : null;
  console.log(
    `hub under test: ${options.hubRoot}` +
      (head.status === 0 ? ` at ${head.stdout.trim()}${dirty ? ` + ${dirty} uncommitted change(s) in src/` : ''}` : snapshotOf ? ` (snapshot of ${snapshotOf})` : ' (not a git checkout)'),
  );

  const generator = createBodyGenerator({ fixturePath: join(ROOT, 'test/fixtures/meta/inbound-text.json'), appSecret: SECRETS.META_APP_SECRET });
  console.log(
    `Switchboard ingest benchmark — node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ` +
      (options.pin ? `servers pinned to CPU ${SERVER_CPU}, load generator (autocannon, this process) to CPU ${BENCH_CPU}` : 'no CPU pinning: servers and autocannon share both CPUs') +
      `\nbody: ${generator.size} bytes, signed, unique wamid per request, 6 senders; temp SQLite in ${tmpdir()}` +
      (profileDir ? `\nhub CPU profiles → ${profileDir}` : '') +
      (Object.keys(options.hubEnv).length ? `\nextra hub environment: ${JSON.stringify(options.hubEnv)}` : '') +
      (options.hubMode !== 'serve' ? `\nphases 1–2: hub with the HTTP role only (${options.hubMode}), NOT the real serve` : ''),
  );

  const baseline = phases.baseline ? await startBaseline(options) : null;
  if (baseline) await smokeTest(baseline, generator);

  let p1: Phase1 = {};
  let p2: Phase2 = {};
  let p3: Phase3 | null = null;

  const withHub = async <T>(label: string, run: (hub: Hub) => Promise<T>, mode: HubMode = 'serve'): Promise<T> => {
    const hub = await startHub(options, label, profileDir, mode);
    try {
      await smokeTest(hub, generator);
      return await run(hub);
    } finally {
      const code = await hub.stop(30_000);
      if (code !== 0 && code !== null) console.log(`  (${hub.name} exited with code ${code})`);
      removeTempDir(dirname(hub.dbPath));
      if (profileDir) console.log(`  profile: ${join(profileDir, `hub-${label}.cpuprofile`)}`);
    }
  };

  if (phases.saturation) p1 = await withHub('saturation', (hub) => saturation(options, generator, hub, baseline), options.hubMode);
  if (phases.rate) p2 = await withHub('rate', (hub) => fixedRate(options, generator, hub, baseline), options.hubMode);
  if (phases.e2e) p3 = await withHub('e2e', (hub) => endToEnd(options, generator, hub));
  await baseline?.stop();
  const p3b = phases.backlog ? await backlogDrain(options, generator, profileDir) : null;

  printTable(options, p1, p2, p3, p3b);
  console.log(
    `\nNote: one machine, ${cpus().length} cores; autocannon (with per-request signing) runs in this process and needs CPU too` +
      (options.pin ? ' — here one full core, the servers get the other.' : '.'),
  );
}

main()
  .catch((error: unknown) => {
    console.error('\nbenchmark failed:', error instanceof Error ? error.message : error);
    process.exitCode = 1;
  })
  .finally(() => cleanup());
