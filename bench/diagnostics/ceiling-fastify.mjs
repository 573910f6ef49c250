// What the HTTP layer alone can do on this machine: fastify with the hub's raw-buffer body parser
// answering 200 at once. CEILING_WORK=verify adds the hub's CPU work that is not storage
// (HMAC check, JSON.parse, sha256 of the body). Prints `Ceiling listening on http://HOST:PORT`.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import Fastify from 'fastify';

const secret = process.env.META_APP_SECRET ?? '';
const verify = process.env.CEILING_WORK === 'verify';
const app = Fastify({ logger: false });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 4 * 1024 * 1024 }, (_req, body, done) => done(null, body));
app.post('/webhooks/whatsapp', async (request, reply) => {
  if (verify) {
    const body = request.body;
    const header = String(request.headers['x-hub-signature-256'] ?? '');
    const expected = createHmac('sha256', secret).update(body).digest();
    const received = Buffer.from(header.slice(7), 'hex');
    if (received.length !== expected.length || !timingSafeEqual(received, expected)) return reply.code(401).send('bad signature');
    const json = JSON.parse(body.toString('utf8'));
    if (json.object !== 'whatsapp_business_account') return reply.code(400).send('not whatsapp');
    createHash('sha256').update(body).digest('hex');
  }
  return reply.type('text/plain').send('EVENT_RECEIVED');
});
const address = await app.listen({ port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? '127.0.0.1' });
console.log(`Ceiling listening on ${address}`);
const stop = () => app.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
