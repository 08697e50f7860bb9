// Reminders before a step's deadline, at the percentages of its SLA the policy's `remindAt` names.
// Their times are fixed when the step starts, as its deadline is: `percent`% of the SLA after the step's start,
// counted by the same clock as the deadline (working time on the step's calendar, else wall-clock).
// A module of its own so review.ts (the due index) and escalation.ts (the claim) share it without importing each other.
import type { DeadlineFor, Reminder, Review, RouteStep } from './model.ts';

export type { Reminder } from './model.ts';

/** The reminders of `step` started at `start`, ascending; none unless the step asks for them. */
export function reminderSchedule(step: RouteStep, start: Date, deadlineFor: DeadlineFor): Reminder[] {
  const { ms, calendar } = step.sla;
  return [...new Set(step.remindAt ?? [])]
    .filter((p) => Number.isInteger(p) && p > 0 && p < 100)
    .sort((a, b) => a - b)
    .map((percent) => ({
      percent,
      at: deadlineFor(start, { ms: Math.ceil((ms * percent) / 100), ...(calendar ? { calendar } : {}) }).toISOString(),
    }));
}

/** The reminder due now, if any: the highest percentage reached and not yet sent; none once the deadline passed. */
export function reminderDue(review: Review, now: Date): number | undefined {
  return dueReminders(review, now).at(-1)?.percent;
}

/** Reminders reached at `now` and not yet sent, ascending; none for a review not pending or past its deadline. */
export function dueReminders(review: Review, now: Date): Reminder[] {
  if (review.status !== 'PENDING' || !review.deadline || now.getTime() >= Date.parse(review.deadline)) return [];
  return unsent(review).filter((r) => Date.parse(r.at) <= now.getTime());
}

/** When the next reminder falls due (before the deadline), for the sweeper's due index. */
export function nextReminderAt(review: Review): string | undefined {
  if (review.status !== 'PENDING' || !review.deadline) return undefined;
  const next = unsent(review)[0];
  return next && Date.parse(next.at) < Date.parse(review.deadline) ? next.at : undefined;
}

/** Reminders above the highest percentage sent: one that was skipped (the sweeper came late) is not sent after a later one. */
function unsent(review: Review): Reminder[] {
  const sent = Math.max(0, ...(review.remindersSent ?? []));
  return (review.reminders ?? []).filter((r) => r.percent > sent).sort((a, b) => a.percent - b.percent);
}
