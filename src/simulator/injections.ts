/**
 * Faults on demand, so that a client's error handling can be tested for every code Meta returns:
 * the next n matching requests get a chosen error envelope, a Graph-style 5xx, or a response held
 * past the client's timeout.
 */
import { normalizePhone } from './customers.js';
import { InjectErrorSchema, InjectTimeoutSchema, type InjectErrorInput, type InjectTimeoutInput } from './schemas.js';

export type Endpoint = 'messages' | 'media' | 'templates';

type Match = { to?: string | undefined; type?: string | undefined } | undefined;
type Injection =
  | { kind: 'error'; remaining: number; endpoint: Endpoint | 'any'; match: Match; code?: number | undefined; httpStatus?: number | undefined; details?: string | undefined }
  | { kind: 'timeout'; remaining: number; endpoint: Endpoint | 'any'; match: Match; delayMs: number };

export type Fault =
  | { kind: 'error'; code: number | undefined; httpStatus: number | undefined; details: string | undefined }
  | { kind: 'timeout'; delayMs: number };

export type Injections = {
  injectError(input: InjectErrorInput): void;
  injectTimeout(input: InjectTimeoutInput): void;
  clear(): void;
  /** Takes the first injection matching this request, if any (counts one use). */
  take(endpoint: Endpoint, body: unknown): Fault | null;
  pending(): { kind: string; remaining: number; endpoint: string }[];
};

function matches(match: Match, body: unknown): boolean {
  if (!match) return true;
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (match.type !== undefined && (b['type'] ?? 'text') !== match.type) return false;
  if (match.to !== undefined) {
    const sent = typeof b['to'] === 'string' ? b['to'] : typeof b['recipient'] === 'string' ? b['recipient'] : '';
    const same = normalizePhone(match.to) !== null ? normalizePhone(match.to) === normalizePhone(sent) : match.to === sent;
    if (!same) return false;
  }
  return true;
}

export function createInjections(): Injections {
  let queue: Injection[] = [];
  return {
    injectError(input) {
      const i = InjectErrorSchema.parse(input);
      queue.push({ kind: 'error', remaining: i.times, endpoint: i.endpoint, match: i.match, code: i.code, httpStatus: i.httpStatus, details: i.details });
    },
    injectTimeout(input) {
      const i = InjectTimeoutSchema.parse(input);
      queue.push({ kind: 'timeout', remaining: i.times, endpoint: i.endpoint, match: i.match, delayMs: i.delayMs });
    },
    clear() {
      queue = [];
    },
    take(endpoint, body) {
      const found = queue.find((i) => (i.endpoint === 'any' || i.endpoint === endpoint) && matches(i.match, body));
      if (!found) return null;
      found.remaining -= 1;
      if (found.remaining <= 0) queue = queue.filter((i) => i !== found);
      return found.kind === 'error'
        ? { kind: 'error', code: found.code, httpStatus: found.httpStatus, details: found.details }
        : { kind: 'timeout', delayMs: found.delayMs };
    },
    pending: () => queue.map((i) => ({ kind: i.kind, remaining: i.remaining, endpoint: i.endpoint })),
  };
}
