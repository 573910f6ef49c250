import type { SendFailure } from './send-failure.js';

/**
 * The one table that decides what a failed send means (NOTES §8). Every outcome says what the
 * sender does next:
 * - `retry`: try again after a delay (`delay` says how to compute it);
 * - `fail`: never retry; the code and Meta's words go on the timeline;
 * - `token_expired`: stop sending from that number and report unhealthy until the token changes;
 * - `opted_out`: the user stopped marketing messages; fail and record the opt-out;
 * - `window_closed`: outside the 24-hour window, only a template can be sent;
 * - `in_doubt`: Meta may have accepted it (timeout); confirm through status webhooks before resending.
 */
export type FailureClass =
  | { action: 'retry'; delay: 'backoff' | 'pair'; reason: string }
  | { action: 'fail'; reason: string }
  | { action: 'token_expired'; reason: string }
  | { action: 'opted_out'; reason: string }
  | { action: 'window_closed'; reason: string }
  | { action: 'in_doubt'; reason: string };

type Rule = { codes: readonly number[]; outcome: FailureClass };

const RULES: readonly Rule[] = [
  { codes: [130429], outcome: { action: 'retry', delay: 'backoff', reason: 'throughput limit of the number reached' } },
  // Meta: retry that recipient after 4^n seconds; other recipients are unaffected.
  { codes: [131056], outcome: { action: 'retry', delay: 'pair', reason: 'too many messages to this user' } },
  { codes: [4, 80007], outcome: { action: 'retry', delay: 'backoff', reason: 'Graph API rate limit' } },
  { codes: [131000, 131016, 131057, 1, 2], outcome: { action: 'retry', delay: 'backoff', reason: 'Meta temporarily unavailable' } },
  { codes: [190, 0], outcome: { action: 'token_expired', reason: 'access token expired or invalid' } },
  { codes: [131050], outcome: { action: 'opted_out', reason: 'the user stopped marketing messages' } },
  { codes: [131047], outcome: { action: 'window_closed', reason: 'more than 24 hours since the user last wrote: send a template' } },
];

export function classifySendFailure(failure: SendFailure): FailureClass {
  switch (failure.kind) {
    case 'network':
      return { action: 'retry', delay: 'backoff', reason: `network: ${failure.message}` };
    case 'timeout':
      return { action: 'in_doubt', reason: `no answer from Meta: ${failure.message}` };
    case 'http':
      return failure.httpStatus >= 500 || failure.httpStatus === 429
        ? { action: 'retry', delay: 'backoff', reason: `Meta answered HTTP ${failure.httpStatus}` }
        : { action: 'fail', reason: `Meta answered HTTP ${failure.httpStatus}` };
    case 'meta': {
      const rule = RULES.find((r) => r.codes.includes(failure.code));
      if (rule) return rule.outcome;
      // An unknown code with a 5xx is Meta's trouble, not the request's.
      if (failure.httpStatus >= 500) return { action: 'retry', delay: 'backoff', reason: `${failure.title} (HTTP ${failure.httpStatus})` };
      return { action: 'fail', reason: failure.title };
    }
  }
}
