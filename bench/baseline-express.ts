/**
 * The baseline: the webhook receiver most WhatsApp Cloud API tutorials give. Express 5 with
 * `express.json()`, a 200 straight away, no signature check, nothing stored (a crash or restart
 * loses whatever was "acknowledged"). Started by bench/ingest.bench.ts:
 *
 *   PORT=0 HOST=127.0.0.1 node --import tsx bench/baseline-express.ts
 *
 * Prints `Baseline listening on http://HOST:PORT` once it accepts connections.
 */
import express from 'express';
import type { AddressInfo } from 'node:net';

const port = Number(process.env['PORT'] ?? 0);
const host = process.env['HOST'] ?? '127.0.0.1';
const verifyToken = process.env['WHATSAPP_VERIFY_TOKEN'] ?? '';

const app = express();
app.use(express.json());

app.get('/webhooks/whatsapp', (req, res) => {
  if (req.query['hub.mode'] === 'subscribe' && req.query['hub.verify_token'] === verifyToken) {
    res.status(200).send(req.query['hub.challenge']);
  } else {
    res.sendStatus(403);
  }
});

let received = 0;
app.post('/webhooks/whatsapp', (req, res) => {
  // "Respond 200 immediately, then process": the tutorials' advice, minus the processing.
  res.sendStatus(200);
  if (req.body?.object === 'whatsapp_business_account') received++;
});

app.get('/stats', (_req, res) => {
  res.json({ received });
});

const server = app.listen(port, host, () => {
  const address = server.address() as AddressInfo;
  console.log(`Baseline listening on http://${host}:${address.port}`);
});

const shutdown = () => server.close(() => process.exit(0));
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
