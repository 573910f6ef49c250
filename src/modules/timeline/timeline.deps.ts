import type { Clock } from '../../platform/clock.js';
import type { IdGenerator } from '../../platform/ids.js';

export type TimelineDeps = { clock: Clock; ids: IdGenerator };
