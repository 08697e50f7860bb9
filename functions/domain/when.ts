// Times as an approver reads them: in their own time zone, with how long is left. Pure: Intl does the zones.
import { isTimeZone } from './calendar.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The zone to show an approver times in: theirs (the directory), else the step's calendar's, else UTC. */
export function zoneFor(personZone: string | undefined, calendarZone: string | undefined): string {
  for (const zone of [personZone, calendarZone]) if (zone && isTimeZone(zone)) return zone;
  return 'UTC';
}

/** A zone as people name it: `America/New_York` is "New York time", `UTC` is "UTC". */
export function zoneName(zone: string): string {
  if (zone === 'UTC' || zone === 'Etc/UTC') return 'UTC';
  const city = zone.split('/').pop() ?? zone;
  return `${city.replace(/_/g, ' ')} time`;
}

const formats = new Map<string, Intl.DateTimeFormat>();
function formatOf(zone: string, withYear: boolean, withWeekday: boolean): Intl.DateTimeFormat {
  const key = `${zone}|${withYear}|${withWeekday}`;
  let f = formats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      ...(withWeekday ? { weekday: 'short' } : {}),
      month: 'short',
      day: 'numeric',
      ...(withYear ? { year: 'numeric' } : {}),
      hour: 'numeric',
      minute: '2-digit',
    });
    formats.set(key, f);
  }
  return f;
}

function yearIn(zone: string, t: Date): string {
  return new Intl.DateTimeFormat('en-US', { timeZone: zone, year: 'numeric' }).format(t);
}

/**
 * An instant on the approver's wall clock, with the zone said in words: `Wed, Dec 2, 2:38 PM New York time`;
 * the year only when it is not the year of `now` there. `weekday: false` for compact lists (history).
 */
export function localTime(iso: string, zone: string, now: Date, options: { weekday?: boolean } = {}): string {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return iso;
  const withYear = yearIn(zone, t) !== yearIn(zone, now);
  return `${formatOf(zone, withYear, options.weekday ?? true).format(t)} ${zoneName(zone)}`;
}

/** How long until `iso` from `now`, as people say it: "in 3 h 12 min", "in 2 days 4 h", "5 min ago". */
export function relativeTime(iso: string, now: Date): string {
  const ms = Date.parse(iso) - now.getTime();
  if (Number.isNaN(ms)) return '';
  const span = Math.abs(ms);
  if (span < MINUTE) return ms >= 0 ? 'in less than a minute' : 'just now';
  const text = spanText(span);
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

/** A duration in at most two units, rounded down: 3 h 12 min, 2 days 4 h, 45 min. */
export function spanText(ms: number): string {
  const days = Math.floor(ms / DAY);
  const hours = Math.floor((ms % DAY) / HOUR);
  const minutes = Math.floor((ms % HOUR) / MINUTE);
  if (days > 0) return `${days} ${days === 1 ? 'day' : 'days'}${hours ? ` ${hours} h` : ''}`;
  if (hours > 0) return `${hours} h${minutes ? ` ${minutes} min` : ''}`;
  return `${minutes} min`;
}

/** A deadline for people: `Wed, Dec 2, 2:38 PM New York time (in 3 h 12 min)`, or "(overdue by 5 min)". */
export function deadlineText(iso: string, zone: string, now: Date): string {
  return `${localTime(iso, zone, now)} (${timeLeft(iso, now)})`;
}

/** How long is left before a deadline: "in 3 h 12 min", or "overdue by 5 min". */
export function timeLeft(iso: string, now: Date): string {
  const ms = Date.parse(iso) - now.getTime();
  return ms < -MINUTE ? `overdue by ${spanText(-ms)}` : relativeTime(iso, now);
}
