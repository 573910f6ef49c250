import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_SENDER_CONCURRENCY, MIN_SENDER_CONCURRENCY, senderConcurrency } from './sender-concurrency.js';
import { COEXISTENCE_THROUGHPUT_MPS, DEFAULT_THROUGHPUT_MPS, UPGRADED_THROUGHPUT_MPS } from './throughput-limit.js';

describe('senderConcurrency', () => {
  it('keeps 64 in flight for numbers at the default 80 mps, and no number at all', () => {
    expect(senderConcurrency([])).toBe(MIN_SENDER_CONCURRENCY);
    expect(senderConcurrency([DEFAULT_THROUGHPUT_MPS])).toBe(64);
    expect(senderConcurrency([COEXISTENCE_THROUGHPUT_MPS, DEFAULT_THROUGHPUT_MPS])).toBe(64);
  });

  it('keeps half a second of a 1,000 mps number in flight, and of several numbers together, up to 512', () => {
    expect(senderConcurrency([UPGRADED_THROUGHPUT_MPS])).toBe(500);
    expect(senderConcurrency([200, 200])).toBe(200);
    expect(senderConcurrency([UPGRADED_THROUGHPUT_MPS, UPGRADED_THROUGHPUT_MPS])).toBe(MAX_SENDER_CONCURRENCY);
  });

  it('is a whole number between the bounds that never falls when a number is added or sped up', () => {
    const throughputs = fc.array(fc.integer({ min: 1, max: 2_000 }), { maxLength: 8 });
    fc.assert(
      fc.property(throughputs, fc.integer({ min: 1, max: 2_000 }), (numbers, added) => {
        const concurrency = senderConcurrency(numbers);
        expect(Number.isInteger(concurrency)).toBe(true);
        expect(concurrency).toBeGreaterThanOrEqual(MIN_SENDER_CONCURRENCY);
        expect(concurrency).toBeLessThanOrEqual(MAX_SENDER_CONCURRENCY);
        expect(senderConcurrency([...numbers, added])).toBeGreaterThanOrEqual(concurrency);
      }),
    );
  });
});
