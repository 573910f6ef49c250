import { describe, expect, it } from 'vitest';
import { ForegroundActivity } from './foreground-activity.js';

describe('ForegroundActivity', () => {
  it('counts every request but the probes of a monitor', () => {
    const activity = new ForegroundActivity();
    for (const url of ['/webhooks/whatsapp', '/api/v1/messages', '/', '/metrics', '/metrics?x=1', '/healthz', '/readyz', '/metricsfoo', '/healthz/extra'])
      activity.markRequest({ url });
    // The last two only look like probes.
    expect(activity.arrivals()).toBe(5);
  });

  it('tells apart two readings with an arrival between them', () => {
    const activity = new ForegroundActivity();
    const before = activity.arrivals();
    expect(activity.arrivals()).toBe(before);
    activity.mark();
    expect(activity.arrivals()).not.toBe(before);
  });
});
