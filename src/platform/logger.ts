import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Phone numbers, WhatsApp ids and message text are personal data; they never reach the logs.
 * Paths follow pino's redact syntax.
 */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-hub-signature-256"]',
  '*.phone',
  '*.waId',
  '*.wa_id',
  '*.from',
  '*.text',
  '*.body',
  '*.bsuid',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, destination);
}
