import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { config } from '../config.ts';
import { logger } from '../adapters/logger.ts';
import { count, Metric, observability } from '../adapters/observability.ts';
import { now as clockNow } from '../adapters/clock.ts';
import { publish } from '../adapters/event-bus.ts';
import { linkKeyFrom, linkKeyMiddleware } from '../adapters/link-key.ts';
import { reviewsTable, StaleReview } from '../adapters/reviews-table.ts';
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
      const review = await table.get(id);
      // Read again: what the index listed may have changed since (a decision, a completed restart).
      const at = review && attentionAt(review);
      if (!review || !at || at > now.toISOString()) continue;
      if (review.status === 'PENDING') {
        if (await breach(review, now)) result.breached.push(id);
        else if (await remind(review, now, context)) result.reminded.push(id);
      } else if (isDecided(review.status) && (await redrive(review, now))) result.redriven.push(id);
    } catch (err) {
      // One review's trouble must not starve the others; it stays due and the next sweep tries again.
      failed.push(id);
      logger.error('sweep could not handle a due review', { reviewId: id, error: err as Error });
    }
  }
  // Every review failing is the sweep failing (e.g. the table or the bus is down): let it show as an error.
  if (failed.length && failed.length === ids.length) throw new Error(`sweep failed for all ${failed.length} due reviews`);
  if (ids.length) {
    logger.info('sweep done', { itemsRead, due: ids.length, breached: result.breached.length, reminded: result.reminded.length, redriven: result.redriven.length });
  }
  return result;
}

/** Claims, then publishes: a crash in between leaves the claim to expire and the next sweep publishes again. */
async function breach(review: Review, now: Date): Promise<boolean> {
  const claim = markBreached(review, now);
  if (typeof claim === 'string') return false;
  try {
    await reviewsTable(config().REVIEWS_TABLE).save(review, claim.next, claim.entries);
  } catch (err) {
    if (err instanceof StaleReview) return false; // decided, escalated or claimed by another sweep meanwhile
    throw err;
  }
  await publish(config().EVENT_BUS_NAME, [slaBreached(review, now)]);
  count(Metric.SlaBreaches);
  logger.info('SLA breached', { reviewId: review.id, step: review.step, deadline: review.deadline });
  return true;
}

/**
 * Claims the reminder due, then emails the current approvers again. Claiming first sends each reminder at most
 * once: a crash in between loses that reminder, never sends it twice; the deadline still escalates.
 */
async function remind(review: Review, now: Date, context: Context): Promise<boolean> {
  const percent = reminderDue(review, now);
  const claim = percent === undefined ? 'not-due' : markReminded(review, percent, now);
  if (typeof claim === 'string') return false;
  let saved: Review;
  try {
    saved = await reviewsTable(config().REVIEWS_TABLE).save(review, claim.next, claim.entries);
  } catch (err) {
    if (err instanceof StaleReview) return false; // decided, escalated or reminded by another sweep meanwhile
    throw err;
  }
  await emailCurrentApprovers(saved, linkKeyFrom(context), now, `Reminder: ${percent}% of the time to decide has passed (due ${review.deadline})`);
  logger.info('approvers reminded', { reviewId: review.id, step: review.step, percent, deadline: review.deadline });
  return true;
}

async function redrive(review: Review, now: Date): Promise<boolean> {
  const { next, entry } = redriven(review, now);
  try {
    await reviewsTable(config().REVIEWS_TABLE).save(review, next, [entry]);
  } catch (err) {
    if (err instanceof StaleReview) return false; // another sweep, or the restart itself, got there first
    throw err;
  }
  const executionArn = await startResume(config().RESUME_STATE_MACHINE_ARN, review.id);
  count(Metric.RestartFailures);
  logger.warn('re-drove a decided review whose restart had not completed', { reviewId: review.id, redrives: next.redrives, executionArn });
  return true;
}

export const handler = middy(sweep).use(observability()).use(linkKeyMiddleware());
