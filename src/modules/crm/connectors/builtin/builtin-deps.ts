import type { Clock } from '../../../../platform/clock.js';
import type { IdGenerator } from '../../../../platform/ids.js';

export type BuiltinCrmDeps = {
  clock: Clock;
  ids: IdGenerator;
  /** ISO country for numbers typed without a country code. */
  defaultRegion: string | undefined;
};
