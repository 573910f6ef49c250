/**
 * Diagnostics preloaded into the hub (`--hub-import ./bench/outbound-diag-sender.ts`, run with
 * tsx): times every round of the outbound sender without touching src/, and writes a report to
 * $OUTBOUND_DIAG_OUT (else stderr) when the hub exits.
 *
 * A round (`OutboundSender.runOnce`) is split into:
 *   wait  start → the claim transaction holds the connection (first outbox query runs)
 *   claim that → the first send starts (claim queries + COMMIT)
 *   send  first send starts → the last send has its outcome (window query, buckets, HTTP)
 *   commit the last outcome → the round ends (the group commit of the outcomes)
 * and, per send, its whole duration and that of its Graph HTTP call.
 */
import { writeFileSync } from 'node:fs';

type Round = { start: number; acquired: number; firstSend: number; lastOutcome: number; end: number; claimed: number };
type SendTiming = { start: number; end: number };

const dist = process.env['SWITCHBOARD_DIST'] ?? new URL('../dist/', import.meta.url).href;
/* eslint-disable @typescript-eslint/no-explicit-any */
const { OutboundSender } = (await import(new URL('modules/outbound/outbound-sender.js', dist).href)) as { OutboundSender: any };
const { outboxRepository } = (await import(new URL('modules/outbound/outbox.repository.js', dist).href)) as { outboxRepository: any };
const { GraphClient } = (await import(new URL('modules/outbound/whatsapp/graph.client.js', dist).href)) as { GraphClient: any };
const { MemoryRateLimiter } = (await import(new URL('modules/outbound/rate-limit/memory-rate-limiter.js', dist).href)) as { MemoryRateLimiter: any };

const now = () => performance.now();
const rounds: Round[] = [];
const sends: SendTiming[] = [];
let current: Round | null = null;

const originalRunOnce = OutboundSender.prototype.runOnce;
OutboundSender.prototype.runOnce = async function runOnce(this: unknown): Promise<number> {
  const round: Round = { start: now(), acquired: Number.NaN, firstSend: Number.NaN, lastOutcome: Number.NaN, end: Number.NaN, claimed: 0 };
  current = round;
  const claimed = (await originalRunOnce.call(this)) as number;
  round.end = now();
  round.claimed = claimed;
  current = null;
  if (claimed > 0) rounds.push(round);
  return claimed;
};

const originalMark = outboxRepository.markAbandonedInDoubt;
outboxRepository.markAbandonedInDoubt = function markAbandonedInDoubt(...args: unknown[]) {
  if (current && Number.isNaN(current.acquired)) current.acquired = now();
  return originalMark.apply(this, args);
};

const originalSend = OutboundSender.prototype.send;
OutboundSender.prototype.send = async function send(this: unknown, row: unknown) {
  const round = current;
  const timing: SendTiming = { start: now(), end: Number.NaN };
  if (round && Number.isNaN(round.firstSend)) round.firstSend = timing.start;
  try {
    return await (originalSend.call(this, row) as Promise<unknown>);
  } finally {
    timing.end = now();
    sends.push(timing);
    if (round) round.lastOutcome = Math.max(Number.isNaN(round.lastOutcome) ? 0 : round.lastOutcome, timing.end);
  }
};

// The Graph HTTP call inside each send (after the window query and the buckets): its duration.
const httpDurations: number[] = [];
const httpStarts: number[] = [];
const originalSendMessage = GraphClient.prototype.sendMessage;
GraphClient.prototype.sendMessage = async function sendMessage(this: unknown, ...args: unknown[]) {
  const t = now();
  httpStarts.push(t);
  try {
    return await originalSendMessage.apply(this, args);
  } finally {
    httpDurations.push(now() - t);
  }
};

// Throughput tokens granted (the moment the hub's bucket admits a send), to compare the busiest
// second at the hub with the busiest second as the simulator sees the calls arrive.
const tokens: number[] = [];
const originalReserve = MemoryRateLimiter.prototype.reserve;
MemoryRateLimiter.prototype.reserve = async function reserve(this: unknown, key: string, ...rest: unknown[]) {
  const result = (await originalReserve.call(this, key, ...rest)) as { ok: boolean };
  if (result.ok && key.startsWith('throughput:')) tokens.push(now());
  return result;
};

function peak(times: number[], windowMs = 1000): number {
  let best = 0;
  let i = 0;
  for (let j = 0; j < times.length; j++) {
    while (times[j]! - times[i]! >= windowMs) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}

function pct(values: number[], p: number): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
const avg = (values: number[]) => {
  const v = values.filter((x) => Number.isFinite(x));
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : Number.NaN;
};
const f = (n: number) => (Number.isFinite(n) ? n.toFixed(1).padStart(7) : '    n/a');

function describe(label: string, list: Round[]): string[] {
  if (list.length === 0) return [];
  const col = (name: string, values: number[]) => `  ${name.padEnd(34)} avg ${f(avg(values))}  p50 ${f(pct(values, 50))}  p99 ${f(pct(values, 99))}  max ${f(pct(values, 100))} ms`;
  const span = (list[list.length - 1]!.end - list[0]!.start) / 1000;
  const messages = list.reduce((n, r) => n + r.claimed, 0);
  return [
    `${label}: ${list.length} rounds, ${messages} messages in ${span.toFixed(1)} s (${(messages / span).toFixed(0)}/s), ${(messages / list.length).toFixed(1)} per round`,
    col('round (start → end)', list.map((r) => r.end - r.start)),
    col('wait for the connection', list.map((r) => r.acquired - r.start)),
    col('claim transaction (queries+COMMIT)', list.map((r) => r.firstSend - r.acquired)),
    col('sends (first start → last outcome)', list.map((r) => r.lastOutcome - r.firstSend)),
    col('outcome group commit', list.map((r) => r.end - r.lastOutcome)),
  ];
}

function report(): void {
  const lines: string[] = ['outbound sender rounds (bench/outbound-diag-sender.ts)'];
  if (rounds.length > 0) {
    const t0 = rounds[0]!.start;
    // Per 5-second stretch, so that "while the API takes messages" and "after" can be told apart.
    const byStretch = new Map<number, Round[]>();
    for (const r of rounds) {
      const k = Math.floor((r.start - t0) / 5000);
      const list = byStretch.get(k) ?? [];
      list.push(r);
      byStretch.set(k, list);
    }
    lines.push(...describe('all rounds', rounds));
    for (const [k, list] of [...byStretch].sort((a, b) => a[0] - b[0])) lines.push(...describe(`\n+${k * 5}–${k * 5 + 5} s`, list));
  }
  lines.push(
    `\nper send: total avg ${f(avg(sends.map((s) => s.end - s.start)))} p50 ${f(pct(sends.map((s) => s.end - s.start), 50))} p99 ${f(pct(sends.map((s) => s.end - s.start), 99))} ms; ` +
      `Graph HTTP call avg ${f(avg(httpDurations))} p50 ${f(pct(httpDurations, 50))} p99 ${f(pct(httpDurations, 99))} ms (${httpDurations.length} calls)`,
  );
  lines.push(
    `busiest 1-s sliding window inside the hub: ${peak(tokens)} throughput tokens granted, ${peak(httpStarts)} Graph calls started ` +
      `(compare with the busiest window of arrivals at the simulator)`,
  );
  const text = lines.join('\n') + '\n';
  if (process.env['OUTBOUND_DIAG_OUT']) writeFileSync(process.env['OUTBOUND_DIAG_OUT'], text);
  else process.stderr.write(text);
}
process.on('exit', report);
