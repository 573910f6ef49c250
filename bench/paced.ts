import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuShares, cpuSnapshot, percentile, type LoadResult } from './load.js';
import type { BodyGenerator } from './webhook-body.js';

/**
 * An open-loop, evenly paced load: request i is due at start + i / rate, whatever happened to the
 * previous ones, over a keep-alive pool of at most `connections` sockets. Latency is measured from
 * the time a request was *due* (so a stalled server cannot hide its stall: no coordinated omission).
 *
 * Why next to autocannon's `overallRate`: autocannon limits each connection to rate/connections
 * requests per 1-second window, and every connection's window starts at the same moment, so at
 * 1,000 rps over 100 connections it sends 100 concurrent requests at the top of each second
 * (each connection then sends its 10 back to back) and nothing for the rest of the second. That
 * measures how fast a burst of 1,000 is absorbed, not latency at a steady 1,000/s.
 */
export async function runPaced(options: {
  url: string;
  generator: BodyGenerator;
  rate: number;
  durationSeconds: number;
  connections: number;
  serverPid?: number;
}): Promise<LoadResult> {
  const target = new URL(options.url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections, maxFreeSockets: options.connections });
  const total = Math.round(options.rate * options.durationSeconds);
  const latencies = new Float64Array(total);
  const statusCodes: Record<string, number> = {};
  let answered = 0;
  let ok = 0;
  let errors = 0;
  let sent = 0;

  const cpuBefore = cpuSnapshot(options.serverPid);
  const startedAt = performance.now();
  const intervalMs = 1000 / options.rate;

  let settleAll: () => void = () => undefined;
  const allAnswered = new Promise<void>((resolve) => (settleAll = resolve));
  const finish = (ms: number) => {
    latencies[answered++] = ms;
    if (answered === total) settleAll();
  };

  const fire = (index: number) => {
    const dueAt = startedAt + index * intervalMs;
    let settled = false;
    const settle = (ms: number, fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
      finish(ms);
    };
    const { body, signature } = options.generator.next();
    const req = request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': body.length, 'x-hub-signature-256': signature },
      },
      (res) => {
        res.resume();
        res.once('end', () =>
          settle(performance.now() - dueAt, () => {
            const code = String(res.statusCode ?? 0);
            statusCodes[code] = (statusCodes[code] ?? 0) + 1;
            if (code.startsWith('2')) ok++;
          }),
        );
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    req.once('error', () => settle(performance.now() - dueAt, () => errors++));
    req.end(body);
  };

  // Send whatever is due, then sleep ~1 ms (timers cannot do better; requests due meanwhile go out together).
  while (sent < total) {
    const due = Math.min(total, Math.floor((performance.now() - startedAt) / intervalMs) + 1);
    while (sent < due) fire(sent++);
    if (sent < total) await sleep(1);
  }
  const deadline = sleep(60_000).then(() => 'timeout' as const);
  await Promise.race([allAnswered, deadline]);
  const finishedAt = performance.now();
  agent.destroy();

  const wallSeconds = (finishedAt - startedAt) / 1000;
  const sorted = latencies.slice(0, answered).sort();
  return {
    seconds: wallSeconds,
    sent,
    ok,
    non2xx: answered - ok - errors,
    statusCodes,
    errors: errors + (total - answered),
    timeouts: total - answered,
    acksPerSecond: ok / wallSeconds,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: answered > 0 ? sorted[answered - 1]! : Number.NaN,
    ...cpuShares(cpuBefore, cpuSnapshot(options.serverPid), wallSeconds),
    slow: [],
    startedAt,
    finishedAt,
  };
}
