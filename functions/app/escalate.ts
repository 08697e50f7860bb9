// What an SLA breach does to a review: the next approver step, or at the end of the route the tier's onTimeout.
import { logger } from '../adapters/logger.ts';
import { count, Metric, type MetricName } from '../adapters/observability.ts';
import { deadlineFor } from '../domain/calendar.ts';
import { type EscalationKind, escalate } from '../domain/escalation.ts';
import { reviewEscalated } from '../domain/review-events.ts';
import { type HistoryEntry, type Review, unchanged } from '../domain/review.ts';
import type { Deps } from './deps.ts';
import { mutate } from './mutate.ts';
import { queueApproverEmails, queueWatcherNotices } from './notify.ts';

export interface Breach {
  /** The breach event's id: the escalation's history entry carries it, so a redelivery finds its own change. */
  eventId: string;
  reviewId: string;
  step: number;
}

const KIND_OF: Partial<Record<HistoryEntry['what'], EscalationKind>> = {
  escalated: 'escalated',
  reminded: 'reminded',
  expired: 'expired',
  approved_on_timeout: 'approved',
};

// A critical review reminded at the end of its route is no new outcome: it is not counted.
const METRIC_OF: Partial<Record<EscalationKind, MetricName>> = {
  escalated: Metric.Escalations,
  expired: Metric.Expiries,
  approved: Metric.ApprovedOnTimeout,
};

type EscalationPorts = Pick<Deps, 'store' | 'clock' | 'policy' | 'bus' | 'workflows' | 'notifications' | 'directory'>;

/**
 * The change is one conditional write; a redelivery of the same event finds its own history entry
 * (ref = event id) and only re-sends what followed it, unless the review has moved on since.
 */
export async function escalateReview(
  deps: EscalationPorts,
  breach: Breach,
): Promise<{ result: EscalationKind | 'stale' }> {
  const now = deps.clock.now();
  const { step, before, review } = await mutate(deps.store, breach.reviewId, (current) => {
    if (!current) {
      logger.warn('breach for a review that does not exist', { reviewId: breach.reviewId });
      return unchanged('stale');
    }
    if (current.history.some((h) => h.ref === breach.eventId)) return unchanged('redelivered');
    const change = escalate(current, breach.step, (start, sla) => deadlineFor(start, sla, deps.policy), now);
    if (change.kind === 'unchanged') {
      logger.info('breach no longer applies', { reviewId: current.id, step: breach.step, status: current.status });
      return change;
    }
    return { ...change, entries: change.entries.map((e, i) => (i === 0 ? { ...e, ref: breach.eventId } : e)) };
  });
  if (!review || !before) return { result: 'stale' };
  if (step.kind === 'unchanged') {
    if (step.reason !== 'redelivered') return { result: 'stale' };
    const mine = review.history.findLast((h) => h.ref === breach.eventId);
    const kind = mine && KIND_OF[mine.what];
    if (!kind || review.history.at(-1) !== mine) return { result: 'stale' };
    const previous = { ...review, step: kind === 'escalated' ? review.step - 1 : review.step };
    await follow(deps, previous, review, kind);
    return { result: 'stale' };
  }
  // Counted once stored: a redelivery only finishes what follows (above).
  const metric = METRIC_OF[step.kind];
  if (metric) count(metric);
  await follow(deps, before, review, step.kind);
  logger.info('review escalated', { reviewId: review.id, kind: step.kind, fromStep: before.step, toStep: review.step });
  return { result: step.kind };
}

/** What follows a stored escalation: new links for the new (or reminded) approvers, the watchers, the event, or the restart. */
async function follow(deps: EscalationPorts, before: Review, after: Review, kind: EscalationKind) {
  if (kind === 'escalated' || kind === 'reminded') {
    const intro =
      kind === 'escalated'
        ? 'A review has been escalated to you: the previous approvers did not decide in time'
        : 'Reminder: a review that only a person can close is still waiting for your decision';
    await queueApproverEmails(deps, after, intro);
    // Block until reviewed: every escalation tells the watchers too.
    if (after.pattern === 'block_until_reviewed' && after.notify.length)
      await queueWatcherNotices(deps, after, `A ${after.tier}-tier review is still waiting and was ${kind}`);
    const reason = after.history.at(-1)?.note ?? kind;
    await deps.bus.publish([reviewEscalated(before, after, kind, reason, deps.clock.now())]);
    return;
  }
  // Expired, or approved on timeout: decided, so the same restart as a person's decision finishes it.
  // Unlike a person's decision, a failed start fails the event so its retry starts it again.
  await deps.workflows.restart(after.id);
}
