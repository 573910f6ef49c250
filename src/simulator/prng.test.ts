import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRandom } from './prng.js';

describe('seeded random source', () => {
  it('replays the same sequence for the same seed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (seed) => {
        const a = createRandom(seed);
        const b = createRandom(seed);
        expect(Array.from({ length: 20 }, () => a.next())).toEqual(Array.from({ length: 20 }, () => b.next()));
      }),
    );
  });

  it('stays within its ranges', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 1, max: 1000 }), (seed, max) => {
        const r = createRandom(seed);
        const n = r.next();
        const i = r.int(max);
        expect(n >= 0 && n < 1).toBe(true);
        expect(Number.isInteger(i) && i >= 0 && i < max).toBe(true);
        expect(r.digits(12)).toMatch(/^\d{12}$/);
        expect(r.hex(10)).toMatch(/^[0-9A-F]{10}$/);
      }),
    );
  });

  it('chance(0) never and chance(1) always holds', () => {
    const r = createRandom(7);
    for (let i = 0; i < 100; i++) {
      expect(r.chance(0)).toBe(false);
      expect(r.chance(1)).toBe(true);
    }
  });
});
