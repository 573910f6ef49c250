import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRandom } from './prng.js';
import { planStatuses, type PlannedStatus } from './status-plan.js';

const delays = { sent: 10, delivered: 30, read: 60 };
const arrival = (plan: PlannedStatus[]) => plan.map((p) => p.status);

describe('status plan', () => {
  it('delivers sent, delivered, read in order by default', () => {
    const plan = planStatuses(createRandom(1), { delays, reads: true, duplicateRate: 0, outOfOrderRate: 0 });
    expect(arrival(plan)).toEqual(['sent', 'delivered', 'read']);
    expect(plan.every((p) => !p.duplicate)).toBe(true);
  });

  it('stops at delivered for users without read receipts', () => {
    expect(arrival(planStatuses(createRandom(1), { delays, reads: false, duplicateRate: 0, outOfOrderRate: 0 }))).toEqual(['sent', 'delivered']);
  });

  it('swaps two neighbours when out of order, keeping the true order in the event times', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (seed) => {
        const plan = planStatuses(createRandom(seed), { delays, reads: true, duplicateRate: 0, outOfOrderRate: 1 });
        expect(arrival(plan)).not.toEqual(['sent', 'delivered', 'read']);
        expect([...arrival(plan)].sort()).toEqual(['delivered', 'read', 'sent']);
        const byEvent = [...plan].sort((a, b) => a.eventDelayMs - b.eventDelayMs).map((p) => p.status);
        expect(byEvent).toEqual(['sent', 'delivered', 'read']);
      }),
    );
  });

  it('makes a real swap even when the delays are equal', () => {
    const plan = planStatuses(createRandom(9), { delays: { sent: 0, delivered: 0, read: 0 }, reads: true, duplicateRate: 0, outOfOrderRate: 1 });
    expect(arrival(plan)).not.toEqual(['sent', 'delivered', 'read']);
  });

  it('repeats every status after its original when the duplicate rate is 1', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (seed) => {
        const plan = planStatuses(createRandom(seed), { delays, reads: true, duplicateRate: 1, outOfOrderRate: 0 });
        expect(plan).toHaveLength(6);
        for (const status of ['sent', 'delivered', 'read'] as const) {
          const [original, copy] = plan.filter((p) => p.status === status);
          expect(original?.duplicate).toBe(false);
          expect(copy?.duplicate).toBe(true);
          expect(copy!.deliverAfterMs).toBeGreaterThan(original!.deliverAfterMs);
          expect(copy!.eventDelayMs).toBe(original!.eventDelayMs);
        }
      }),
    );
  });

  it('is a pure function of the seed', () => {
    const options = { delays, reads: true, duplicateRate: 0.5, outOfOrderRate: 0.5 };
    for (let seed = 0; seed < 50; seed++) expect(planStatuses(createRandom(seed), options)).toEqual(planStatuses(createRandom(seed), options));
  });
});
