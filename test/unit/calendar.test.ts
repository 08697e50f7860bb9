import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import type { ActionProposed } from '../../events/index.ts';
import {
  addWorkingTime,
  deadlineFor,
  makeCalendar,
  MAX_HORIZON_MS,
  parseWorkingInterval,
  WEEKDAYS,
  workingTimeBetween,
  type Calendar,
  type Weekday,
  type WorkingInterval,
} from '../../functions/domain/calendar.ts';
import { parsePolicy } from '../../functions/domain/policy-yaml.ts';
import { newReview } from '../../functions/domain/review.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A calendar as the policy file writes it: `{ mon: '09:00-18:00', tue: ['09:00-12:30', '13:30-18:00'] }`. */
function calendar(
  timeZone: string,
  hours: Partial<Record<Weekday, string | string[]>>,
  holidays: string[] = [],
): Calendar {
  const workingHours = Object.fromEntries(
    Object.entries(hours).map(([day, text]) => [
      day,
      [text].flat().map((t) => {
        const interval = parseWorkingInterval(t);
        if (typeof interval === 'string') throw new Error(interval);
        return interval;
      }),
    ]),
  );
  return makeCalendar('test', { timeZone, workingHours, holidays });
}

const weekdays = (hours: string | string[]) => ({ mon: hours, tue: hours, wed: hours, thu: hours, fri: hours });
const at = (iso: string) => new Date(iso);
const iso = (d: Date) => d.toISOString();

// Berlin is UTC+1 in winter (CET) and UTC+2 in summer (CEST); New York UTC-5 (EST) and UTC-4 (EDT).
const financeEu = calendar('Europe/Berlin', weekdays('09:00-18:00'), [
  '2026-12-24',
  '2026-12-25',
  '2026-12-26',
  '2027-01-01',
]);

describe('business-hours deadlines', () => {
  it('makes 4h from Friday 17:00 due on Monday 12:00 on a Mon-Fri 09:00-18:00 calendar, not Friday 21:00', () => {
    const friday17 = at('2026-11-27T16:00:00Z');
    const due = addWorkingTime(friday17, 4 * HOUR, financeEu);
    expect(iso(due)).toBe('2026-11-30T11:00:00.000Z'); // Monday 12:00 in Berlin
    expect(workingTimeBetween(friday17, due, financeEu)).toBe(4 * HOUR);
    expect(iso(deadlineFor(friday17, { ms: 4 * HOUR }, {}))).toBe('2026-11-27T20:00:00.000Z'); // wall clock: Friday 21:00
  });

  it('keeps a wall-clock SLA at exactly start + ms when the step names no calendar', () => {
    fc.assert(
      fc.property(
        fc.date({ min: at('2000-01-01T00:00:00Z'), max: at('2100-01-01T00:00:00Z'), noInvalidDate: true }),
        fc.integer({ min: 1, max: 365 * DAY }),
        (start, ms) => {
          expect(deadlineFor(start, { ms }, { 'finance-eu': financeEu }).getTime()).toBe(start.getTime() + ms);
        },
      ),
    );
  });

  it('does not count the lunch break', () => {
    const lunch = calendar('Europe/Berlin', weekdays(['09:00-12:30', '13:30-18:00']));
    const tuesday11 = at('2026-11-24T10:00:00Z');
    expect(iso(addWorkingTime(tuesday11, 3 * HOUR, lunch))).toBe('2026-11-24T14:00:00.000Z'); // 15:00, after an hour's lunch
    // A deadline the morning's hours reach exactly is due at 12:30, not after lunch.
    expect(iso(addWorkingTime(tuesday11, 90 * MINUTE, lunch))).toBe('2026-11-24T11:30:00.000Z');
    expect(workingTimeBetween(at('2026-11-24T11:00:00Z'), at('2026-11-24T13:00:00Z'), lunch)).toBe(HOUR); // 12:00-14:00 holds 12:00-12:30 and 13:30-14:00
  });

  it('starts counting at the next opening when the review opens outside working hours', () => {
    expect(iso(addWorkingTime(at('2026-11-24T05:00:00Z'), HOUR, financeEu))).toBe('2026-11-24T09:00:00.000Z'); // Tuesday 06:00 -> 10:00
    expect(iso(addWorkingTime(at('2026-11-24T19:30:00Z'), HOUR, financeEu))).toBe('2026-11-25T09:00:00.000Z'); // Tuesday 20:30 -> Wednesday 10:00
    expect(iso(addWorkingTime(at('2026-11-28T10:00:00Z'), HOUR, financeEu))).toBe('2026-11-30T09:00:00.000Z'); // Saturday -> Monday 10:00
  });

  it('starts counting after the holidays when the review opens on one', () => {
    // Thursday 24 December 10:00; the 24th to the 26th are holidays and the 27th a Sunday: Monday 28th 09:00 + 4h.
    expect(iso(addWorkingTime(at('2026-12-24T09:00:00Z'), 4 * HOUR, financeEu))).toBe('2026-12-28T12:00:00.000Z');
    expect(workingTimeBetween(at('2026-12-23T17:00:00Z'), at('2026-12-28T08:00:00Z'), financeEu)).toBe(0);
  });

  it('counts a step across a weekend and a holiday', () => {
    // Wednesday 30 December 16:00 + two working days (18h): 2h Wednesday, 9h Thursday, New Year's Day and the weekend closed, 7h Monday.
    const due = addWorkingTime(at('2026-12-30T15:00:00Z'), 18 * HOUR, financeEu);
    expect(iso(due)).toBe('2027-01-04T15:00:00.000Z'); // Monday 4 January 16:00
  });

  it('counts the real hours of a Sunday night shift across the spring DST change in Europe/Berlin', () => {
    // 29 March 2026, the last Sunday of March: at 02:00 CET the clocks jump to 03:00 CEST.
    const night = calendar('Europe/Berlin', { sun: '00:00-06:00' });
    const sunday0 = at('2026-03-28T23:00:00Z');
    expect(workingTimeBetween(sunday0, at('2026-03-30T00:00:00Z'), night)).toBe(5 * HOUR);
    expect(iso(addWorkingTime(sunday0, 5 * HOUR, night))).toBe('2026-03-29T04:00:00.000Z'); // 06:00 CEST
    expect(iso(addWorkingTime(at('2026-03-29T00:00:00Z'), 3 * HOUR, night))).toBe('2026-03-29T03:00:00.000Z'); // 01:00 CET + 3h = 05:00 CEST
    // The hour that does not exist is no working time; an interval starting inside it opens when the clock jumps.
    expect(
      workingTimeBetween(sunday0, at('2026-03-30T00:00:00Z'), calendar('Europe/Berlin', { sun: '02:00-03:00' })),
    ).toBe(0);
    expect(
      workingTimeBetween(sunday0, at('2026-03-30T00:00:00Z'), calendar('Europe/Berlin', { sun: '02:30-04:00' })),
    ).toBe(HOUR);
    // 6h from Sunday 00:00 do not fit that night: the rest is due the next Sunday at 01:00 (CEST).
    expect(iso(addWorkingTime(sunday0, 6 * HOUR, night))).toBe('2026-04-04T23:00:00.000Z');
  });

  it('counts the real hours of a Sunday night shift across the autumn DST change in Europe/Berlin', () => {
    // 25 October 2026, the last Sunday of October: at 03:00 CEST the clocks go back to 02:00 CET.
    const night = calendar('Europe/Berlin', { sun: '00:00-06:00' });
    const sunday0 = at('2026-10-24T22:00:00Z');
    expect(workingTimeBetween(sunday0, at('2026-10-26T00:00:00Z'), night)).toBe(7 * HOUR);
    expect(iso(addWorkingTime(sunday0, 7 * HOUR, night))).toBe('2026-10-25T05:00:00.000Z'); // 06:00 CET
    // 02:00-03:00 happens twice that night, and both count.
    expect(
      workingTimeBetween(sunday0, at('2026-10-26T00:00:00Z'), calendar('Europe/Berlin', { sun: '02:00-03:00' })),
    ).toBe(2 * HOUR);
    const twice = calendar('Europe/Berlin', { sun: '02:30-03:00' });
    expect(workingTimeBetween(sunday0, at('2026-10-26T00:00:00Z'), twice)).toBe(HOUR);
    expect(iso(addWorkingTime(sunday0, 45 * MINUTE, twice))).toBe('2026-10-25T01:45:00.000Z'); // 02:45 CET, the second time round
  });

  it('keeps office hours on local time across a DST weekend in Europe/Berlin', () => {
    // Friday 27 March 17:00 CET + 4h: Monday 30 March 12:00 CEST, an hour earlier in UTC than before the change.
    expect(iso(addWorkingTime(at('2026-03-27T16:00:00Z'), 4 * HOUR, financeEu))).toBe('2026-03-30T10:00:00.000Z');
    expect(iso(addWorkingTime(at('2026-10-23T15:00:00Z'), 4 * HOUR, financeEu))).toBe('2026-10-26T11:00:00.000Z');
  });

  it('follows the DST changes of America/New_York', () => {
    const newYork = calendar('America/New_York', weekdays('09:00-17:00'));
    // Friday 6 March 16:00 EST + 2h: Monday 9 March 10:00 EDT (clocks went forward on Sunday 8 March).
    expect(iso(addWorkingTime(at('2026-03-06T21:00:00Z'), 2 * HOUR, newYork))).toBe('2026-03-09T14:00:00.000Z');
    // Friday 30 October 16:00 EDT + 2h: Monday 2 November 10:00 EST (clocks went back on Sunday 1 November).
    expect(iso(addWorkingTime(at('2026-10-30T20:00:00Z'), 2 * HOUR, newYork))).toBe('2026-11-02T15:00:00.000Z');
    const night = calendar('America/New_York', { sun: '00:00-04:00' });
    expect(workingTimeBetween(at('2026-03-08T05:00:00Z'), at('2026-03-09T05:00:00Z'), night)).toBe(3 * HOUR);
    expect(workingTimeBetween(at('2026-11-01T04:00:00Z'), at('2026-11-02T05:00:00Z'), night)).toBe(5 * HOUR);
  });

  it('measures working time backwards as negative, and none over a closed stretch', () => {
    const friday17 = at('2026-11-27T16:00:00Z');
    const monday12 = at('2026-11-30T11:00:00Z');
    expect(workingTimeBetween(monday12, friday17, financeEu)).toBe(-4 * HOUR);
    expect(workingTimeBetween(friday17, friday17, financeEu)).toBe(0);
    expect(workingTimeBetween(at('2026-11-28T00:00:00Z'), at('2026-11-29T23:00:00Z'), financeEu)).toBe(0);
  });

  it('refuses a deadline more than 2 years away instead of searching on', () => {
    const hourOnMondays = calendar('Europe/Berlin', { mon: '09:00-10:00' });
    expect(() => addWorkingTime(at('2026-11-27T16:00:00Z'), 200 * HOUR, hourOnMondays)).toThrow(
      /more than 2 years later/,
    );
    expect(() => addWorkingTime(at('2026-11-27T16:00:00Z'), HOUR, calendar('Europe/Berlin', {}))).toThrow(RangeError);
    expect(
      addWorkingTime(at('2026-11-27T16:00:00Z'), 100 * HOUR, hourOnMondays).getTime() -
        Date.parse('2026-11-27T16:00:00Z'),
    ).toBeLessThan(MAX_HORIZON_MS);
  });

  it('refuses a negative or fractional working time and an invalid start', () => {
    expect(() => addWorkingTime(at('2026-11-27T16:00:00Z'), -1, financeEu)).toThrow(RangeError);
    expect(() => addWorkingTime(at('2026-11-27T16:00:00Z'), 0.5, financeEu)).toThrow(RangeError);
    expect(() => addWorkingTime(new Date(Number.NaN), HOUR, financeEu)).toThrow(RangeError);
    expect(iso(addWorkingTime(at('2026-11-28T10:00:00Z'), 0, financeEu))).toBe('2026-11-28T10:00:00.000Z');
  });
});

describe('deadlines of the shipped policy', () => {
  const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
  const policy = parsePolicy(read('policy/default.yml'), read('policy/directory.yml'));
  const proposal = (type: string, value: number): ActionProposed => ({
    proposalId: `p-${type}-${value}`,
    agentId: 'agent-7',
    requestedBy: 'customer-portal',
    action: { type, summary: 'do the thing', amount: { value, currency: 'USD' } },
  });
  const open = (p: ActionProposed, now: Date) => newReview(p, policy.classify(p.action, p), now);
  const friday17 = at('2026-11-27T16:00:00Z');

  it('defines finance-eu: Berlin, Mon-Fri 09:00-18:00, closed over Christmas and New Year', () => {
    const financeEu = policy.calendar('finance-eu');
    expect(financeEu).toMatchObject({
      timeZone: 'Europe/Berlin',
      holidays: new Set(['2026-12-24', '2026-12-25', '2026-12-26', '2027-01-01']),
    });
    expect(financeEu?.week.map((d) => d.map((i) => [i.start / 60, i.end / 60]))).toEqual([
      [[9, 18]],
      [[9, 18]],
      [[9, 18]],
      [[9, 18]],
      [[9, 18]],
      [],
      [],
    ]);
    expect(policy.calendar('nowhere')).toBeUndefined();
  });

  it('gives the finance director of a refund over $10,000 proposed on Friday 17:00 until Monday 17:00 (one working day)', () => {
    const review = open(proposal('refund', 25000), friday17);
    expect(review).toMatchObject({ rule: 'refund-over-10k', deadline: '2026-11-30T16:00:00.000Z' });
    expect(review.route.map((s) => s.sla)).toEqual([
      { ms: 9 * HOUR, text: '9h', calendar: 'finance-eu' },
      { ms: 9 * HOUR, text: '9h', calendar: 'finance-eu' },
    ]);
    // The next step's deadline, as escalation computes it with the policy.
    expect(iso(deadlineFor(at('2026-11-30T16:00:00Z'), review.route[1]!.sla, policy))).toBe('2026-12-01T16:00:00.000Z');
  });

  it('keeps the purchase-order manager step on the wall clock: 4h from Friday 17:00 is Friday 21:00', () => {
    const review = open(proposal('purchase_order', 5000), friday17);
    expect(review).toMatchObject({ rule: 'purchase-order-manager', deadline: '2026-11-27T20:00:00.000Z' });
    expect(review.route[0]?.sla).toEqual({ ms: 4 * HOUR, text: '4h' });
  });

  it('counts a calendar the policy no longer defines on the wall clock, so the SLA still ends', () => {
    expect(iso(deadlineFor(friday17, { ms: 4 * HOUR, calendar: 'retired' }, policy))).toBe('2026-11-27T20:00:00.000Z');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Properties, checked against an independent oracle: luxon's local wall time of each instant.

const ZONES = [
  'Europe/Berlin',
  'America/New_York',
  'UTC',
  'Australia/Lord_Howe',
  'Asia/Kathmandu',
  'America/Santiago',
  'America/Havana',
];
const FIRST_DAY = Date.UTC(2025, 0, 1) / DAY;

/** Up to three non-overlapping intervals in a day, on whole minutes. */
const dayHours: fc.Arbitrary<WorkingInterval[]> = fc
  .uniqueArray(fc.integer({ min: 0, max: 1440 }), { maxLength: 6 })
  .map((edges) => {
    const sorted = [...edges].sort((a, b) => a - b);
    const out: WorkingInterval[] = [];
    for (let i = 0; i + 1 < sorted.length; i += 2) out.push({ start: sorted[i]!, end: sorted[i + 1]! });
    return out;
  });

const anyCalendar: fc.Arbitrary<Calendar> = fc
  .record({
    timeZone: fc.constantFrom(...ZONES),
    week: fc.tuple(dayHours, dayHours, dayHours, dayHours, dayHours, dayHours, dayHours),
    holidays: fc.uniqueArray(fc.integer({ min: 0, max: 4 * 366 }), { maxLength: 12 }),
  })
  .filter(({ week }) => week.some((d) => d.length > 0))
  .map(({ timeZone, week, holidays }) =>
    makeCalendar('any', {
      timeZone,
      workingHours: Object.fromEntries(WEEKDAYS.map((d, i) => [d, week[i]!])),
      holidays: holidays.map((n) => new Date((FIRST_DAY + n) * DAY).toISOString().slice(0, 10)),
    }),
  );

/** Per zone, the (UTC) days on which its offset changes, found a day at a time: starts meet DST changes often, not by luck. */
const OFFSET_CHANGES = new Map(
  ZONES.map((zone) => {
    const days: number[] = [];
    for (let day = FIRST_DAY; day < FIRST_DAY + 4 * 366; day++) {
      if (DateTime.fromMillis(day * DAY, { zone }).offset !== DateTime.fromMillis((day + 1) * DAY, { zone }).offset)
        days.push(day * DAY);
    }
    return [zone, days];
  }),
);
const anyStart = fc.date({ min: at('2025-01-01T00:00:00Z'), max: at('2028-12-31T00:00:00Z'), noInvalidDate: true });
/** A start anywhere, or within days of one of the calendar's own DST changes. */
function startFor(cal: Calendar): fc.Arbitrary<Date> {
  const changes = OFFSET_CHANGES.get(cal.timeZone) ?? [];
  if (changes.length === 0) return anyStart;
  return fc.oneof(
    anyStart,
    fc
      .tuple(fc.constantFrom(...changes), fc.integer({ min: -3 * DAY, max: 3 * DAY }))
      .map(([day, ms]) => new Date(day + ms)),
  );
}
const calendarAndStart = anyCalendar.chain((cal) => fc.tuple(fc.constant(cal), startFor(cal)));

/** Working time up to 8 weeks of the calendar's hours, so a deadline stays well within the 2-year horizon. */
function sla(cal: Calendar, fraction: number): number {
  const weekly = cal.week.flat().reduce((sum, i) => sum + (i.end - i.start), 0) * MINUTE;
  return 1 + Math.floor(fraction * 8 * weekly);
}

/** The oracle: open when the local date is no holiday and the local time of day lies in one of its weekday's intervals. */
function isOpen(cal: Calendar, t: number): boolean {
  const local = DateTime.fromMillis(t, { zone: cal.timeZone });
  if (cal.holidays.has(local.toISODate() ?? '')) return false;
  const sinceMidnight = ((local.hour * 60 + local.minute) * 60 + local.second) * 1000 + local.millisecond;
  return (cal.week[local.weekday - 1] ?? []).some(
    (i) => i.start * MINUTE <= sinceMidnight && sinceMidnight < i.end * MINUTE,
  );
}

const fraction = fc.double({ min: 0, max: 1, noNaN: true });

describe('business-hours deadlines (properties)', () => {
  it('never falls before the start', () => {
    fc.assert(
      fc.property(calendarAndStart, fraction, ([cal, start], f) => {
        expect(addWorkingTime(start, sla(cal, f), cal).getTime()).toBeGreaterThan(start.getTime());
      }),
    );
  });

  it('leaves exactly the SLA of working time between the start and the deadline, to the millisecond', () => {
    fc.assert(
      fc.property(calendarAndStart, fraction, ([cal, start], f) => {
        const ms = sla(cal, f);
        expect(workingTimeBetween(start, addWorkingTime(start, ms, cal), cal)).toBe(ms);
      }),
    );
  });

  it('adds a then b the same as a + b', () => {
    fc.assert(
      fc.property(calendarAndStart, fraction, fraction, ([cal, start], fa, fb) => {
        const a = sla(cal, fa / 2);
        const b = sla(cal, fb / 2);
        expect(addWorkingTime(addWorkingTime(start, a, cal), b, cal).getTime()).toBe(
          addWorkingTime(start, a + b, cal).getTime(),
        );
      }),
    );
  });

  it('falls within a working interval or at its end: the millisecond before the deadline is working time', () => {
    fc.assert(
      fc.property(calendarAndStart, fraction, ([cal, start], f) => {
        const due = addWorkingTime(start, sla(cal, f), cal).getTime();
        expect(isOpen(cal, due - 1)).toBe(true);
      }),
    );
  });

  it('is monotonic in the start', () => {
    fc.assert(
      fc.property(calendarAndStart, anyStart, fraction, ([cal, s1], s2, f) => {
        const [early, late] = s1 <= s2 ? [s1, s2] : [s2, s1];
        const ms = sla(cal, f);
        expect(addWorkingTime(early, ms, cal).getTime()).toBeLessThanOrEqual(addWorkingTime(late, ms, cal).getTime());
      }),
    );
  });

  it('measures the same working time as counting open minutes one by one on the local wall clock', () => {
    // Interval edges, offsets and DST changes of these zones all fall on whole minutes, so sampling each minute is exact.
    fc.assert(
      fc.property(calendarAndStart, fc.integer({ min: 0, max: 3 * 24 * 60 }), ([cal, start], minutes) => {
        const first = Math.floor(start.getTime() / MINUTE);
        let open = 0;
        for (let m = first; m < first + minutes; m++) if (isOpen(cal, m * MINUTE)) open++;
        expect(workingTimeBetween(new Date(first * MINUTE), new Date((first + minutes) * MINUTE), cal)).toBe(
          open * MINUTE,
        );
      }),
      { numRuns: 60 },
    );
  });

  it('agrees with minute counting on the DST nights of Berlin, New York and Lord Howe (a 30-minute change)', () => {
    // Random starts meet a DST change only now and then; these windows of three days hold one for sure.
    const nights = [
      '2026-03-29T00:00:00+01:00',
      '2026-10-25T00:00:00+02:00',
      '2026-03-08T00:00:00-05:00',
      '2026-11-01T00:00:00-04:00',
      '2026-04-05T00:00:00+11:00',
      '2026-10-04T00:00:00+10:30',
    ];
    for (const zone of ['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe']) {
      const sundays = makeCalendar(zone, {
        timeZone: zone,
        workingHours: {
          sun: [
            { start: 0, end: 150 },
            { start: 150, end: 200 },
            { start: 600, end: 1440 },
          ],
        },
      });
      for (const night of nights) {
        const first = Date.parse(night) / MINUTE - 24 * 60;
        let open = 0;
        for (let m = first; m < first + 3 * 24 * 60; m++) if (isOpen(sundays, m * MINUTE)) open++;
        expect(workingTimeBetween(new Date(first * MINUTE), new Date((first + 3 * 24 * 60) * MINUTE), sundays)).toBe(
          open * MINUTE,
        );
      }
    }
  });
});
