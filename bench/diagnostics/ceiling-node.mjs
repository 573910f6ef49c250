// What node:http alone can do on this machine, without a framework: read the body into one buffer
// and answer 200. CEILING_WORK=verify adds the hub's CPU work that is not storage (HMAC check,
// JSON.parse, sha256 of the body). Prints `Ceiling listening on http://HOST:PORT`.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const secret = process.env.META_APP_SECRET ?? '';
const verify = process.env.CEILING_WORK === 'verify';
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
      createHash('sha256').update(body).digest('hex');
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
