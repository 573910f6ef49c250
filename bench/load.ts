import autocannon from 'autocannon';
import { machineCpuSeconds, processCpuSeconds } from './processes.js';
import type { BodyGenerator } from './webhook-body.js';

/** One autocannon run against POST /webhooks/whatsapp, with exact latencies and CPU accounting. */

export type LoadOptions = {
  url: string;
  generator: BodyGenerator;
  connections: number;
  /** Seconds; ignored when `amount` is set. */
  durationSeconds?: number;
  /** Total requests to send (then stop). */
  amount?: number;
  /** Fixed overall request rate (autocannon `overallRate`). */
  overallRate?: number;
  /** Pid of the server, to report its CPU use during the run. */
  serverPid?: number;
  /** Called once with the time (performance.now()) of the first 2xx. */
  onFirstAck?: (at: number) => void;
};

export type LoadResult = {
  seconds: number;
  sent: number;
  ok: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  errors: number;
  timeouts: number;
  acksPerSecond: number;
  /** Exact percentiles (ms) over every response, 2xx or not. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** CPU time over wall time, 1.0 = one core busy the whole run. */
  serverCpu: number | null;
  loadGeneratorCpu: number;
  /** Cores used meanwhile by everything else on the machine (other engineers' tests…), and VM steal. */
  otherCpu: number | null;
  steal: number | null;
  /** Up to 10 responses slower than 1 s: seconds into the run when they completed, and their latency. */
  slow: { at: number; ms: number }[];
  startedAt: number;
  finishedAt: number;
};

export type CpuSnapshot = { busy: number; steal: number; server: number | null; own: number };

/** Machine-wide busy and steal seconds (/proc/stat), the server's and this process's CPU seconds. */
export function cpuSnapshot(serverPid?: number): CpuSnapshot {
  const { busy, steal } = machineCpuSeconds();
  const own = process.cpuUsage();
  return { busy, steal, server: serverPid === undefined ? null : processCpuSeconds(serverPid), own: (own.user + own.system) / 1e6 };
}

/** CPU shares (1.0 = one core) between two snapshots taken `wallSeconds` apart. */
export function cpuShares(before: CpuSnapshot, after: CpuSnapshot, wallSeconds: number) {
  const server = before.server !== null && after.server !== null ? (after.server - before.server) / wallSeconds : null;
  const own = (after.own - before.own) / wallSeconds;
  const busy = (after.busy - before.busy) / wallSeconds;
  return {
    serverCpu: server,
    loadGeneratorCpu: own,
    otherCpu: Number.isFinite(busy) ? Math.max(0, busy - own - (server ?? 0)) : null,
    steal: Number.isFinite(busy) ? (after.steal - before.steal) / wallSeconds : null,
  };
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { generator } = options;
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  let firstAckSeen = false;
  let lastResponseAt: number | null = null;
  const slow: { at: number; ms: number }[] = [];
  const setupRequest = (request: autocannon.Request): autocannon.Request => {
    const { body, signature } = generator.next();
    request.body = body;
    request.headers = { ...request.headers, 'content-type': 'application/json', 'x-hub-signature-256': signature };
    return request;
  };

  return new Promise<LoadResult>((resolve, reject) => {
    const cpuBefore = cpuSnapshot(options.serverPid);
    const startedAt = performance.now();
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        ...(options.amount !== undefined ? { amount: options.amount } : { duration: options.durationSeconds ?? 10 }),
        ...(options.overallRate !== undefined ? { overallRate: options.overallRate } : {}),
        timeout: 30,
        requests: [{ method: 'POST', path: new URL(options.url).pathname, setupRequest }],
      },
      (error: unknown, result: autocannon.Result) => {
        // autocannon ends an `amount` run on its next one-second tick, and its own duration counts
        // whole ticks: a run that took 3.1 s reports about 4. The last response is when it ended.
        const finishedAt = options.amount !== undefined && lastResponseAt !== null ? lastResponseAt : performance.now();
        const seconds = options.amount !== undefined ? (finishedAt - startedAt) / 1000 : result.duration;
        if (error) return reject(error instanceof Error ? error : new Error(String(error)));
        const wallSeconds = (finishedAt - startedAt) / 1000;
        const sorted = latencies.slice(0, count).sort();
        const statusCodes: Record<string, number> = {};
        for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stat.count ?? 0;
        resolve({
          seconds,
          sent: result.requests.sent,
          ok: result['2xx'],
          non2xx: result.non2xx,
          statusCodes,
          errors: result.errors,
          timeouts: result.timeouts,
          acksPerSecond: result['2xx'] / seconds,
          p50: percentile(sorted, 50),
          p90: percentile(sorted, 90),
          p99: percentile(sorted, 99),
          max: count > 0 ? sorted[count - 1]! : Number.NaN,
          ...cpuShares(cpuBefore, cpuSnapshot(options.serverPid), wallSeconds),
          slow,
          startedAt,
          finishedAt,
        });
      },
    );
    instance.on('response', (_client: autocannon.Client, statusCode: number, _bytes: number, ms: number) => {
      lastResponseAt = performance.now();
      if (count === latencies.length) {
        const bigger = new Float64Array(latencies.length * 2);
        bigger.set(latencies);
        latencies = bigger;
      }
      latencies[count++] = ms;
      if (ms > 1000 && slow.length < 10) slow.push({ at: (performance.now() - startedAt) / 1000, ms });
      if (!firstAckSeen && statusCode >= 200 && statusCode < 300) {
        firstAckSeen = true;
        options.onFirstAck?.(performance.now());
      }
    });
  });
}
