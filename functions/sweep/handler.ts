import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { config } from '../config.ts';
import { logger } from '../adapters/logger.ts';
import { now as clockNow } from '../adapters/clock.ts';
import { reviewsTable, StaleReview } from '../adapters/reviews-table.ts';
import { startResume } from '../adapters/workflows.ts';
import { isDecided, redriven, type Review } from '../domain/review.ts';

export interface SweepResult {
  /** Items the due-index queries returned: what this sweep cost, whatever the backlog. */
  itemsRead: number;
  redriven: string[];
}

/**
 * Scheduled: reads only what is due from the sharded due index. A decided review whose restart did not
 * complete is restarted (claimed first with a conditional write, so overlapping sweeps restart it once).
 */
export async function sweep(): Promise<SweepResult> {
  const table = reviewsTable(config().REVIEWS_TABLE);
  const now = clockNow();
  const { ids, itemsRead } = await table.due(now);
  const result: SweepResult = { itemsRead, redriven: [] };
  for (const id of ids) {
    const review = await table.get(id);
    if (review && isDecided(review.status) && (await redrive(review, now))) result.redriven.push(id);
  }
  if (ids.length) logger.info('sweep done', { ...result, due: ids.length });
  return result;
}

async function redrive(review: Review, now: Date): Promise<boolean> {
  const { next, entry } = redriven(review, now);
  try {
    await reviewsTable(config().REVIEWS_TABLE).save(review, next, [entry]);
  } catch (err) {
    if (err instanceof StaleReview) return false; // another sweep, or the restart itself, got there first
    throw err;
  }
  const executionArn = await startResume(config().RESUME_STATE_MACHINE_ARN!, review.id);
  logger.warn('re-drove a decided review whose restart had not completed', { reviewId: review.id, redrives: next.redrives, executionArn });
  return true;
}

export const handler = middy(sweep).use(injectLambdaContext(logger));
