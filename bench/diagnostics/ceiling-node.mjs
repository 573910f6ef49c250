// What node:http alone can do on this machine, without a framework: read the body into one buffer
// and answer 200. CEILING_WORK=verify adds the hub's CPU work that is not storage (HMAC check,
// JSON.parse, sha256 of the body). CEILING_WORK=durable adds the least a durable SQLite ack can
// store: one row per webhook (keyed by the sha256, as the inbox is; no job row, no other index)
// in a group commit whose WAL is fsynced on the thread pool before the batch is answered, as the
// hub's inbox writer does. Its WAL is never checkpointed (wal_autocheckpoint = 0), so the figure
// is an upper bound for any hub that stores a row per webhook.
// Prints `Ceiling listening on http://HOST:PORT`.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const secret = process.env.META_APP_SECRET ?? '';
const work = process.env.CEILING_WORK ?? '';
const verify = work === 'verify' || work === 'durable';
const store = work === 'durable' ? await durableStore() : null;

/** Group commit: the webhooks that arrive while a batch is written and fsynced form the next one. */
async function durableStore() {
  const { default: SQLite } = await import('better-sqlite3');
  const dir = mkdtempSync(join(tmpdir(), 'ceiling-durable-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const sqlite = new SQLite(join(dir, 'inbox.db'));
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('wal_autocheckpoint = 0');
  sqlite.exec('CREATE TABLE inbox (id TEXT PRIMARY KEY, received_at INTEGER NOT NULL, body TEXT NOT NULL)');
  const insert = sqlite.prepare('INSERT INTO inbox (id, received_at, body) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING');
  const writeBatch = sqlite.transaction((rows) => {
    for (const row of rows) insert.run(row.id, row.receivedAt, row.body);
  });
  const wal = await open(join(dir, 'inbox.db-wal'), 'r');
  let waiting = [];
  let writing = false;
  const flush = async () => {
    const batch = waiting;
    waiting = [];
    writing = true;
    writeBatch(batch);
    await wal.sync();
    for (const row of batch) row.done();
    writing = false;
    if (waiting.length > 0) setImmediate(flush);
  };
  return (row) =>
    new Promise((resolve) => {
      waiting.push({ ...row, done: resolve });
      if (!writing && waiting.length === 1) setImmediate(flush);
    });
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (verify) {
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      const header = String(req.headers['x-hub-signature-256'] ?? '');
      const expected = createHmac('sha256', secret).update(body).digest();
      const received = Buffer.from(header.slice(7), 'hex');
      if (received.length !== expected.length || !timingSafeEqual(received, expected)) {
        res.writeHead(401).end('bad signature');
        return;
      }
      const json = JSON.parse(body.toString('utf8'));
      if (json.object !== 'whatsapp_business_account') {
        res.writeHead(400).end('not whatsapp');
        return;
      }
      const id = createHash('sha256').update(body).digest('hex');
      if (store) {
        void store({ id, receivedAt: Date.now(), body: body.toString('utf8') }).then(() => res.writeHead(200, { 'content-type': 'text/plain' }).end('EVENT_RECEIVED'));
        return;
      }
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end('EVENT_RECEIVED');
  });
});
server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  const { address, port } = server.address();
  console.log(`Ceiling listening on http://${address}:${port}`);
});
const stop = () => server.close(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
