/**
 * CRM sync benchmark: 10,000 inbound WhatsApp messages from 1,000 contacts synced to the local
 * HubSpot fake, which ENFORCES HubSpot's documented burst limit (a rolling 10-second window;
 * Professional tier, 190 requests, by default) and the search endpoints' 5 per second, answering
 * 429 above them exactly as HubSpot does.
 *
 *   npm run bench:crm [-- --messages 10000 --contacts 1000 --tier professional|starter --sample 300]
 *                     [-- --skip naive,batched,outbox]
 *
 * Three ways of draining the same kind of backlog, each against a fresh fake, in one run:
 * 1. crm-sync outbox (measured in full): the product's sync path. Real SQLite (a file), the
 *    `crm-sync` subscriber appending every message to `crm_outbox`, and one job worker whose
 *    `crm.flush` claims 100 items at a time, links their contacts (our key, then the phone search
 *    that attaches a contact to a record a CRM user typed, then one `contacts/batch/upsert` for
 *    the new ones) and logs them in one `communications/batch/create`.
 * 2. batched loop (measured in full): the connector's batch methods driven directly, without the
 *    database, the worker or the phone search for first contacts: per 100 messages one
 *    `contacts/batch/upsert` for the contacts not linked yet and one `communications/batch/create`.
 *    The floor the outbox is measured against.
 * 3. naive (baseline, measured on a sample and extrapolated): one upsert and one communication
 *    per message, about 2 requests a message, which would take ~17.5 min for 10,000 messages at
 *    190 requests / 10 s.
 * Afterwards the first 1,000 messages go through the outbox again under new event ids (an inbound
 * pipeline redelivering after a crash) to show that a replay creates nothing.
 */
import { parseArgs } from 'node:util';
import { HUBSPOT_TIERS } from '../src/modules/crm/connectors/hubspot/index.js';
import { batchedSync, hubspotHarness, naiveSync, summarise, type RunResult } from './crm/hubspot-runs.js';
import { outboxRun } from './crm/outbox-run.js';
import { workload } from './crm/workload.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: process.env.BENCH_CRM_MESSAGES ?? '10000' },
    contacts: { type: 'string', default: process.env.BENCH_CRM_CONTACTS ?? '1000' },
    tier: { type: 'string', default: process.env.BENCH_CRM_TIER ?? 'professional' },
    sample: { type: 'string', default: process.env.BENCH_CRM_SAMPLE ?? '300' },
    skip: { type: 'string', default: process.env.BENCH_CRM_SKIP ?? '' },
  },
});
const messages = Number(values.messages);
const contacts = Number(values.contacts);
const sample = Math.min(Number(values.sample), messages);
const skip = new Set(values.skip.split(',').filter((s) => s !== ''));
const perContact = messages / contacts;
if (!Number.isInteger(perContact) || perContact < 1) throw new Error('--messages must be a whole multiple of --contacts');
const tierName = values.tier === 'starter' ? 'Free/Starter' : 'Professional';
const tier = values.tier === 'starter' ? HUBSPOT_TIERS.freeStarter : HUBSPOT_TIERS.professional;

const fmtMs = (ms: number) => (ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 60_000).toFixed(1)} min`);
const fmtN = (n: number) => Math.round(n).toLocaleString('en-US');

type Row = { label: string; note: string; result: RunResult; factor: number };

async function run(label: string, note: string, size: number, how: 'batched' | 'naive' | 'outbox'): Promise<Row> {
  const w = workload(Math.max(1, Math.round(size / perContact)), size, `${how}`);
  const h = await hubspotHarness(tier);
  const outbox = how === 'outbox' ? await outboxRun(h, w) : null;
  try {
    process.stdout.write(`  running ${label} (${fmtN(w.messages.length)} messages from ${fmtN(w.contacts.length)} contacts)… `);
    const { elapsedMs, failed } = outbox ? await outbox.sync(w.messages) : how === 'batched' ? await batchedSync(h, w) : await naiveSync(h, w);
    const result = summarise(h, w, elapsedMs, failed);
    process.stdout.write(`${fmtMs(elapsedMs)}\n`);
    if (outbox) {
      const before = h.fake.controls.requests().length;
      const replay = w.messages.slice(0, 1000);
      const again = await outbox.sync(replay, 'replay-');
      const after = summarise(h, w, 0, 0);
      replayLine =
        `  replayed ${fmtN(replay.length)} messages through the outbox under new event ids (a redelivery after a crash): ${fmtMs(again.elapsedMs)}, ` +
        `${after.requests - before} requests, ${after.people - result.people} contacts and ${after.communications - result.communications} communications created (both must be 0)`;
      console.log(replayLine);
      replayCreated = after.people - result.people + (after.communications - result.communications);
    }
    return { label, note, result, factor: messages / w.messages.length };
  } finally {
    await outbox?.close();
    await h.close();
  }
}
let replayLine = '';
let replayCreated = 0;

console.log(`HubSpot CRM sync benchmark: ${fmtN(messages)} inbound messages from ${fmtN(contacts)} contacts`);
console.log(
  `HubSpot fake: ${tierName} tier, ${tier.perTenSeconds} requests per rolling 10 s enforced (and 5 searches/s), 429 + X-HubSpot-RateLimit-* above it; ` +
    `the connector paces itself to 95 % of it.`,
);
const rows: Row[] = [];
if (!skip.has('outbox')) rows.push(await run('crm-sync outbox', 'measured in full', messages, 'outbox'));
if (!skip.has('batched')) rows.push(await run('batched loop (floor)', 'measured in full', messages, 'batched'));
if (!skip.has('naive')) rows.push(await run('naive', `sample of ${fmtN(sample)}, extrapolated ×${(messages / sample).toFixed(1)}`, sample, 'naive'));

const scaled = (r: Row, n: number) => (r.factor === 1 ? fmtN(n) : `~${fmtN(n * r.factor)}`);
const lines: [string, (r: Row) => string][] = [
  ['', (r) => r.label],
  ['how measured', (r) => r.note],
  ['time to drain', (r) => (r.factor === 1 ? fmtMs(r.result.elapsedMs) : `~${fmtMs(r.result.elapsedMs * r.factor)} (${fmtMs(r.result.elapsedMs)} measured)`)],
  ['HTTP requests', (r) => (r.factor === 1 ? fmtN(r.result.requests) : `~${fmtN(r.result.requests * r.factor)} (${fmtN(r.result.requests)} measured)`)],
  ['requests / message', (r) => (r.result.requests / r.result.messages).toFixed(3)],
  ['messages / s', (r) => ((r.result.messages / r.result.elapsedMs) * 1000).toFixed(1)],
  ['  key lookups / phone searches', (r) => scaled(r, r.result.byKind.lookups) + ' / ' + scaled(r, r.result.byKind.searches)],
  ['  contact upserts / activity writes', (r) => scaled(r, r.result.byKind.upserts) + ' / ' + scaled(r, r.result.byKind.activities)],
  ['429s received', (r) => String(r.result.rateLimited)],
  ['peak requests in any 10 s', (r) => `${r.result.peakPerTenSeconds} / ${tier.perTenSeconds}`],
  ['contacts in HubSpot', (r) => `${fmtN(r.result.people)} (expected ${fmtN(r.result.contacts)})`],
  ['communications in HubSpot', (r) => `${fmtN(r.result.communications)} (expected ${fmtN(r.result.messages)})`],
  ['duplicates created', (r) => String(r.result.people - r.result.contacts + (r.result.communications - r.result.messages))],
  ['messages failed', (r) => String(r.result.failed)],
];
const width = [Math.max(...lines.map(([l]) => l.length)), ...rows.map((row) => Math.max(...lines.map(([, f]) => f(row).length)))];
console.log('');
for (const [label, f] of lines) console.log([label.padEnd(width[0]!), ...rows.map((row, i) => f(row).padEnd(width[i + 1]!))].join('  │  '));
console.log('');
console.log("Samples keep the full run's ratio of messages per contact; their time and request count are scaled linearly to the full backlog.");
console.log('The batched loop upserts contacts on our key without the phone-search fallback for first contacts (the outbox column includes it: 2 searches per new contact at 5 searches/s).');
if (replayLine) console.log(replayLine.trim());
const outbox = rows.find((r) => r.label === 'crm-sync outbox')?.result;
const ok = !outbox || (outbox.people === outbox.contacts && outbox.communications === outbox.messages && outbox.failed === 0 && replayCreated === 0);
console.log(ok ? 'OK: the outbox created every contact and message exactly once, and its replay created nothing.' : 'FAILED: see the outbox column.');
process.exitCode = ok ? 0 : 1;
