import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BusinessHours, isOpen, localTime } from './business-hours.js';

const hours = BusinessHours.parse({
  timeZone: 'America/Sao_Paulo',
  schedule: { mon: [['09:00', '12:00'], ['13:00', '18:00']], tue: [['09:00', '18:00']], sat: [['10:00', '14:00']] },
  closedDates: ['2026-12-25'],
});

describe('business hours', () => {
  it('reads the wall clock in the time zone', () => {
    // 2026-11-30 is a Monday; 12:30 UTC is 09:30 in São Paulo (UTC−3).
    expect(localTime(Date.UTC(2026, 10, 30, 12, 30), 'America/Sao_Paulo')).toEqual({ date: '2026-11-30', weekday: 'mon', time: '09:30' });
  });

  it('is open inside an interval and closed at lunch, at night, on closed days and on days without hours', () => {
    expect(isOpen(hours, Date.UTC(2026, 10, 30, 12, 0))).toBe(true); // Mon 09:00
    expect(isOpen(hours, Date.UTC(2026, 10, 30, 15, 30))).toBe(false); // Mon 12:30
    expect(isOpen(hours, Date.UTC(2026, 10, 30, 21, 0))).toBe(false); // Mon 18:00 (end excluded)
    expect(isOpen(hours, Date.UTC(2026, 11, 2, 14, 0))).toBe(false); // Wed
    expect(isOpen(hours, Date.UTC(2026, 11, 5, 14, 0))).toBe(true); // Sat 11:00
    expect(isOpen(hours, Date.UTC(2026, 11, 25, 14, 0))).toBe(false); // Fri, closed date
  });

  it('an always-open schedule is open at any instant, an empty one never (property)', () => {
    const always = BusinessHours.parse({ timeZone: 'Asia/Kolkata', schedule: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [['00:00', '24:00']]])) });
    const never = BusinessHours.parse({ timeZone: 'Asia/Kolkata', schedule: {} });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), (at) => {
        expect(isOpen(always, at)).toBe(true);
        expect(isOpen(never, at)).toBe(false);
      }),
    );
  });
});
