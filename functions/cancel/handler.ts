import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEventV2WithIAMAuthorizer } from 'aws-lambda';
import * as z from 'zod';
import { describeIssues } from '../../events/index.ts';
import { observability } from '../adapters/observability.ts';
import { cancelReview } from '../app/cancel.ts';
import { wire } from '../app/deps.ts';
import { reviewsTable } from '../adapters/reviews-table.ts';
import { systemClock } from '../adapters/clock.ts';
import { resumeWorkflows } from '../adapters/workflows.ts';
import { BadRequest, httpErrors } from '../http/errors.ts';
import { type HttpResult, json, reviewIdOf } from '../http/responses.ts';
import { reviewView } from '../http/review-view.ts';

const deps = wire({ store: reviewsTable, clock: systemClock, workflows: resumeWorkflows });

const CancelRequest = z.object({
  reason: z.string({ error: 'reason is required: say why the proposal is withdrawn' }),
});

/**
 * POST /reviews/{id}/cancel, IAM-authorized (the proposing agent's role or an admin's): withdraws a pending
 * review. Its links stop working, and the restart publishes "Approval Cancelled" and fails a waiting caller.
 */
export async function cancel(event: APIGatewayProxyEventV2WithIAMAuthorizer): Promise<HttpResult> {
  const parsed = CancelRequest.safeParse(event.body && typeof event.body === 'object' ? event.body : {});
  if (!parsed.success) throw new BadRequest(describeIssues(parsed.error).join('; '));
  const by = { id: event.requestContext.authorizer.iam.userArn, kind: 'system' as const };
  const review = await cancelReview(deps(), {
    reviewId: reviewIdOf(event),
    by,
    reason: parsed.data.reason,
  });
  return json(200, reviewView(review));
}

export const handler = middy<APIGatewayProxyEventV2WithIAMAuthorizer, HttpResult>(cancel)
  .use(observability())
  .use(httpHeaderNormalizer())
  .use(httpJsonBodyParser())
  .use(httpErrors<APIGatewayProxyEventV2WithIAMAuthorizer>());
