import middy from '@middy/core';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { config } from '../config.ts';
import { logger } from '../adapters/logger.ts';
import { count, Metric, observability, type MetricName } from '../adapters/observability.ts';
import { now as clockNow } from '../adapters/clock.ts';
import { publish } from '../adapters/event-bus.ts';
import { linkKeyFrom, linkKeyMiddleware } from '../adapters/link-key.ts';
import { policy } from '../adapters/policy-files.ts';
import { reviewsTable } from '../adapters/reviews-table.ts';
import { startResume } from '../adapters/workflows.ts';
import { escalate as escalateReview, type EscalateResult } from '../domain/escalation.ts';
import { deadlineFor } from '../domain/calendar.ts';
import type { Review } from '../domain/review.ts';
import { reviewEscalated } from '../domain/review-events.ts';
import { emailCurrentApprovers, emailWatchers, watchersOf } from '../app/notify.ts';

type Breach = EventBridgeEvent<'Review SLA Breached', { reviewId: string; step: number }>;

/**
 * On "Review SLA Breached" (an EventBridge rule): the next approver step with a new deadline and new
 * links, or at the end of the chain the tier's onTimeout (expire, approve a soft review, or remind a
 * review that is blocked until reviewed). The change is one conditional write; a retry of the same event
 * finds its own history entry (ref = event id) and only re-sends what followed it.
 */
export async function escalate(
  event: Breach,
  context: Context,
): Promise<{ result: 'stale' | Exclude<EscalateResult, 'stale'>['kind'] }> {
  const { reviewId, step } = event.detail;
  const table = reviewsTable(config().REVIEWS_TABLE);
  const now = clockNow();
  type Answer = { result: 'stale' | Exclude<EscalateResult, 'stale'>['kind'] };
  let before: Review | undefined;
  let retried: Review | undefined;
  const {
    result,
    review: saved,
    saved: changed,
  } = await table.mutate<Answer>(reviewId, (review) => {
    if (!review) {
      logger.warn('breach for a review that does not exist', { reviewId });
      return { done: { result: 'stale' } };
    }
    if (review.history.some((h) => h.ref === event.id)) {
      retried = review;
      return { done: { result: 'stale' } };
    }
    const outcome = escalateReview(review, step, (start, sla) => deadlineFor(start, sla, policy()), now);
    if (outcome === 'stale') {
      logger.info('breach no longer applies', { reviewId, step, status: review.status, currentStep: review.step });
      return { done: { result: 'stale' } };
    }
    before = review;
    const entries = outcome.entries.map((e, i) => (i === 0 ? { ...e, ref: event.id } : e));
    return { next: outcome.next, entries, result: { result: outcome.kind } };
  });
  if (retried) {
    // This event's own change is stored already (a retried delivery): finish what follows it,
    // unless the review has moved on since (then the later change did its own follow-up).
    const mine = retried.history.findLast((h) => h.ref === event.id)!;
    const kind = KIND_OF[mine.what];
    if (kind && retried.history.at(-1) === mine)
      await follow(
        { ...retried, step: kind === 'escalated' ? retried.step - 1 : retried.step },
        retried,
        kind,
        now,
        context,
      );
    return result;
  }
  if (!changed || result.result === 'stale') return result;
  // Counted once stored: a retried delivery only finishes what follows (the branch above).
  const metric = METRIC_OF[result.result];
  if (metric) count(metric);
  await follow(before!, saved!, result.result, now, context);
  logger.info('review escalated', { reviewId, kind: result.result, fromStep: before!.step, toStep: saved!.step });
  return result;
}

const KIND_OF: Partial<Record<Review['history'][number]['what'], Exclude<EscalateResult, 'stale'>['kind']>> = {
  escalated: 'escalated',
  reminded: 'reminded',
  expired: 'expired',
  approved_on_timeout: 'approved',
};

// A critical review reminded at the end of its route is no new outcome: it is not counted.
const METRIC_OF: Partial<Record<Exclude<EscalateResult, 'stale'>['kind'], MetricName>> = {
  escalated: Metric.Escalations,
  expired: Metric.Expiries,
  approved: Metric.ApprovedOnTimeout,
};

/** What follows a stored escalation: new links for the new (or reminded) approvers, the notify list, the events, or the restart. */
async function follow(
  before: Review,
  after: Review,
  kind: Exclude<EscalateResult, 'stale'>['kind'],
  now: Date,
  context: Context,
): Promise<void> {
  if (kind === 'escalated' || kind === 'reminded') {
    const intro =
      kind === 'escalated'
        ? 'A review has been escalated to you: the previous approvers did not decide in time'
        : 'Reminder: a review that only a person can close is still waiting for your decision';
    await emailCurrentApprovers(after, linkKeyFrom(context), now, intro);
    // Block until reviewed: every escalation tells the whole notify list too.
    if (after.pattern === 'block_until_reviewed' && after.notify.length)
      await emailWatchers(after, watchersOf(after), `A ${after.tier}-tier review is still waiting and was ${kind}`);
    const reason = after.history.at(-1)?.note ?? kind;
    await publish(config().EVENT_BUS_NAME, [reviewEscalated(before, after, kind, reason, now)]);
    return;
  }
  // Expired, or approved on timeout: decided, so the same restart as a person's decision finishes it.
  await startResume(config().RESUME_STATE_MACHINE_ARN, after.id);
}

export const handler = middy(escalate).use(observability()).use(linkKeyMiddleware());
