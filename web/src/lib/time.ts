import type { Instant } from '../api/types';

export const toMs = (at: Instant): number => (typeof at === 'number' ? at : Date.parse(at));
export const toIso = (at: Instant): string => new Date(toMs(at)).toISOString();

/** "closes in 3 h 12 min"; "closes in 45 min"; "closes in less than a minute". */
export function closesIn(closesAt: Instant | null, now: number): string | null {
  if (closesAt === null || closesAt === '') return null;
  const ms = toMs(closesAt) - now;
  if (!(ms > 0)) return null;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return 'closes in less than a minute';
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h > 0 ? `closes in ${h} h ${m} min` : `closes in ${m} min`;
}

const sameDay = (a: Date, b: Date) => a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();

/** Short time for lists: 14:05 today, "Tue" this week, else 12 Nov. */
export function shortTime(instant: Instant, now: number): string {
  const at = new Date(toMs(instant));
  const today = new Date(now);
  if (sameDay(at, today)) return at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  if (now - at.getTime() < 6 * 86_400_000) return at.toLocaleDateString([], { weekday: 'short' });
  return at.toLocaleDateString([], { day: 'numeric', month: 'short' });
}

export function clockTime(instant: Instant): string {
  return new Date(toMs(instant)).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export function dayLabel(instant: Instant, now: number): string {
  const at = new Date(toMs(instant));
  if (sameDay(at, new Date(now))) return 'Today';
  if (sameDay(at, new Date(now - 86_400_000))) return 'Yesterday';
  return at.toLocaleDateString([], { weekday: 'long', day: 'numeric', month: 'long' });
}
