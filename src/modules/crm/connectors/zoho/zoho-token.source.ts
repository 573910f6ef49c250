import type { Clock } from '../../../../platform/clock.js';
import { CrmError, type CrmCredentials, type CrmHttpClient } from '../../index.js';
import { ZohoTokenResponse } from './zoho.schema.js';

export type ZohoOAuthClient = { clientId: string; clientSecret: string; refreshToken: string };

type Token = { value: string; expiresAt: number; apiDomain: string | null };

/** Renew this long before Zoho's expiry, so a token never dies in flight. */
const EARLY_RENEWAL_MS = 5 * 60_000;

/** Token errors that no retry fixes: the refresh token or the client was revoked or mistyped. */
const CREDENTIAL_ERRORS = new Set(['invalid_code', 'invalid_client', 'invalid_client_secret', 'unauthorized_client', 'invalid_grant', 'unsupported_grant_type']);

/**
 * Zoho OAuth access tokens from the refresh-token grant (`POST {accounts}/oauth/v2/token`). The
 * token lives an hour; it is cached until 5 minutes before that and renewed once for all callers
 * at the same time (Zoho allows about ten access tokens per refresh token per ten minutes).
 * The answer's `api_domain` is the org's data-centre host, where every API call must go.
 */
export class ZohoTokenSource implements CrmCredentials {
  private token: Token | null = null;
  private pending: Promise<Token> | null = null;

  constructor(
    private readonly accounts: CrmHttpClient,
    private readonly client: ZohoOAuthClient,
    private readonly clock: Clock,
  ) {}

  async header(): Promise<Record<string, string>> {
    const token = await this.current();
    return { authorization: `Zoho-oauthtoken ${token.value}` };
  }

  /** Called by CrmHttpClient after a 401 (INVALID_TOKEN): the cached token is dropped and renewed once. */
  async refresh(): Promise<void> {
    if (!this.pending) this.token = null;
    await this.current();
  }

  /** The API host named by the last token answer (null when Zoho did not name one). */
  async apiDomain(): Promise<string | null> {
    return (await this.current()).apiDomain;
  }

  private current(): Promise<Token> {
    if (this.token && this.clock.now() < this.token.expiresAt) return Promise.resolve(this.token);
    this.pending ??= this.fetch().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async fetch(): Promise<Token> {
    const res = await this.accounts.send({
      method: 'POST',
      path: '/oauth/v2/token',
      form: {
        grant_type: 'refresh_token',
        client_id: this.client.clientId,
        client_secret: this.client.clientSecret,
        refresh_token: this.client.refreshToken,
      },
      // Zoho answers most grant failures with 400 or 200 and an `error`; read them here.
      accept: [400, 401],
    });
    const parsed = ZohoTokenResponse.safeParse(res.body);
    const body = parsed.success ? parsed.data : null;
    const error = body?.error ?? (res.status >= 400 ? `HTTP ${res.status}` : undefined);
    if (error || !body?.access_token) {
      const code = error ?? 'no access_token';
      if (/access denied|too many/i.test(code)) {
        throw new CrmError('CRM_RATE_LIMITED', 'Zoho Accounts refused to issue another access token for now (too many requests).', { httpStatus: res.status, vendorCode: code, retryAfterMs: 60_000 });
      }
      if (CREDENTIAL_ERRORS.has(code) || res.status === 400 || res.status === 401) {
        throw new CrmError('CRM_UNAUTHORIZED', `Zoho Accounts refused the refresh token (${code}): check ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET, ZOHO_REFRESH_TOKEN and the accounts data centre.`, { httpStatus: res.status, vendorCode: code });
      }
      throw new CrmError('CRM_UNAVAILABLE', `Zoho Accounts answered without an access token (${code}).`, { httpStatus: res.status, vendorCode: code });
    }
    const rec = body as Record<string, unknown>;
    const seconds = body.expires_in ?? (typeof rec.expires_in_sec === 'number' ? rec.expires_in_sec : 3600);
    const lifetime = seconds * 1000;
    const margin = Math.min(EARLY_RENEWAL_MS, lifetime / 2);
    const apiDomain = body.api_domain && /^https?:\/\//.test(body.api_domain) ? body.api_domain.replace(/\/$/, '') : null;
    this.token = { value: body.access_token, expiresAt: this.clock.now() + lifetime - margin, apiDomain };
    return this.token;
  }
}
