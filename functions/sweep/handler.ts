import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { config } from '../config.ts';
import { logger } from '../adapters/logger.ts';
import { count, Metric, observability } from '../adapters/observability.ts';
import { now as clockNow } from '../adapters/clock.ts';
import { publish } from '../adapters/event-bus.ts';
import { linkKeyFrom, linkKeyMiddleware } from '../adapters/link-key.ts';
import { reviewsTable } from '../adapters/reviews-table.ts';
import { startResume } from '../adapters/workflows.ts';
import { markBreached, markReminded, reminderDue } from '../domain/escalation.ts';
import { attentionAt, isDecided, redriven, type Review } from '../domain/review.ts';
import { slaBreached } from '../domain/review-events.ts';
import { emailCurrentApprovers } from '../app/notify.ts';

export interface SweepResult {
  /** Items the due-index queries returned: what this sweep cost, whatever the backlog. */
  itemsRead: number;
  breached: string[];
  /** Pending reviews whose approvers were reminded before the deadline (policy `remindAt`). */
  reminded: string[];
  redriven: string[];
}

/**
 * Scheduled: reads only what is due from the sharded due index (a Query per shard, never a Scan).
 * A pending review past its deadline gets "Review SLA Breached" once per step (claimed with a
 * conditional write, so overlapping sweeps publish once); the escalate rule takes it from there. One
 * whose reminder is due (the policy's remindAt) has its approvers emailed again, with new links, once
 * per reminder. A decided review whose restart did not complete is restarted.
 */
export async function sweep(_event: unknown, context: Context): Promise<SweepResult> {
  const table = reviewsTable(config().REVIEWS_TABLE);
  const now = clockNow();
  const { ids, itemsRead } = await table.due(now);
  const result: SweepResult = { itemsRead, breached: [], reminded: [], redriven: [] };
  const failed: string[] = [];
  for (const id of ids) {
    try {
      const kind = await handleDue(id, now, context);
      if (kind) result[kind].push(id);
    } catch (err) {
      // One review's trouble must not starve the others; it stays due and the next sweep tries again.
      failed.push(id);
      logger.error('sweep could not handle a due review', { reviewId: id, error: err as Error });
    }
  }
  // Every review failing is the sweep failing (e.g. the table or the bus is down): let it show as an error.
  if (failed.length && failed.length === ids.length)
    throw new Error(`sweep failed for all ${failed.length} due reviews`);
  if (ids.length) {
    logger.info('sweep done', {
      itemsRead,
      due: ids.length,
      breached: result.breached.length,
      reminded: result.reminded.length,
      redriven: result.redriven.length,
    });
  }
  return result;
}

type Due = { kind: 'breached' | 'reminded' | 'redriven'; before: Review; percent?: number } | { kind: undefined };

/**
 * What a due review needs, claimed in one conditional write before anything is sent: a crash after the
 * claim loses that reminder or leaves the breach claim to expire (the next sweep publishes again), and
 * never sends twice. A lost race is decided again on the review as it is now: another sweep's claim, a
 * decision or a completed restart leaves nothing to do.
 */
async function handleDue(
  id: string,
  now: Date,
  context: Context,
): Promise<'breached' | 'reminded' | 'redriven' | undefined> {
  const { result: due, review: saved } = await reviewsTable(config().REVIEWS_TABLE).mutate<Due>(id, (review) => {
    // Read again: what the index listed may have changed since (a decision, a completed restart).
    const at = review && attentionAt(review);
    if (!review || !at || at > now.toISOString()) return { done: { kind: undefined } };
    if (review.status === 'PENDING') {
      const breach = markBreached(review, now);
      if (typeof breach !== 'string')
        return { next: breach.next, entries: breach.entries, result: { kind: 'breached', before: review } };
      const percent = reminderDue(review, now);
      const reminder = percent === undefined ? 'not-due' : markReminded(review, percent, now);
      if (typeof reminder !== 'string')
        return {
          next: reminder.next,
          entries: reminder.entries,
          result: { kind: 'reminded', before: review, percent: percent! },
        };
      return { done: { kind: undefined } };
    }
    if (!isDecided(review.status)) return { done: { kind: undefined } };
    const { next, entry } = redriven(review, now);
    return { next, entries: [entry], result: { kind: 'redriven', before: review } };
  });
  if (!due.kind) return undefined;
  const { before } = due;
  if (due.kind === 'breached') {
    await publish(config().EVENT_BUS_NAME, [slaBreached(before, now)]);
    count(Metric.SlaBreaches);
    logger.info('SLA breached', { reviewId: id, step: before.step, deadline: before.deadline });
  } else if (due.kind === 'reminded') {
    await emailCurrentApprovers(
      saved!,
      linkKeyFrom(context),
      now,
      `Reminder: ${due.percent}% of the time to decide has passed (due ${before.deadline})`,
    );
    logger.info('approvers reminded', {
      reviewId: id,
      step: before.step,
      percent: due.percent,
      deadline: before.deadline,
    });
  } else {
    const executionArn = await startResume(config().RESUME_STATE_MACHINE_ARN, id);
    count(Metric.RestartFailures);
    logger.warn('re-drove a decided review whose restart had not completed', {
      reviewId: id,
      redrives: saved!.redrives,
      executionArn,
    });
  }
  return due.kind;
}

export const handler = middy(sweep).use(observability()).use(linkKeyMiddleware());
