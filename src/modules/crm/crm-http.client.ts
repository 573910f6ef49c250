import { Agent, errors as undiciErrors, request } from 'undici';
import type { RateLimiter } from '../outbound/index.js';
import { CrmError, crmErrorFromStatus } from './crm-error.js';

/** Supplies the Authorization header; `refresh` is called once after a 401 (OAuth access tokens expire). */
export interface CrmCredentials {
  header(): Promise<Record<string, string>>;
  refresh?(): Promise<void>;
}

export type CrmHttpOptions = {
  baseUrl: string;
  credentials: CrmCredentials;
  /** The vendor's documented burst limit, shared by every process when the limiter is Redis-backed. */
  rateLimit: { key: string; capacity: number; refillPerSecond: number };
  limiter: RateLimiter;
  timeoutMs?: number;
  /** Turns a vendor's error answer into a CrmError; defaults to the status-code mapping. */
  translateError?: (httpStatus: number, body: string, headers: Record<string, string | string[] | undefined>) => CrmError;
  sleep?: (ms: number) => Promise<void>;
};

export type CrmRequest = {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  form?: Record<string, string>;
  /** Answers with these statuses are returned, not thrown (Zoho's 204 "no match", HubSpot's 404 on lookup, …). */
  accept?: number[];
};

export type CrmResponse = { status: number; headers: Record<string, string | string[] | undefined>; body: unknown };

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function retryAfterMs(headers: Record<string, string | string[] | undefined>): number | undefined {
  const value = headers['retry-after'];
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  const seconds = Number(text);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/**
 * JSON over HTTP for CRM adapters: keep-alive pool, timeout, the vendor's rate limit honoured
 * before each call (work waits, it does not fail), one token refresh after a 401, and vendor
 * errors translated into CrmError. Retrying is the sync outbox's job, not this client's.
 */
export class CrmHttpClient {
  private readonly agent: Agent;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: CrmHttpOptions) {
    const timeout = options.timeoutMs ?? 15_000;
    this.agent = new Agent({ connections: 16, keepAliveTimeout: 30_000, headersTimeout: timeout, bodyTimeout: timeout });
    this.sleep = options.sleep ?? defaultSleep;
  }

  get baseUrl(): string {
    return this.options.baseUrl.replace(/\/$/, '');
  }

  async send(req: CrmRequest): Promise<CrmResponse> {
    const first = await this.attempt(req);
    if (first.status === 401 && this.options.credentials.refresh) {
      await this.options.credentials.refresh();
      return this.finish(req, await this.attempt(req));
    }
    return this.finish(req, first);
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private async waitForToken(): Promise<void> {
    const { key, capacity, refillPerSecond } = this.options.rateLimit;
    for (;;) {
      const decision = await this.options.limiter.reserve(key, { capacity, refillPerSecond });
      if (decision.ok) return;
      await this.sleep(decision.retryAfterMs);
    }
  }

  private url(req: CrmRequest): string {
    const url = new URL(this.baseUrl + req.path);
    for (const [name, value] of Object.entries(req.query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    return url.toString();
  }

  private async attempt(req: CrmRequest): Promise<{ status: number; headers: CrmResponse['headers']; text: string }> {
    await this.waitForToken();
    const headers: Record<string, string> = { accept: 'application/json', ...(await this.options.credentials.header()) };
    let body: string | undefined;
    if (req.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(req.json);
    } else if (req.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(req.form).toString();
    }
    try {
      const res = await request(this.url(req), { method: req.method, headers, body, dispatcher: this.agent });
      return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
    } catch (error) {
      const timedOut = error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError;
      throw new CrmError('CRM_UNAVAILABLE', timedOut ? 'The CRM did not answer in time.' : `The CRM could not be reached: ${(error as Error).message}`);
    }
  }

  private finish(req: CrmRequest, res: { status: number; headers: CrmResponse['headers']; text: string }): CrmResponse {
    const accepted = (res.status >= 200 && res.status < 300) || (req.accept ?? []).includes(res.status);
    if (!accepted) {
      throw this.options.translateError
        ? this.options.translateError(res.status, res.text, res.headers)
        : crmErrorFromStatus(res.status, res.text, retryAfterMs(res.headers));
    }
    let parsed: unknown = null;
    if (res.text.length > 0) {
      try {
        parsed = JSON.parse(res.text);
      } catch {
        throw new CrmError('CRM_UNAVAILABLE', `The CRM answered ${res.status} with a body that is not JSON.`, { httpStatus: res.status, body: res.text.slice(0, 500) });
      }
    }
    return { status: res.status, headers: res.headers, body: parsed };
  }
}

export { retryAfterMs as retryAfterMsOf };
