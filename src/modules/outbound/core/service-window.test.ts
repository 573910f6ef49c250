import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { needsServiceWindow, SERVICE_WINDOW_MS, serviceWindow } from './service-window.js';

describe('serviceWindow', () => {
  it('is closed for a contact who never wrote', () => {
    expect(serviceWindow(null, 1_000)).toEqual({ open: false, lastInboundAt: null, closesAt: null });
  });

  it('is open for 24 hours after the last inbound message, and closed from then on', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 42 }), fc.integer({ min: 0, max: 3 * SERVICE_WINDOW_MS }), (last, elapsed) => {
        const window = serviceWindow(last, last + elapsed);
        expect(window.open).toBe(elapsed < SERVICE_WINDOW_MS);
        expect(window.closesAt).toBe(last + SERVICE_WINDOW_MS);
      }),
    );
  });

  it('requires the window for everything but templates', () => {
    expect(needsServiceWindow('template')).toBe(false);
    for (const type of ['text', 'image', 'interactive', 'reaction', 'location']) expect(needsServiceWindow(type)).toBe(true);
  });
});
