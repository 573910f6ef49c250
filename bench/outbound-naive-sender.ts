/**
 * The baseline of the outbound benchmark: the sender most integrations start with. A loop that
 * POSTs every message straight to the Graph API as fast as it can (a bounded number in flight),
 * with no outbox, no pacing and no retry: whatever Meta refuses is simply lost (or, in real
 * code, logged). Run as a child process by bench/outbound.bench.ts, so that it gets the hub's
 * CPU and the simulator keeps its own.
 *
 * Environment: NAIVE_GRAPH_URL (…/v24.0/<phone-number-id>/messages), NAIVE_TOKEN, NAIVE_MESSAGES,
 * NAIVE_RECIPIENTS, NAIVE_CONCURRENCY, NAIVE_KIND (text | template).
 * Prints one line `RESULT {json}` and exits.
 */
import { Agent, request } from 'undici';
import { graphMessage, recipientOf, recipientWaId, type MessageKind } from './outbound-workload.js';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

async function main(): Promise<void> {
  const url = required('NAIVE_GRAPH_URL');
  const token = required('NAIVE_TOKEN');
  const messages = Number(required('NAIVE_MESSAGES'));
  const recipients = Number(required('NAIVE_RECIPIENTS'));
  const concurrency = Number(required('NAIVE_CONCURRENCY'));
  const kind = required('NAIVE_KIND') as MessageKind;

  const agent = new Agent({ connections: concurrency, keepAliveTimeout: 30_000 });
  const statusCodes: Record<string, number> = {};
  const metaCodes: Record<string, number> = {};
  let networkErrors = 0;
  let next = 0;

  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  const worker = async () => {
    for (;;) {
      const k = next++;
      if (k >= messages) return;
      const to = recipientWaId(recipientOf(k, recipients));
      try {
        const res = await request(url, {
          method: 'POST',
          dispatcher: agent,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(graphMessage(kind, k, to, `naive:${k}`)),
        });
        const text = await res.body.text();
        statusCodes[res.statusCode] = (statusCodes[res.statusCode] ?? 0) + 1;
        if (res.statusCode !== 200) {
          let code = 'unparsed';
          try {
            code = String((JSON.parse(text) as { error?: { code?: number } }).error?.code ?? 'none');
          } catch {
            // not JSON
          }
          metaCodes[code] = (metaCodes[code] ?? 0) + 1;
        }
      } catch {
        networkErrors += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wallMs = performance.now() - startedAt;
  const cpu = process.cpuUsage(cpuBefore);
  await agent.close();
  console.log(`RESULT ${JSON.stringify({ wallMs, cpuSeconds: (cpu.user + cpu.system) / 1e6, statusCodes, metaCodes, networkErrors })}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
