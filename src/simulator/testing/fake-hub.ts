/**
 * A stand-in for the hub's `/webhooks/whatsapp` in the simulator's tests: a real HTTP server on a
 * free port that checks every body's signature with the hub's own `isValidSignature`, records
 * what it received, and can be told to fail. No test framework imports, so other suites (and
 * demos) can use it too.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isValidSignature } from '../../modules/inbound/index.js';

export type ReceivedWebhook = {
  rawBody: Buffer;
  /** Parsed JSON (null if the body was not JSON). */
  body: unknown;
  signature: string | undefined;
  signatureValid: boolean;
  contentType: string | undefined;
  /** The status the fake hub answered. */
  answeredStatus: number;
  at: number;
};

export type FakeHub = {
  url: string;
  received: ReceivedWebhook[];
  /** Accepted bodies only (valid signature, answered 200). */
  accepted(): ReceivedWebhook[];
  /** Answers the next `times` requests with `status` (default 500). */
  failNext(times: number, status?: number): void;
  /** Drops the connection of the next `times` requests without answering. */
  dropNext(times: number): void;
  /** Resolves once `predicate` holds for the accepted bodies; rejects after `timeoutMs`. */
  waitFor(predicate: (accepted: ReceivedWebhook[]) => boolean, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  close(): Promise<void>;
};

export async function startFakeHub(appSecret: string): Promise<FakeHub> {
  const received: ReceivedWebhook[] = [];
  const failures: number[] = [];
  let drops = 0;
  let waiters: (() => void)[] = [];
  const notify = () => {
    const current = waiters;
    waiters = [];
    for (const w of current) w();
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (drops > 0) {
        drops -= 1;
        req.socket.destroy();
        return;
      }
      const rawBody = Buffer.concat(chunks);
      const signature = req.headers['x-hub-signature-256'] as string | undefined;
      const signatureValid = isValidSignature(rawBody, signature, appSecret);
      let body: unknown = null;
      try {
        body = JSON.parse(rawBody.toString('utf8'));
      } catch {
        body = null;
      }
      const answeredStatus = !signatureValid ? 401 : failures.length > 0 ? (failures.shift() as number) : 200;
      received.push({ rawBody, body, signature, signatureValid, contentType: req.headers['content-type'], answeredStatus, at: Date.now() });
      res.writeHead(answeredStatus, { 'content-type': 'text/plain' }).end(answeredStatus === 200 ? 'EVENT_RECEIVED' : 'nope');
      notify();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const accepted = () => received.filter((r) => r.answeredStatus === 200);

  return {
    url: `http://127.0.0.1:${port}/webhooks/whatsapp`,
    received,
    accepted,
    failNext(times, status = 500) {
      for (let i = 0; i < times; i++) failures.push(status);
    },
    dropNext(times) {
      drops += times;
    },
    waitFor(predicate, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`fake hub: condition not met within ${timeoutMs} ms (${received.length} received)`)), timeoutMs);
        const check = () => {
          if (predicate(accepted())) {
            clearTimeout(timer);
            resolve(accepted());
          } else {
            waiters.push(check);
          }
        };
        check();
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
