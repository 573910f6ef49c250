import type { Db } from '../../db/database.js';
import type { Clock } from '../../platform/clock.js';
import type { IdGenerator } from '../../platform/ids.js';
import type { BusinessNumber } from '../numbers/index.js';
import type { TemplateManagementApi } from './whatsapp-templates.client.js';

/** The configured numbers (the numbers module's `NumberDirectory` fits): their WABAs and tokens. */
export type TemplateNumbers = { list(): Promise<BusinessNumber[]> };

export type TemplatesDeps = {
  db: Db;
  clock: Clock;
  ids: IdGenerator;
  numbers: TemplateNumbers;
  api: TemplateManagementApi;
  /** The business default language of templates (`en_US`): the end of the locale fallback chain. */
  defaultLocale: string;
  /** IANA time zone in which date_time parameters are written (default UTC). */
  timeZone?: string | undefined;
  /** Templates per page when listing Meta's catalogue (default 100). */
  syncPageSize?: number | undefined;
};
