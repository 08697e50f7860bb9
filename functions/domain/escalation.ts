// What time does to a pending review: SLA breaches, escalation along the approver route, the route's end
// (expire, approve a soft review, or keep reminding), reminders before a deadline, and cancellation.
// Pure: each change returns the next review and the history entries the store appends in the same conditional write.
import { AlreadyDecided, ReasonRequired } from './errors.ts';
import {
  advance,
  approvalsCounted,
  BREACH_REPUBLISH_MS,
  decisionSubject,
  MAX_REASON_LENGTH,
  POLICY,
  unchanged,
} from './review.ts';
import type { Actor, DeadlineFor, Decision, Review, Transition, Unchanged } from './model.ts';
import { dueReminders, nextReminderAt, reminderDue, reminderSchedule } from './reminders.ts';

export { BREACH_REPUBLISH_MS, nextReminderAt, reminderDue };

export type { DeadlineFor, Transition, Unchanged } from './model.ts';

/**
 * What a breach does: `escalated` (moved to the next step: notify its approvers), `reminded` (the route is
 * exhausted and the review stays open: notify the last step's approvers and the notify list again), or
 * `expired` / `approved` (decided by the policy: restart it); unchanged when a decision, or an earlier
 * handling of this breach, got there first (`stale`).
 */
export type EscalationKind = 'escalated' | 'reminded' | 'expired' | 'approved';
export type EscalateResult = Transition<EscalationKind> | Unchanged<'stale'>;

const SWEEPER: Actor = { id: 'hitl-gate', kind: 'system' };

/**
 * The sweeper's claim on a breached deadline, made before it publishes "Review SLA Breached": once per step,
 * or again after BREACH_REPUBLISH_MS when the escalation did not follow (the event was lost or its handler failed).
 */
export function markBreached(
  review: Review,
  now: Date,
): Transition<'breached'> | Unchanged<'not-due' | 'already-marked'> {
  if (review.status !== 'PENDING' || !review.deadline || Date.parse(review.deadline) > now.getTime())
    return unchanged('not-due');
  const earlier = review.breach?.step === review.step ? review.breach : undefined;
  if (earlier && now.getTime() < Date.parse(earlier.at) + BREACH_REPUBLISH_MS) return unchanged('already-marked');
  const at = now.toISOString();
  const again = earlier ? `; published again: no escalation followed the breach marked at ${earlier.at}` : '';
  const note = `step ${review.step + 1} (${stepText(review, review.step)}) passed its deadline ${review.deadline}${again}`;
  return {
    kind: 'breached',
    next: advance(review, { breach: { step: review.step, at } }, at),
    entries: [{ at, what: 'sla_breached', by: SWEEPER, note }],
  };
}

/**
 * What a breach of step `breachedStep` does: move to the next step, or at the end of the route apply the
 * review's onTimeout. A critical review (block until reviewed) never expires or auto-approves, whatever it says.
 */
export function escalate(review: Review, breachedStep: number, deadlineFor: DeadlineFor, now: Date): EscalateResult {
  if (review.status !== 'PENDING' || review.step !== breachedStep) return unchanged('stale');
  // A second delivery of a breach already handled finds the deadline moved on (a reminder cycle keeps the step).
  if (!review.deadline || Date.parse(review.deadline) > now.getTime()) return unchanged('stale');

  const from = review.step;
  const missed = `step ${from + 1} (${stepText(review, from)}) did not decide within ${slaText(review, from)}`;
  if (from + 1 < review.route.length) {
    const carried = review.approvals?.length ? `; approvals at step ${from + 1} do not carry over` : '';
    return startStep(
      review,
      from + 1,
      deadlineFor,
      now,
      'escalated',
      (deadline) => `${missed}; now step ${from + 2} (${stepText(review, from + 1)}), by ${deadline}${carried}`,
    );
  }

  if (review.pattern === 'block_until_reviewed' || review.onTimeout === 'escalate') {
    const why =
      review.pattern === 'block_until_reviewed'
        ? 'a critical review is blocked until reviewed'
        : 'the policy keeps it open (onTimeout escalate)';
    const counted = approvalsCounted(review).length;
    const quorum = review.quorum > 1 ? `; ${counted} of ${review.quorum} approvals so far` : '';
    const notify = review.notify.length ? ` and the notify list (${review.notify.join(', ')})` : '';
    return startStep(
      review,
      from,
      deadlineFor,
      now,
      'reminded',
      (deadline) => `${missed}; ${why}: reminding step ${from + 1}${notify}, by ${deadline}${quorum}`,
    );
  }

  const steps = review.route.map((_, i) => `step ${i + 1} ${stepRoles(review, i)} ${slaText(review, i)}`).join(', ');
  if (review.onTimeout === 'approve' && review.pattern === 'soft_review') {
    const reason = `Approved on timeout: soft review, as the policy allows (rule ${review.rule}); no decision within the SLA of any step (${steps}).`;
    return decidedByPolicy(review, 'approved', reason, 'approved_on_timeout', now);
  }
  // expire, and fail closed on anything else: approve outside soft review, or a value this code does not know.
  const why =
    review.onTimeout === 'expire'
      ? 'the policy expires it'
      : `onTimeout ${review.onTimeout} does not apply to a ${review.pattern.replace(/_/g, ' ')} review, so it expires (fail closed)`;
  const reason = `No decision within the SLA of any step (${steps}); ${why} (rule ${review.rule}).`;
  return decidedByPolicy(review, 'expired', reason, 'expired', now);
}

/**
 * A pending review ended by a person (e.g. the requester) or a system (e.g. the agent withdrew the proposal).
 * Throws AlreadyDecided for a decided review and ReasonRequired without a reason (trimmed, at most 2,000 characters).
 */
export function cancel(
  review: Review,
  actor: { id: string; kind: 'person' | 'system' },
  reason: string,
  now: Date,
): Transition<'cancelled'> {
  if (review.status !== 'PENDING') throw new AlreadyDecided(review.id, review.decision);
  const id = typeof actor?.id === 'string' ? actor.id.trim() : '';
  if (!id || (actor.kind !== 'person' && actor.kind !== 'system'))
    throw new TypeError('a cancellation names who cancels it: a person or a system, by id');
  const text = typeof reason === 'string' ? reason.trim() : '';
  if (!text) throw new ReasonRequired('A cancellation needs a reason.');
  if (text.length > MAX_REASON_LENGTH) {
    throw new ReasonRequired(
      `A reason must be at most 2,000 characters; this one has ${text.length.toLocaleString('en-US')}.`,
    );
  }
  const by: Actor = { id, kind: actor.kind };
  const at = now.toISOString();
  const decision: Decision = { outcome: 'cancelled', by: [by], at, reason: text, ...decisionSubject(review) };
  const { breach: _claim, ...rest } = review;
  return {
    kind: 'cancelled',
    next: advance(rest, { status: 'CANCELLED', decision }, at),
    entries: [{ at, what: 'cancelled', by, note: text }],
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Reminders before the deadline, at the percentages of the current step's SLA its `remindAt` names (reminders.ts).

/**
 * The sweeper's claim on sending the `pct` reminder of the current step, made before sending it: a conditional
 * write, so overlapping sweeps send it once. At most once: a sweep that dies after the claim sends none.
 */
export function markReminded(
  review: Review,
  pct: number,
  now: Date,
): Transition<'reminder-sent'> | Unchanged<'not-due'> {
  if (!dueReminders(review, now).some((r) => r.percent === pct)) return unchanged('not-due');
  const at = now.toISOString();
  const note = `step ${review.step + 1} (${stepText(review, review.step)}): ${pct}% of ${slaText(review, review.step)} passed; deadline ${review.deadline}`;
  return {
    kind: 'reminder-sent',
    next: advance(review, { remindersSent: [...(review.remindersSent ?? []), pct] }, at),
    entries: [{ at, what: 'reminder_sent', by: SWEEPER, note }],
  };
}

// ---------------------------------------------------------------------------------------------------------------

/** Starts `step` (the next one, or the same one again for a reminder cycle): a new SLA from now, the breach claim cleared. */
function startStep(
  review: Review,
  step: number,
  deadlineFor: DeadlineFor,
  now: Date,
  what: 'escalated' | 'reminded',
  note: (deadline: string) => string,
): Transition<'escalated' | 'reminded'> {
  const route = review.route[step];
  if (!route) throw new Error(`review ${review.id} has no approver step ${step + 1}`);
  const end = deadlineFor(now, route.sla);
  if (!(end.getTime() > now.getTime()))
    throw new RangeError(`the ${route.sla.text} SLA from ${now.toISOString()} must end later, not at ${String(end)}`);
  const at = now.toISOString();
  const deadline = end.toISOString();
  const reminders = reminderSchedule(route, now, deadlineFor);
  const { breach: _claim, reminders: _previous, ...rest } = review;
  const next: Review = advance(
    rest,
    {
      step,
      // Approvals belong to the step they were given at; a reminder cycle keeps them.
      approvals: step === review.step ? review.approvals : [],
      deadline,
      stepStartedAt: at,
      ...(reminders.length ? { reminders } : {}),
      remindersSent: [],
    },
    at,
  );
  return { kind: what, next, entries: [{ at, what, by: POLICY, note: note(deadline) }] };
}

function decidedByPolicy(
  review: Review,
  outcome: 'expired' | 'approved',
  reason: string,
  what: 'expired' | 'approved_on_timeout',
  now: Date,
): Transition<'expired' | 'approved'> {
  const at = now.toISOString();
  const decision: Decision = { outcome, by: [POLICY], at, reason, ...decisionSubject(review) };
  const { breach: _claim, ...rest } = review;
  return {
    kind: outcome,
    next: advance(rest, { status: outcome === 'approved' ? 'APPROVED' : 'EXPIRED', decision }, at),
    entries: [{ at, what, by: POLICY, note: reason }],
  };
}

/** The action on the table when the review ended: an approver's edit if there is one, else the proposal. */

const stepRoles = (review: Review, step: number) => review.route[step]?.roles.join(' or ') ?? '(no step)';

/** "manager: Mira Okafor, Daniel Reyes" */
function stepText(review: Review, step: number): string {
  const s = review.route[step];
  return s ? `${s.roles.join(' or ')}: ${s.approvers.map((a) => a.name).join(', ')}` : '(no step)';
}

function slaText(review: Review, step: number): string {
  const sla = review.route[step]?.sla;
  if (!sla) return 'its SLA';
  return sla.calendar ? `${sla.text} (business hours, ${sla.calendar})` : sla.text;
}
