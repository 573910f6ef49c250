import type { Clock } from '../../platform/clock.js';
import type { IdGenerator } from '../../platform/ids.js';

export type ContactsDeps = {
  clock: Clock;
  ids: IdGenerator;
  /** ISO country assumed for numbers written without a country code. */
  defaultRegion: string | undefined;
};
