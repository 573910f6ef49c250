/**
 * Meta's error envelopes, copied from test/fixtures/meta/graph-error-*.json and status-failed-*.json.
 * Synchronous errors come back as Graph errors; some (131026, and per options 131047/131050) arrive
 * later as a `failed` status webhook. Meta's HTTP statuses are unreliable (shared/meta/NOTES.md §8):
 * clients must key on `error.code`; we answer 400 unless a capture showed otherwise.
 */
export type GraphErrorBody = {
  error: {
    message: string;
    type: 'OAuthException';
    code: number;
    error_subcode?: number;
    is_transient?: boolean;
    error_data?: { messaging_product: 'whatsapp'; details: string };
    fbtrace_id: string;
  };
};

/** What a Graph endpoint answers: an HTTP status and a JSON body. */
export type GraphReply = { status: number; body: unknown; headers?: Record<string, string> };

type CatalogueEntry = {
  title: string;
  details?: string;
  subcode?: number;
  httpStatus?: number;
  transient?: boolean;
  /** Some errors (auth, app rate limit) carry no `error_data` and no `(#code)` prefix rules of their own. */
  bare?: boolean;
};

const REENGAGEMENT = 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.';
const OPTED_OUT = 'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.';

const CATALOGUE: Record<number, CatalogueEntry> = {
  1: { title: 'An unknown error has occurred.', bare: true, transient: true, httpStatus: 500 },
  2: { title: 'Service temporarily unavailable', bare: true, transient: true, httpStatus: 503 },
  4: { title: 'Application request limit reached', bare: true, transient: true },
  100: { title: 'Invalid parameter', details: 'Invalid parameter' },
  190: { title: 'Invalid OAuth access token - Cannot parse access token', bare: true, httpStatus: 401 },
  2500: { title: 'Unknown path components', bare: true },
  368: { title: 'Temporarily blocked for policies violations', details: 'The account is temporarily blocked for policy violations.' },
  80007: {
    title: 'There have been too many calls to this WhatsApp Business account. Wait a bit and try again.',
    details: 'The WhatsApp Business Account has reached its rate limit.',
  },
  130429: { title: 'Rate limit hit', details: 'Cloud API message throughput has been reached.', subcode: 2494055 },
  130472: { title: "User's number is part of an experiment", details: "Message wasn't sent as part of an experiment." },
  131000: { title: 'Something went wrong', details: 'Something went wrong' },
  131005: { title: 'Access denied', details: 'Permission is either not granted or has been removed.' },
  131008: { title: 'Required parameter is missing', details: 'Required parameter is missing' },
  131009: { title: 'Parameter value is not valid', details: 'Parameter value is not valid' },
  131016: { title: 'Service unavailable', details: 'A service is temporarily unavailable.', transient: true },
  131021: { title: 'Recipient cannot be sender.', details: 'Sender and recipient phone number is the same.' },
  131026: { title: 'Message undeliverable', details: 'Message Undeliverable.' },
  131031: { title: 'Account has been locked', details: 'Business Account is restricted from messaging users.' },
  131042: { title: 'Business eligibility payment issue', details: 'There was an error related to your payment method.' },
  131047: { title: 'Re-engagement message', details: REENGAGEMENT, subcode: 2494055 },
  131048: { title: 'Spam rate limit hit', details: 'Message failed to send because there are restrictions on how many messages can be sent from this phone number.' },
  131049: {
    title: 'This message was not delivered to maintain healthy ecosystem engagement.',
    details: 'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.',
  },
  131050: { title: OPTED_OUT, details: OPTED_OUT },
  131051: { title: 'Unsupported message type', details: 'Message type is currently not supported.' },
  131052: { title: 'Media download error', details: 'Unable to download the media sent by the user.' },
  131053: { title: 'Media upload error', details: 'Unable to upload the media used in the message.' },
  131056: {
    title: '(Business Account, Consumer Account) pair rate limit hit',
    details: 'Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.',
  },
  131057: { title: 'Account in maintenance mode', details: 'Business Account is in maintenance mode.', transient: true },
  131062: {
    title: 'Business-scoped User ID (BSUID) recipients are not supported for this message.',
    details: 'Business-scoped User ID (BSUID) recipients are not supported for this message.',
  },
  132000: { title: 'Number of parameters does not match the expected number of params', details: 'Number of parameters does not match the expected number of params' },
  132001: { title: 'Template name does not exist in the translation', details: 'Template name does not exist in the translation' },
  132005: { title: 'Translated text too long', details: 'Translated text is too long.' },
  132007: { title: 'Template format character policy violated', details: 'Template content violates a WhatsApp policy.' },
  132012: { title: 'Parameter format does not match format in the created template', details: 'Parameter format does not match format in the created template' },
  132015: { title: 'Template is Paused', details: 'Template is paused due to low quality so it cannot be sent in a template message.' },
  132016: { title: 'Template is disabled', details: 'Template has been paused too many times due to low quality and is now permanently disabled.' },
  133010: { title: 'Phone number Not Registered', details: 'Phone number is not registered on the WhatsApp Business Platform.' },
};

export type GraphErrorOptions = { details?: string; httpStatus?: number; message?: string; subcode?: number };

/** A Graph error envelope for `code`. Unknown codes get a generic title so that any code can be injected. */
export function graphError(code: number, fbtraceId: string, options: GraphErrorOptions = {}): GraphReply {
  const entry = CATALOGUE[code];
  const title = options.message ?? entry?.title ?? 'Simulated error';
  const subcode = options.subcode ?? entry?.subcode;
  const error: GraphErrorBody['error'] = {
    message: entry?.bare && !options.message ? title : options.message ?? `(#${code}) ${title}`,
    type: 'OAuthException',
    ...(entry?.transient ? { is_transient: true } : {}),
    code,
    ...(entry?.bare ? {} : { error_data: { messaging_product: 'whatsapp' as const, details: options.details ?? entry?.details ?? title } }),
    ...(subcode === undefined ? {} : { error_subcode: subcode }),
    fbtrace_id: fbtraceId,
  };
  const status = options.httpStatus ?? entry?.httpStatus ?? 400;
  // Graph's 401s name the scheme, as OAuth 2 requires.
  const headers: Record<string, string> = status === 401 ? { 'www-authenticate': `OAuth "Facebook Platform" "invalid_token" "${error.message}"` } : {};
  return { status, body: { error }, headers };
}

/** The expired-token error as captured (graph-error-190-token-expired.json): subcode 463, dates in the message. */
export function tokenExpired(fbtraceId: string, expiredAt: number, now: number): GraphReply {
  return graphError(190, fbtraceId, {
    message: `Error validating access token: Session has expired on ${graphDate(expiredAt)}. The current time is ${graphDate(now)}.`,
    subcode: 463,
  });
}

/** `Tuesday, 29-Sep-26 10:00:00 UTC`, the style of Graph's token messages. */
function graphDate(ms: number): string {
  const d = new Date(ms);
  const day = d.toLocaleDateString('en-US', { weekday: 'long', timeZone: 'UTC' });
  const month = d.toLocaleDateString('en-US', { month: 'short', timeZone: 'UTC' });
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${day}, ${pad(d.getUTCDate())}-${month}-${pad(d.getUTCFullYear() % 100)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
}

/** A 5xx as Graph sends it: a JSON envelope with a transient generic code (1 unknown, 2 service). */
export function serverError(httpStatus: number, fbtraceId: string): GraphReply {
  return graphError(httpStatus === 500 ? 1 : 2, fbtraceId, { httpStatus });
}

/** `statuses[].errors[]` of a `failed` status webhook (status-failed-*.json). */
export type StatusError = { code: number; title: string; message: string; error_data: { details: string }; href: string };

export function statusError(code: number): StatusError {
  const entry = CATALOGUE[code];
  const title = entry?.title ?? 'Simulated error';
  return {
    code,
    title,
    message: title,
    error_data: { details: entry?.details ?? title },
    href: '/documentation/business-messaging/whatsapp/support/error-codes',
  };
}

/** Misuse of the simulator's own control surface (not a Meta error). */
export class SimulatorError extends Error {
  override readonly name = 'SimulatorError';
  constructor(
    readonly code: 'NOT_FOUND' | 'BAD_REQUEST',
    message: string,
  ) {
    super(message);
  }
}
