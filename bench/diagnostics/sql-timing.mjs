// Preload for the hub process (node --import) that times, without touching src/:
//  - every better-sqlite3 prepare / run / all / get, grouped by statement shape; COMMITs also by
//    the connection's synchronous level (FULL: its fsync blocks the event loop) and by who committed;
//  - how long each worker batch holds the single SQLite connection (SqlJobQueue.runBatch);
//  - the webhook group commits (GroupCommitter writeBatch): batch size and duration.
// Writes a report to $SQL_TIMING_OUT (or stderr) when the process exits.
//
//   npm run bench:ingest -- --hub-import ./bench/diagnostics/sql-timing.mjs --skip baseline,rate
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const Database = require('better-sqlite3');
const dist = process.env.SWITCHBOARD_DIST ?? new URL('../../dist/', import.meta.url).href;
const { SqlJobQueue } = await import(new URL('jobs/sql-job-queue.js', dist).href);
const { GroupCommitter } = await import(new URL('platform/group-commit.js', dist).href);

const now = () => performance.now();
const stats = new Map();
function add(group, key, ms, n = 1) {
  let g = stats.get(group);
  if (!g) stats.set(group, (g = new Map()));
  const s = g.get(key) ?? { count: 0, total: 0, max: 0, items: 0, samples: [] };
  s.count++;
  s.total += ms;
  s.items += n;
  if (ms > s.max) s.max = ms;
  if (s.samples.length < 200_000) s.samples.push(ms);
  g.set(key, s);
}

/** A statement's shape: keywords and table, values and long IN lists collapsed. */
function shape(sql) {
  const s = sql.replace(/\s+/g, ' ').trim();
  const m = /^(select .*? from "?(\w+)"?|insert into "?(\w+)"?|update "?(\w+)"?|delete from "?(\w+)"?|begin|commit|rollback|savepoint|release|rollback to)/i.exec(s);
  if (!m) return s.slice(0, 60);
  const head = m[0].toLowerCase();
  if (head.startsWith('select')) return `select … from ${m[2]}${/count\(/i.test(s) ? ' (count)' : ''}${/where "?(\w+)"? =/i.exec(s)?.[0] ? ' ' + /where "?(\w+)"? =/i.exec(s)[0].replace(/"/g, '') : ''}`;
  return head.replace(/"/g, '');
}

const shapes = new Map();
const shapeOf = (sql) => {
  let v = shapes.get(sql);
  if (v === undefined) shapes.set(sql, (v = shape(sql)));
  return v;
};

// Commits are told apart by the connection's synchronous level (FULL fsyncs on the event loop)
// and by the first frame of ours that led to them (async stacks: `node --async-stack-traces`, on by default).
let synchronous = 'FULL';
const OUR_FRAME = /\/(?:dist|src)\/((?:modules|jobs|db|platform|http)\/[^:)]+)/;
function commitLabel() {
  const stack = new Error().stack ?? '';
  const ours = stack
    .split('\n')
    .map((line) => OUR_FRAME.exec(line)?.[1])
    .find((file) => file && !file.startsWith('db/'));
  return `commit (synchronous ${synchronous}) from ${ours ?? '?'}`;
}

let statementPatched = false;
const originalPrepare = Database.prototype.prepare;
Database.prototype.prepare = function prepare(sql) {
  const t0 = now();
  const stmt = originalPrepare.call(this, sql);
  add('prepare (parse + plan, every call: kysely has no statement cache)', shapeOf(sql), now() - t0);
  if (!statementPatched) {
    statementPatched = true;
    const proto = Object.getPrototypeOf(stmt);
    for (const method of ['run', 'all', 'get']) {
      const original = proto[method];
      proto[method] = function (...args) {
        const level = /synchronous\s*=\s*(\w+)/i.exec(this.source);
        if (level) synchronous = level[1].toUpperCase();
        const what = shapeOf(this.source);
        const label = what === 'commit' ? commitLabel() : what;
        const t = now();
        try {
          return original.apply(this, args);
        } finally {
          add('execute (run/all/get)', label, now() - t);
        }
      };
    }
  }
  return stmt;
};

const originalRunBatch = SqlJobQueue.prototype.runBatch;
SqlJobQueue.prototype.runBatch = async function runBatch(...args) {
  const t0 = now();
  const claimed = await originalRunBatch.apply(this, args);
  if (claimed > 0) add('worker', `runBatch (connection held), jobs per batch in "items"`, now() - t0, claimed);
  return claimed;
};

const wrapped = new WeakSet();
const originalSubmit = GroupCommitter.prototype.submit;
GroupCommitter.prototype.submit = function submit(item) {
  if (!wrapped.has(this)) {
    wrapped.add(this);
    const write = this.writeBatch;
    this.writeBatch = async (items) => {
      const t0 = now();
      try {
        return await write(items);
      } finally {
        add('ingest', 'group commit writeBatch (incl. waiting for the connection), webhooks in "items"', now() - t0, items.length);
      }
    };
  }
  const t0 = now();
  return originalSubmit.call(this, item).finally(() => add('ingest', 'submit → durable (per webhook)', now() - t0));
};

function report() {
  const lines = [];
  const pct = (arr, p) => {
    if (arr.length === 0) return NaN;
    const sorted = Float64Array.from(arr).sort();
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  };
  for (const [group, entries] of stats) {
    lines.push(`\n${group}:`);
    lines.push(`  ${'total ms'.padStart(9)} ${'count'.padStart(8)} ${'avg µs'.padStart(8)} ${'p50 µs'.padStart(8)} ${'p99 µs'.padStart(8)} ${'max ms'.padStart(8)} ${'items'.padStart(8)}  what`);
    for (const [key, s] of [...entries].sort((a, b) => b[1].total - a[1].total)) {
      lines.push(
        `  ${s.total.toFixed(0).padStart(9)} ${String(s.count).padStart(8)} ${((1000 * s.total) / s.count).toFixed(0).padStart(8)} ${(1000 * pct(s.samples, 50)).toFixed(0).padStart(8)} ${(1000 * pct(s.samples, 99)).toFixed(0).padStart(8)} ${s.max.toFixed(1).padStart(8)} ${String(s.items).padStart(8)}  ${key}`,
      );
    }
  }
  const text = lines.join('\n') + '\n';
  if (process.env.SQL_TIMING_OUT) writeFileSync(process.env.SQL_TIMING_OUT, text);
  else process.stderr.write(text);
}
process.on('exit', report);
