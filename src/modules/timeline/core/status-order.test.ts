import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeStatus } from './status-order.js';

const STATUSES = ['sent', 'delivered', 'read', 'played', 'failed'] as const;
const settle = (arrivals: readonly string[]) => arrivals.reduce<string | null>((current, s) => mergeStatus(current, s), null);

describe('status ordering', () => {
  it('moves forward from sent to delivered to read', () => {
    expect(settle(['sent', 'delivered', 'read'])).toBe('read');
  });

  it('ignores a delivered that arrives after read', () => {
    expect(settle(['sent', 'read', 'delivered'])).toBe('read');
  });

  it('lets failed replace sent and delivered', () => {
    expect(settle(['sent', 'failed'])).toBe('failed');
    expect(settle(['delivered', 'failed'])).toBe('failed');
  });

  it('never lets failed erase read or played', () => {
    expect(settle(['read', 'failed'])).toBe('read');
    expect(settle(['played', 'failed'])).toBe('played');
  });

  it('ignores a status it does not know', () => {
    expect(settle(['delivered', 'deleted'])).toBe('delivered');
  });

  it('settles on the same status whatever the order and however often each arrives', () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.constantFrom(...STATUSES), { minLength: 1, maxLength: 12 })
          .chain((arrivals) => fc.tuple(fc.constant(arrivals), fc.shuffledSubarray(arrivals, { minLength: arrivals.length }))),
        ([arrivals, shuffled]) => {
        expect(settle(shuffled)).toBe(settle(arrivals));
        expect(settle([...arrivals, ...arrivals])).toBe(settle(arrivals));
        },
      ),
    );
  });

  it('never moves a message backwards', () => {
    fc.assert(
      fc.property(fc.constantFrom(...STATUSES), fc.constantFrom(...STATUSES), (current, incoming) => {
        const next = mergeStatus(current, incoming);
        expect(next === current || next === incoming).toBe(true);
        expect(mergeStatus(next, current)).toBe(next);
      }),
    );
  });
});
