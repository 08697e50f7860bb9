// Business-hours clocks for SLAs: a step that names a calendar counts only the time its office is open.
// Pure: a calendar is data compiled from the policy file; UTC offsets and their DST changes come from the IANA
// time zone database through Intl, never from hand-written rules.
//
// The office is open at an instant when, on its local wall clock there, the date is not a holiday and the
// time of day lies in one of that weekday's working intervals. Working time is real elapsed time while open:
// a 00:00-06:00 interval holds 5 hours on the night clocks spring forward and 7 on the night they fall back.

/** A time zone's UTC offset at any instant, read from Intl (what luxon's IANAZone does, without its 70 KB). */
interface Zone {
  /** Minutes east of UTC at the instant `t` (ms since the epoch). */
  offset(t: number): number;
}

const zones = new Map<string, Zone>();

function timeZoneNamed(name: string): Zone | undefined {
  const known = zones.get(name);
  if (known) return known;
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    return undefined;
  }
  const zone: Zone = {
    offset(t) {
      const whole = t - (((t % 1000) + 1000) % 1000);
      const part: Record<string, string> = {};
      for (const p of format.formatToParts(whole)) part[p.type] = p.value;
      const year = part.era === 'BC' ? 1 - Number(part.year) : Number(part.year);
      const wall = new Date(0);
      wall.setUTCFullYear(year, Number(part.month) - 1, Number(part.day));
      wall.setUTCHours(Number(part.hour) % 24, Number(part.minute), Number(part.second), 0);
      return (wall.getTime() - whole) / MINUTE;
    },
  };
  zones.set(name, zone);
  return zone;
}

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** A working interval in minutes after local midnight: 0 <= start < end <= 1440 (24:00). */
export interface WorkingInterval {
  start: number;
  end: number;
}

export interface Calendar {
  name: string;
  /** IANA name, e.g. Europe/Berlin. */
  timeZone: string;
  /** Working intervals per weekday, Monday first: sorted and non-overlapping; an empty day is closed. */
  week: readonly (readonly WorkingInterval[])[];
  /** Local dates (YYYY-MM-DD) closed all day. */
  holidays: ReadonlySet<string>;
}

/** Where deadlines find the calendar a step names: a policy (`policy.calendar(name)`) or calendars by name. */
export type Calendars = { calendar(name: string): Calendar | undefined } | Readonly<Record<string, Calendar>>;

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** A deadline further away than this is refused rather than searched for, so no calendar loops for long. */
export const MAX_HORIZON_MS = 2 * 366 * DAY;

// ---------------------------------------------------------------------------------------------------------------
// Reading calendars as the policy file writes them.

const INTERVAL = /^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$/;
const LOCAL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `09:00-12:30` as minutes after midnight, or what is wrong with the text. */
export function parseWorkingInterval(text: string): WorkingInterval | string {
  const m = INTERVAL.exec(text.trim());
  const [sh, sm, eh, em] = (m?.slice(1) ?? []).map(Number);
  if (
    sh === undefined ||
    sm === undefined ||
    eh === undefined ||
    em === undefined ||
    sh > 23 ||
    sm > 59 ||
    eh > 24 ||
    em > 59 ||
    (eh === 24 && em > 0)
  ) {
    return `${JSON.stringify(text)} is not a working interval; write HH:MM-HH:MM such as 09:00-12:30 (24:00 only as an end)`;
  }
  const interval = { start: sh * 60 + sm, end: eh * 60 + em };
  if (interval.start >= interval.end) {
    return `${JSON.stringify(text)} does not end after it starts; an interval cannot pass midnight (end it at 24:00 and start the next day at 00:00)`;
  }
  return interval;
}

/** `09:00-12:30`. */
export function formatWorkingInterval(i: WorkingInterval): string {
  const clock = (minutes: number) =>
    `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
  return `${clock(i.start)}-${clock(i.end)}`;
}

/** An IANA time zone name Intl knows (Europe/Berlin, America/New_York, UTC); not a bare offset such as +01:00. */
export function isTimeZone(name: string): boolean {
  return /^[A-Za-z]/.test(name) && timeZoneNamed(name) !== undefined;
}

/** A real date written YYYY-MM-DD (2026-02-30 is not one). */
export function isLocalDate(text: string): boolean {
  const m = LOCAL_DATE.exec(text);
  if (!m) return false;
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return date.toISOString().slice(0, 10) === text;
}

/** Each interval that overlaps one listed before it (touching is fine): its index, and the one it overlaps. */
export function overlappingIntervals(
  intervals: readonly WorkingInterval[],
): { index: number; interval: WorkingInterval; overlaps: WorkingInterval }[] {
  const byStart = intervals
    .map((interval, index) => ({ interval, index }))
    .sort((a, b) => a.interval.start - b.interval.start);
  const found: { index: number; interval: WorkingInterval; overlaps: WorkingInterval }[] = [];
  let reach: (typeof byStart)[number] | undefined; // of those that start earlier, the one that ends last
  for (const b of byStart) {
    if (reach && b.interval.start < reach.interval.end) {
      const [earlier, later] = reach.index < b.index ? [reach, b] : [b, reach];
      found.push({ index: later.index, interval: later.interval, overlaps: earlier.interval });
    }
    if (!reach || b.interval.end > reach.interval.end) reach = b;
  }
  return found.sort((x, y) => x.index - y.index);
}

/** Minutes of working time in a week of the calendar, holidays and DST aside. */
export function weeklyWorkingMinutes(week: readonly (readonly WorkingInterval[])[]): number {
  return week.flat().reduce((sum, i) => sum + i.end - i.start, 0);
}

/** A calendar from checked parts (policy.ts reports what is wrong with the file before it gets here). */
export function makeCalendar(
  name: string,
  def: {
    timeZone: string;
    workingHours: Partial<Record<Weekday, readonly WorkingInterval[]>>;
    holidays?: readonly string[];
  },
): Calendar {
  if (!isTimeZone(def.timeZone)) throw new RangeError(`calendar "${name}": unknown time zone "${def.timeZone}"`);
  const week = WEEKDAYS.map((d) =>
    Object.freeze(
      [...(def.workingHours[d] ?? [])].sort((a, b) => a.start - b.start).map((i) => Object.freeze({ ...i })),
    ),
  );
  return Object.freeze({
    name,
    timeZone: def.timeZone,
    week: Object.freeze(week),
    holidays: new Set(def.holidays ?? []),
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Counting working time.

/** The working intervals of a local date, given as whole days since 1970-01-01 (a Thursday). */
function intervalsOn(calendar: Calendar, day: number): readonly WorkingInterval[] {
  if (calendar.holidays.size > 0 && calendar.holidays.has(new Date(day * DAY).toISOString().slice(0, 10))) return [];
  return calendar.week[(((day + 3) % 7) + 7) % 7] ?? [];
}

/** The first instant in (from, to] whose UTC offset differs from the one at `from` (the offset at `to` does). */
function offsetChange(zone: Zone, from: number, to: number): number {
  const before = zone.offset(from);
  let lo = from;
  let hi = to;
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (zone.offset(mid) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** Whether the office is open at `t`, and the instant up to which that holds at least (always later than `t`). */
function spanAt(t: number, calendar: Calendar, zone: Zone): { open: boolean; until: number } {
  const wall = t + zone.offset(t) * MINUTE;
  const day = Math.floor(wall / DAY);
  const sinceMidnight = wall - day * DAY;
  const today = intervalsOn(calendar, day);
  const current = today.find((i) => i.start * MINUTE <= sinceMidnight && sinceMidnight < i.end * MINUTE);
  let wallUntil: number;
  if (current) wallUntil = day * DAY + current.end * MINUTE;
  else {
    // Closed: the next opening today or tomorrow, else look again the day after (a long closure is crossed a day or two at a time).
    const later = today.find((i) => i.start * MINUTE > sinceMidnight);
    wallUntil = later
      ? day * DAY + later.start * MINUTE
      : (day + 1) * DAY + (intervalsOn(calendar, day + 1)[0]?.start ?? 24 * 60) * MINUTE;
  }
  let until = t + (wallUntil - wall);
  // The wall clock keeps pace with real time only while the offset holds: at a DST change, stop and look again.
  if (zone.offset(until) !== zone.offset(t)) until = offsetChange(zone, t, until);
  return { open: current !== undefined, until };
}

function zoneOf(calendar: Calendar): Zone {
  const zone = isTimeZone(calendar.timeZone) ? timeZoneNamed(calendar.timeZone) : undefined;
  if (!zone) throw new RangeError(`calendar "${calendar.name}": unknown time zone "${calendar.timeZone}"`);
  return zone;
}

function instantOf(date: Date): number {
  const t = date.getTime();
  if (Number.isNaN(t)) throw new RangeError('not a valid date');
  return t;
}

/**
 * The instant by which `ms` of working time has passed since `start`: the first such instant, so it lies inside
 * a working interval or at its end. A start outside working hours begins counting at the next opening.
 * Refuses (RangeError) a deadline more than MAX_HORIZON_MS (2 years) away.
 */
export function addWorkingTime(start: Date, ms: number, calendar: Calendar): Date {
  if (!Number.isInteger(ms) || ms < 0)
    throw new RangeError(`working time must be a whole number of milliseconds, at least 0, not ${ms}`);
  const from = instantOf(start);
  if (ms === 0) return new Date(from);
  const zone = zoneOf(calendar);
  const horizon = from + MAX_HORIZON_MS;
  let t = from;
  let left = ms;
  while (t < horizon) {
    const { open, until } = spanAt(t, calendar, zone);
    if (open) {
      if (left <= until - t) {
        if (t + left > horizon) break;
        return new Date(t + left);
      }
      left -= until - t;
    }
    t = until;
  }
  const hours = Math.round((ms / 3_600_000) * 100) / 100;
  throw new RangeError(
    `calendar "${calendar.name}": ${hours}h of working time from ${start.toISOString()} would end more than 2 years later`,
  );
}

/** Working time in ms from `a` to `b` (negative when `b` is earlier), e.g. how much of a step's SLA has passed. */
export function workingTimeBetween(a: Date, b: Date, calendar: Calendar): number {
  const from = instantOf(a);
  const to = instantOf(b);
  if (to < from) return -workingTimeBetween(b, a, calendar);
  const zone = zoneOf(calendar);
  let total = 0;
  for (let t = from; t < to; ) {
    const { open, until } = spanAt(t, calendar, zone);
    const end = Math.min(until, to);
    if (open) total += end - t;
    t = end;
  }
  return total;
}

function lookup(calendars: Calendars, name: string): Calendar | undefined {
  if (typeof calendars.calendar === 'function')
    return (calendars as { calendar(name: string): Calendar | undefined }).calendar(name);
  const byName = calendars as Readonly<Record<string, Calendar>>;
  return Object.hasOwn(byName, name) ? byName[name] : undefined;
}

/**
 * When an SLA that starts at `start` ends: exactly start + ms on the wall clock, or `ms` of working time on
 * the step's calendar. A calendar the policy no longer defines (it changed since the review opened) counts
 * wall-clock: the SLA still ends, and sooner rather than never.
 */
export function deadlineFor(start: Date, sla: { ms: number; calendar?: string }, calendars: Calendars): Date {
  const calendar = sla.calendar === undefined ? undefined : lookup(calendars, sla.calendar);
  return calendar ? addWorkingTime(start, sla.ms, calendar) : new Date(instantOf(start) + sla.ms);
}
