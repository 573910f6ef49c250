import { createPrivateKey, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Clock } from '../../../../platform/clock.js';
import type { RateLimiter } from '../../../outbound/index.js';
import { CrmError } from '../../crm-error.js';
import { CrmHttpClient } from '../../crm-http.client.js';
import { translateTokenError } from './salesforce-error.js';

export type JwtBearerOptions = {
  /** `https://login.salesforce.com`, `https://test.salesforce.com` or the org's My Domain URL. */
  loginUrl: string;
  /** The connected app's consumer key (the JWT's `iss`). */
  clientId: string;
  /** The integration user, pre-authorised on the connected app (the JWT's `sub`). */
  username: string;
  /** PEM (PKCS#8 or PKCS#1; `\n` escapes as found in env files are accepted) or a KeyObject. */
  privateKey: string | KeyObject;
  /** The JWT's `aud`; defaults from `loginUrl` (see `defaultAudience`). */
  audience?: string;
  limiter: RateLimiter;
  clock: Clock;
  timeoutMs?: number;
};

/** What the token endpoint grants: no refresh token in this flow; a new assertion mints a new session. */
export type SalesforceSession = { accessToken: string; instanceUrl: string };

/** Assertions are short-lived: Salesforce wants `exp` within a few minutes. */
const ASSERTION_TTL_S = 180;

/**
 * `aud` must name Salesforce's login server, not the org's own host: `https://login.salesforce.com`
 * for production and My Domain URLs, `https://test.salesforce.com` for sandboxes; any other host (an
 * Experience Cloud site, a local fake) is its own audience.
 */
export function defaultAudience(loginUrl: string): string {
  const url = new URL(loginUrl);
  const host = url.hostname.toLowerCase();
  if (host === 'test.salesforce.com' || host.endsWith('.sandbox.my.salesforce.com')) return 'https://test.salesforce.com';
  if (host === 'login.salesforce.com' || host.endsWith('.my.salesforce.com')) return 'https://login.salesforce.com';
  return url.origin;
}

function loadPrivateKey(key: string | KeyObject): KeyObject {
  if (typeof key !== 'string') return key;
  try {
    return createPrivateKey(key.includes('\\n') ? key.replace(/\\n/g, '\n') : key);
  } catch {
    throw new CrmError('CRM_MISCONFIGURED', 'The Salesforce private key is not a readable PEM private key (SALESFORCE_PRIVATE_KEY).');
  }
}

/**
 * OAuth 2.0 JWT bearer flow (RFC 7523) against `{loginUrl}/services/oauth2/token`: an RS256
 * assertion signed with the connected app's certificate key is exchanged for an access token and
 * the org's `instance_url`. Concurrent callers share one exchange.
 */
export class JwtBearerSession {
  private readonly http: CrmHttpClient;
  private key: KeyObject | undefined;
  private current: SalesforceSession | undefined;
  private inflight: Promise<SalesforceSession> | undefined;
  private readonly audience: string;

  constructor(private readonly options: JwtBearerOptions) {
    this.audience = options.audience ?? defaultAudience(options.loginUrl);
    this.http = new CrmHttpClient({
      baseUrl: options.loginUrl,
      credentials: { header: async () => ({}) },
      // The token endpoint has no documented rate; this only keeps a misbehaving loop from hammering it.
      rateLimit: { key: `salesforce-login:${options.clientId}:${options.username}`, capacity: 10, refillPerSecond: 1 },
      limiter: options.limiter,
      timeoutMs: options.timeoutMs,
      translateError: (status, body) => translateTokenError(status, body),
    });
  }

  /** The session in use, minted on first need. */
  async session(): Promise<SalesforceSession> {
    return this.current ?? this.mint();
  }

  /** Mints a new session (the old one expired or was revoked); callers racing here share one exchange. */
  async renew(): Promise<SalesforceSession> {
    this.current = undefined;
    return this.mint();
  }

  async close(): Promise<void> {
    await this.http.close();
  }

  private mint(): Promise<SalesforceSession> {
    this.inflight ??= this.exchange().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async exchange(): Promise<SalesforceSession> {
    this.key ??= loadPrivateKey(this.options.privateKey);
    const now = Math.floor(this.options.clock.now() / 1000);
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer(this.options.clientId)
      .setSubject(this.options.username)
      .setAudience(this.audience)
      .setIssuedAt(now)
      .setExpirationTime(now + ASSERTION_TTL_S)
      .sign(this.key)
      .catch((error: unknown) => {
        throw new CrmError('CRM_MISCONFIGURED', `The Salesforce private key cannot sign an RS256 assertion: ${(error as Error).message}`);
      });
    const res = await this.http.send({
      method: 'POST',
      path: '/services/oauth2/token',
      form: { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion },
    });
    const body = (res.body ?? {}) as Record<string, unknown>;
    const accessToken = body['access_token'];
    const instanceUrl = body['instance_url'];
    if (typeof accessToken !== 'string' || accessToken === '' || typeof instanceUrl !== 'string' || !/^https?:\/\//.test(instanceUrl)) {
      throw new CrmError('CRM_UNAVAILABLE', 'The Salesforce token endpoint answered without access_token and instance_url.', { httpStatus: res.status });
    }
    this.current = { accessToken, instanceUrl: instanceUrl.replace(/\/+$/, '') };
    return this.current;
  }
}
