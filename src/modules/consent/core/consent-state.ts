import { z } from 'zod';

/**
 * What the consent ledger says, and whether a send may go out. Pure: the ledger rows come in,
 * a state or a decision comes out.
 */

export const CONSENT_CATEGORIES = ['marketing', 'utility', 'authentication', 'service'] as const;
export type ConsentCategory = (typeof CONSENT_CATEGORIES)[number];

/** The template categories a keyword (STOP / START) speaks for; free-form service replies are never blocked. */
export const KEYWORD_CATEGORIES: readonly ConsentCategory[] = ['marketing', 'utility', 'authentication'];

export type ConsentAction = 'opt_in' | 'opt_out';
export type ConsentStatus = 'opted_in' | 'opted_out' | 'unknown';

/** One ledger row, as the pure functions need it. */
export type LedgerEvent = {
  id: string;
  category: string;
  /** null: the event applies to every sending number. */
  businessPhoneNumberId: string | null;
  action: ConsentAction;
  source: string;
  occurredAt: number;
  createdAt: number;
};

export type ConsentWord = { status: ConsentStatus; since: number | null; source: string | null; eventId: string | null };

export type CategoryState = {
  /** The contact's word for every number (events without a number only). */
  overall: ConsentWord;
  /** Per sending number that appears in the ledger: the latest of that number's events and the global ones. */
  numbers: Record<string, ConsentWord>;
};

export type ConsentState = Record<ConsentCategory, CategoryState>;

const UNKNOWN: ConsentWord = { status: 'unknown', since: null, source: null, eventId: null };

/** Later occurrence wins; on a tie, the later recorded (then the greater id, for a total order). */
export function compareEvents(a: LedgerEvent, b: LedgerEvent): number {
  return a.occurredAt - b.occurredAt || a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * The latest word on a category for one number (its own events and the global ones), or for every
 * number (`null`: global events only). The ledger is append-only; the latest event decides.
 */
export function latestWord(events: readonly LedgerEvent[], category: string, businessPhoneNumberId: string | null): ConsentWord {
  let latest: LedgerEvent | null = null;
  for (const event of events) {
    if (event.category !== category) continue;
    if (event.businessPhoneNumberId !== null && event.businessPhoneNumberId !== businessPhoneNumberId) continue;
    if (latest === null || compareEvents(event, latest) > 0) latest = event;
  }
  if (!latest) return UNKNOWN;
  return { status: latest.action === 'opt_out' ? 'opted_out' : 'opted_in', since: latest.occurredAt, source: latest.source, eventId: latest.id };
}

/** The state of every category, overall and for each number the ledger mentions. */
export function consentState(events: readonly LedgerEvent[]): ConsentState {
  const numbers = [...new Set(events.flatMap((e) => (e.businessPhoneNumberId === null ? [] : [e.businessPhoneNumberId])))].sort();
  const state = {} as ConsentState;
  for (const category of CONSENT_CATEGORIES) {
    state[category] = {
      overall: latestWord(events, category, null),
      numbers: Object.fromEntries(numbers.map((n) => [n, latestWord(events, category, n)])),
    };
  }
  return state;
}

/** Whether the contact opted out of marketing anywhere (globally or on any one number). */
export function optedOutOfMarketingAnywhere(state: ConsentState): boolean {
  const marketing = state.marketing;
  return marketing.overall.status === 'opted_out' || Object.values(marketing.numbers).some((w) => w.status === 'opted_out');
}

/**
 * How a template category treats the ledger:
 * - `ignore-opt-out`: always sent (order updates, one-time passwords: the customer asked for them);
 * - `respect-opt-out`: refused when the contact's latest word is an opt-out;
 * - `require-opt-in`: sent only when the latest word is an opt-in (strict jurisdictions).
 */
export const ConsentEnforcement = z.enum(['ignore-opt-out', 'respect-opt-out', 'require-opt-in']);
export type ConsentEnforcement = z.infer<typeof ConsentEnforcement>;

/** Marketing always respects an opt-out; a business may further require an explicit opt-in. */
export const ConsentPolicy = z.object({
  marketing: z.enum(['respect-opt-out', 'require-opt-in']).default('respect-opt-out'),
  utility: ConsentEnforcement.default('ignore-opt-out'),
  authentication: ConsentEnforcement.default('ignore-opt-out'),
});
export type ConsentPolicy = z.infer<typeof ConsentPolicy>;

export const DEFAULT_CONSENT_POLICY: ConsentPolicy = { marketing: 'respect-opt-out', utility: 'ignore-opt-out', authentication: 'ignore-opt-out' };

export type ConsentVerdict = { allowed: true } | { allowed: false; code: 'CONSENT_REQUIRED'; message: string; details: Record<string, unknown> };

/** Whether a message of `category` may go to a contact whose word on it is `word`. */
export function decideConsent(category: ConsentCategory, word: ConsentWord, policy: Partial<ConsentPolicy> = {}): ConsentVerdict {
  // Free-form replies inside the customer-service window answer the customer: never blocked here.
  if (category === 'service') return { allowed: true };
  const mode: ConsentEnforcement = { ...DEFAULT_CONSENT_POLICY, ...policy }[category];
  if (mode === 'ignore-opt-out') return { allowed: true };
  if (word.status === 'opted_in') return { allowed: true };
  if (word.status === 'unknown' && mode === 'respect-opt-out') return { allowed: true };
  const details = { category, policy: mode, status: word.status, since: word.since === null ? null : new Date(word.since).toISOString(), source: word.source };
  return {
    allowed: false,
    code: 'CONSENT_REQUIRED',
    message:
      word.status === 'opted_out'
        ? `The contact opted out of ${category} messages${word.source ? ` (${word.source})` : ''}; nothing of that category may be sent until they opt in again.`
        : `The policy requires an opt-in before ${category} messages, and the contact has not given one.`,
    details,
  };
}

/**
 * The consent category of an outbox category (`MARKETING`, `utility`, `service`, …). A template
 * whose category is not known is treated as marketing: a guess must not bypass an opt-out.
 */
export function consentCategoryOf(messageCategory: string | null | undefined): ConsentCategory {
  const lower = (messageCategory ?? '').toLowerCase();
  if (lower === 'service' || lower === 'utility' || lower === 'authentication' || lower === 'marketing') return lower;
  if (lower === 'authentication_international') return 'authentication';
  return 'marketing';
}
