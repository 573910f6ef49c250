/**
 * How Graph sends bunch up between the sender and the simulator, from one bench:outbound run with
 * `--hub-import ./bench/diagnostics/graph-send-timing.ts` (the run prints the files' prefix):
 *
 *   npx tsx bench/diagnostics/send-bunching.ts /tmp/switchboard-outbound-diag-NNNN
 *
 * Per send: the sender's call, undici's socket write and the simulator's handling (its 130429
 * counts at that point). Prints the delays between them and the busiest 1-s and 10-ms windows at
 * each point: what the sender's pacing admits, and how much more than that the simulator sees.
 */
import { readFileSync } from 'node:fs';
import { peakWindow } from '../outbound-metrics.js';

const prefix = process.argv[2];
if (!prefix) {
  console.error('usage: send-bunching.ts DIAG_PREFIX   (reads DIAG_PREFIX.graph-sends.txt and DIAG_PREFIX.simulator-sends.txt)');
  process.exit(2);
}

const rows = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\t'));
const hub = new Map(rows(`${prefix}.graph-sends.txt`).map(([tag, call, write]) => [tag!, { call: Number(call), write: Number(write) }]));
const simulator = rows(`${prefix}.simulator-sends.txt`).map(([tag, at]) => ({ tag: tag!, at: Number(at) }));
const matched = simulator.flatMap((s) => {
  const h = hub.get(s.tag);
  return h ? [{ ...h, at: s.at }] : [];
});

function percentiles(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const p = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(1);
  return `p50 ${p(0.5)}  p90 ${p(0.9)}  p99 ${p(0.99)}  max ${sorted[sorted.length - 1]!.toFixed(1)} ms`;
}

console.log(`${matched.length} sends matched (${simulator.length} at the simulator, ${hub.size} written by the hub)`);
console.log(`call → socket write     ${percentiles(matched.map((m) => m.write - m.call))}`);
console.log(`socket write → handled ${percentiles(matched.map((m) => m.at - m.write))}`);
for (const [label, key] of [['sender calls', 'call'], ['socket writes', 'write'], ['simulator', 'at']] as const) {
  const sorted = matched.map((m) => m[key]).sort((a, b) => a - b);
  console.log(`busiest 1 s / 10 ms, ${label.padEnd(13)} ${String(peakWindow(sorted, 1000).count).padStart(5)} / ${peakWindow(sorted, 10).count}`);
}
