import { z } from 'zod';

/**
 * Business hours: a time zone and, per weekday, the opening intervals (`["09:00", "17:30"]`);
 * a day without intervals is closed, and so is every listed `closedDates` day.
 */

const Time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'a time such as 09:00 (24:00 ends the day)');
const Interval = z
  .tuple([Time, Time])
  .refine(([from, to]) => from < to, 'an interval opens before it closes');
const Day = z.array(Interval).max(10);

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const BusinessHours = z
  .object({
    timeZone: z.string().min(1).refine(isTimeZone, 'an IANA time zone such as Europe/Lisbon'),
    schedule: z.object(Object.fromEntries(WEEKDAYS.map((d) => [d, Day.optional()])) as Record<Weekday, z.ZodOptional<typeof Day>>).strict(),
    closedDates: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date such as 2026-12-25')).max(366).optional(),
  })
  .strict();
export type BusinessHours = z.infer<typeof BusinessHours>;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock date, weekday and time at `at` in `timeZone`. */
export function localTime(at: number, timeZone: string): { date: string; weekday: Weekday; time: string } {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
    formatters.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(new Date(at)).map((p) => [p.type, p.value]));
  return {
    date: `${parts['year']}-${parts['month']}-${parts['day']}`,
    weekday: String(parts['weekday']).toLowerCase().slice(0, 3) as Weekday,
    time: `${parts['hour']}:${parts['minute']}`,
  };
}

/** Whether the business is open at `at` (an interval includes its start and excludes its end). */
export function isOpen(hours: BusinessHours, at: number): boolean {
  const local = localTime(at, hours.timeZone);
  if (hours.closedDates?.includes(local.date)) return false;
  return (hours.schedule[local.weekday] ?? []).some(([from, to]) => local.time >= from && local.time < to);
}
