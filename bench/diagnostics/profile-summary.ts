/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): self time by package / src file, the hottest
 * functions by self time, and total (inclusive) time of the src/ functions on the ingest and
 * worker paths.
 *
 *   npx tsx bench/diagnostics/profile-summary.ts /tmp/switchboard-prof-XXXX/hub-saturation.cpuprofile [top=25] [from-to]
 *
 * `from-to` (seconds since the profile started, e.g. `40-60`) keeps only the samples taken in
 * that span, e.g. a benchmark's measured run without the hub's start-up and warm-up. The busy
 * share of every second is printed first, to find the span.
 */
import { readFileSync } from 'node:fs';

type CallFrame = { functionName: string; url: string; lineNumber: number; columnNumber: number };
type ProfileNode = { id: number; callFrame: CallFrame; children?: number[]; hitCount?: number };
type Profile = { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] };

const [file, topArg, spanArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: profile-summary.ts FILE.cpuprofile [top] [from-to seconds]');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const span = spanArg ? spanArg.split('-').map((s) => Number(s) * 1e6) : [0, Infinity];
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));

// Self time per node from samples × time deltas (µs), within the span; busy time per second.
const selfUs = new Map<number, number>();
const busyPerSecond: number[] = [];
let at = 0;
let spanStart = Infinity;
let spanEnd = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i]!;
  const delta = profile.timeDeltas[i] ?? 0;
  at += delta;
  const second = Math.floor(at / 1e6);
  busyPerSecond[second] = (busyPerSecond[second] ?? 0) + (byId.get(id)!.callFrame.functionName === '(idle)' ? 0 : delta);
  if (at < span[0]! || at >= span[1]!) continue;
  spanStart = Math.min(spanStart, at - delta);
  spanEnd = at;
  selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
}
console.log(`busy share per second: ${Array.from(busyPerSecond, (us, s) => `${s}:${Math.round((us ?? 0) / 1e4)}`).join(' ')}\n`);
const totalUs = spanArg ? spanEnd - spanStart : profile.endTime - profile.startTime;
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

function where(frame: CallFrame): string {
  const url = frame.url;
  if (!url) return frame.functionName.startsWith('(') ? frame.functionName : '(native/V8)';
  if (url.startsWith('node:')) return url;
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return 'src/' + url.slice(dist + '/dist/'.length).replace(/\.js$/, '.ts');
  // The sources themselves, when run with tsx (outbound-path-probe.ts).
  const source = url.indexOf('/src/');
  if (source >= 0) return url.slice(source + 1);
  return url.replace(/^file:\/\//, '');
}

const fmt = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / totalUs).toFixed(1).padStart(5)}%`;

// 1. Self time by package / file.
const byPlace = new Map<string, number>();
for (const [id, us] of selfUs) {
  const place = where(byId.get(id)!.callFrame);
  byPlace.set(place, (byPlace.get(place) ?? 0) + us);
}
console.log(`profile: ${(totalUs / 1e6).toFixed(1)} s wall${spanArg ? ` (${spanArg} s)` : ''}, ${profile.samples.length} samples\n\nself time by place:`);
for (const [place, us] of [...byPlace].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${fmt(us)}  ${place}`);

// 2. Hottest functions (self).
const byFunction = new Map<string, number>();
for (const [id, us] of selfUs) {
  const f = byId.get(id)!.callFrame;
  const key = `${f.functionName || '(anonymous)'}  ${where(f)}:${f.lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
}
console.log('\nhottest functions (self time):');
for (const [key, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${fmt(us)}  ${key}`);

// 3. Inclusive time of every function that lives in src/ (counted once per sample even if recursive).
const inclusive = new Map<string, number>();
for (const [id, us] of selfUs) {
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const f = byId.get(cur)!.callFrame;
    const place = where(f);
    if (!place.startsWith('src/')) continue;
    const key = `${f.functionName || '(anonymous)'}  ${place}:${f.lineNumber + 1}`;
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + us);
  }
}
console.log('\nsrc/ functions, inclusive time (callees included):');
for (const [key, us] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${fmt(us)}  ${key}`);

// 4. Inclusive time of a few library entry points worth knowing about.
const markers: [string, (f: CallFrame) => boolean][] = [
  ['kysely (query building + compiling + driver)', (f) => f.url.includes('node_modules/kysely/')],
  ['better-sqlite3 native (statement run/all/prepare)', (f) => f.url.includes('better-sqlite3') || /^(run|all|get|prepare|exec)$/.test(f.functionName) && !f.url],
  ['zod', (f) => f.url.includes('node_modules/zod/')],
  ['pino (incl. child loggers)', (f) => f.url.includes('node_modules/pino') || f.url.includes('fast-redact')],
  ['prom-client', (f) => f.url.includes('node_modules/prom-client/')],
  ['fastify', (f) => f.url.includes('node_modules/fastify/') || f.url.includes('node_modules/find-my-way/') || f.url.includes('node_modules/avvio/')],
  ['node:http / net (server side)', (f) => f.url === 'node:_http_server' || f.url === 'node:_http_outgoing' || f.url === 'node:net' || f.url === 'node:_http_common'],
  ['crypto (hmac/sha256/uuid)', (f) => f.url === 'node:internal/crypto/hash' || f.url === 'node:crypto' || f.url.includes('internal/crypto')],
  ['(garbage collector)', (f) => f.functionName === '(garbage collector)'],
  ['(idle)', (f) => f.functionName === '(idle)'],
];
console.log('\ninclusive time of libraries / buckets:');
for (const [label, test] of markers) {
  let us = 0;
  for (const [id, t] of selfUs) {
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      if (test(byId.get(cur)!.callFrame)) {
        us += t;
        break;
      }
    }
  }
  console.log(`  ${fmt(us)}  ${label}`);
}
