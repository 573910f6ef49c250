import type { SqlJobQueue } from '../../src/jobs/sql-job-queue.js';
import { buildKeywordMatcher } from '../../src/modules/consent/index.js';
import type { InboundDeps } from '../../src/modules/inbound/index.js';
import type { Clock } from '../../src/platform/clock.js';
import { uuidGenerator } from '../../src/platform/ids.js';

/** What the inbound job needs in a test: the queue for follow-up jobs, default keywords, no read receipts. */
export function inboundTestDeps(clock: Clock, queue: () => SqlJobQueue, privacySalt: string | null = null): InboundDeps {
  return {
    clock,
    ids: uuidGenerator,
    defaultRegion: 'US',
    enqueue: (exec, jobs) => queue().enqueue(exec, jobs),
    markInboundAsRead: false,
    keywordMatcher: buildKeywordMatcher({}),
    privacySalt,
  };
}
