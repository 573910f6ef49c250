import { describe, expect, it } from 'vitest';
import { closesIn, toMs } from './time';

const NOW = Date.parse('2026-11-26T10:00:00Z');
const MIN = 60_000;

describe('closesIn', () => {
  it('counts hours and minutes down, rounding down', () => {
    expect(closesIn(NOW + (3 * 60 + 12) * MIN + 59_000, NOW)).toBe('closes in 3 h 12 min');
    expect(closesIn(NOW + 24 * 60 * MIN, NOW)).toBe('closes in 24 h 0 min');
    expect(closesIn(NOW + 45 * MIN, NOW)).toBe('closes in 45 min');
    expect(closesIn(NOW + 30_000, NOW)).toBe('closes in less than a minute');
  });

  it('takes epoch milliseconds and ISO strings alike', () => {
    expect(closesIn(new Date(NOW + 90 * MIN).toISOString(), NOW)).toBe('closes in 1 h 30 min');
    expect(toMs('2026-11-26T10:00:00Z')).toBe(NOW);
    expect(toMs(NOW)).toBe(NOW);
  });

  it('says nothing once the window has closed, or when there is none', () => {
    expect(closesIn(NOW, NOW)).toBeNull();
    expect(closesIn(NOW - MIN, NOW)).toBeNull();
    expect(closesIn(null, NOW)).toBeNull();
    expect(closesIn('not a date', NOW)).toBeNull();
  });
});
