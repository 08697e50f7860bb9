import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEventV2WithIAMAuthorizer } from 'aws-lambda';
import * as z from 'zod';
import { describeIssues } from '../../events/index.ts';
import { config } from '../config.ts';
import { logger } from '../adapters/logger.ts';
import { count, Metric, observability } from '../adapters/observability.ts';
import { now as clockNow } from '../adapters/clock.ts';
import { reviewsTable } from '../adapters/reviews-table.ts';
import { startResume } from '../adapters/workflows.ts';
import { cancel as cancelReview } from '../domain/escalation.ts';
import { ReviewNotFound } from '../domain/errors.ts';
import { reviewView } from '../http/review-view.ts';
import { BadRequest, httpErrors, json, type HttpResult } from '../http/responses.ts';

const CancelRequest = z.object({
  reason: z.string({ error: 'reason is required: say why the proposal is withdrawn' }),
});

/**
 * POST /reviews/{id}/cancel, IAM-authorized (the proposing agent's role or an admin's): withdraws a pending
 * review. Its links stop working, and resume publishes "Approval Cancelled" and fails a waiting caller.
 */
export async function cancel(event: APIGatewayProxyEventV2WithIAMAuthorizer): Promise<HttpResult> {
  const reviewId = event.pathParameters?.id ?? '';
  const parsed = CancelRequest.safeParse(event.body && typeof event.body === 'object' ? event.body : {});
  if (!parsed.success) throw new BadRequest(describeIssues(parsed.error).join('; '));
  const caller = event.requestContext.authorizer.iam.userArn;
  const { review: saved } = await reviewsTable(config().REVIEWS_TABLE).mutate(reviewId, (review) => {
    if (!review) throw new ReviewNotFound(reviewId);
    const { next, entries } = cancelReview(review, { id: caller, kind: 'system' }, parsed.data.reason, clockNow());
    return { next, entries, result: undefined };
  });
  count(Metric.Cancellations);
  logger.info('review cancelled', { reviewId, caller });
  try {
    await startResume(config().RESUME_STATE_MACHINE_ARN, reviewId);
  } catch (err) {
    logger.error('resume could not be started; the sweeper will re-drive it', { reviewId, error: err as Error });
  }
  return json(200, reviewView(saved!));
}

export const handler = middy<APIGatewayProxyEventV2WithIAMAuthorizer, HttpResult>(cancel)
  .use(observability())
  .use(httpHeaderNormalizer())
  .use(httpJsonBodyParser())
  .use(httpErrors<APIGatewayProxyEventV2WithIAMAuthorizer>());
