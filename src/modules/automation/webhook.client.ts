import { createHmac } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { Agent, request } from 'undici';

/**
 * The `webhook` action's HTTP client: POSTs JSON signed with the rule's secret, with a timeout,
 * without following redirects, and (unless AUTOMATION_WEBHOOK_ALLOW_PRIVATE) refusing any
 * address that is private, loopback, link-local or otherwise not on the public internet. The
 * check runs on the addresses DNS returns and the connection uses exactly those addresses, so a
 * name cannot resolve to a public address for the check and a private one for the connection.
 */

export type WebhookResult = { ok: true; status: number; durationMs: number } | { ok: false; code: WebhookErrorCode; message: string; status?: number };
export type WebhookErrorCode = 'WEBHOOK_ADDRESS_REFUSED' | 'WEBHOOK_TIMEOUT' | 'WEBHOOK_REDIRECT_REFUSED' | 'WEBHOOK_HTTP_ERROR' | 'WEBHOOK_UNREACHABLE';

export type WebhookSender = {
  post(input: { url: string; secret: string; body: Record<string, unknown>; deliveryId: string; timeoutMs: number }): Promise<WebhookResult>;
  close(): Promise<void>;
};

const NOT_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NOT_PUBLIC.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23], ['2001:db8::', 32], ['2002::', 16],
  ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) NOT_PUBLIC.addSubnet(network, prefix, 'ipv6');

/** Whether an address is outside the public internet (an IPv4-mapped IPv6 address is judged as IPv4). */
export function isNonPublicAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return NOT_PUBLIC.check(mapped[1]!, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return NOT_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

class AddressRefused extends Error {
  override readonly name = 'AddressRefused';
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** `dns.lookup` that refuses names resolving to a non-public address. */
function guardedLookup(hostname: string, options: { all?: boolean; family?: number | string }, callback: LookupCallback): void {
  dnsLookup(hostname, { all: true, family: typeof options.family === 'number' ? options.family : 0 }, (error, addresses) => {
    if (error) return callback(error, '');
    const refused = addresses.find((a) => isNonPublicAddress(a.address));
    if (refused || addresses.length === 0) {
      return callback(new AddressRefused(`${hostname} resolves to ${refused?.address ?? 'nothing'}, which is not a public address`) as NodeJS.ErrnoException, '');
    }
    if (options.all) return callback(null, addresses);
    callback(null, addresses[0]!.address, addresses[0]!.family);
  });
}

function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e: unknown = error; e && chain.length < 6; e = (e as { cause?: unknown }).cause) chain.push(e);
  return chain;
}

export function createWebhookSender(options: { allowPrivate: boolean; userAgent?: string }): WebhookSender {
  const agent = new Agent({
    connect: options.allowPrivate ? {} : { lookup: guardedLookup as never },
    // Each call has its own budget (AbortSignal); connections are not worth keeping.
    keepAliveTimeout: 1_000,
  });
  return {
    async post({ url, secret, body, deliveryId, timeoutMs }) {
      const target = new URL(url);
      const host = target.hostname.replace(/^\[|\]$/g, '');
      // A literal address never goes through DNS: judged here.
      if (!options.allowPrivate && isIP(host) !== 0 && isNonPublicAddress(host)) {
        return { ok: false, code: 'WEBHOOK_ADDRESS_REFUSED', message: `${host} is not a public address (AUTOMATION_WEBHOOK_ALLOW_PRIVATE=true allows it)` };
      }
      const payload = JSON.stringify(body);
      const signature = createHmac('sha256', secret).update(payload).digest('hex');
      const started = Date.now();
      try {
        const response = await request(target, {
          method: 'POST',
          dispatcher: agent,
          body: payload,
          headers: {
            'content-type': 'application/json',
            'user-agent': options.userAgent ?? 'Switchboard-Automation/1',
            'x-switchboard-signature': `sha256=${signature}`,
            'x-switchboard-delivery': deliveryId,
          },
          signal: AbortSignal.timeout(timeoutMs),
        });
        await response.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
        const status = response.statusCode;
        if (status >= 300 && status < 400) return { ok: false, code: 'WEBHOOK_REDIRECT_REFUSED', message: `the webhook answered ${status} (redirects are not followed)`, status };
        if (status < 200 || status >= 300) return { ok: false, code: 'WEBHOOK_HTTP_ERROR', message: `the webhook answered HTTP ${status}`, status };
        return { ok: true, status, durationMs: Date.now() - started };
      } catch (error) {
        const chain = causeChain(error);
        const refused = chain.find((e) => e instanceof AddressRefused) as AddressRefused | undefined;
        if (refused) return { ok: false, code: 'WEBHOOK_ADDRESS_REFUSED', message: `${refused.message} (AUTOMATION_WEBHOOK_ALLOW_PRIVATE=true allows it)` };
        if (chain.some((e) => e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError'))) {
          return { ok: false, code: 'WEBHOOK_TIMEOUT', message: `no answer within ${timeoutMs} ms` };
        }
        const last = chain[chain.length - 1];
        return { ok: false, code: 'WEBHOOK_UNREACHABLE', message: last instanceof Error ? last.message : String(last) };
      }
    },
    close: () => agent.close(),
  };
}
