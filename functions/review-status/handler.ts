import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2WithIAMAuthorizer } from 'aws-lambda';
import { logger } from '../adapters/logger.ts';
import { observability } from '../adapters/observability.ts';
import { deps } from '../app/deps.ts';
import { ReviewNotFound } from '../domain/errors.ts';
import { reviewView } from '../http/review-view.ts';
import { httpErrors } from '../http/errors.ts';
import { json, reviewIdOf, type HttpResult } from '../http/responses.ts';

/**
 * GET /reviews/{id}/status, IAM-authorized: a review's status and full history for the agent (or any
 * service allowed by its IAM policy), which holds no decision link. Read-only, like the page.
 */
export async function reviewStatus(event: APIGatewayProxyEventV2WithIAMAuthorizer): Promise<HttpResult> {
  const reviewId = reviewIdOf(event);
  const review = await deps().store.get(reviewId);
  if (!review) throw new ReviewNotFound(reviewId);
  logger.info('status read', { reviewId, caller: event.requestContext.authorizer.iam.userArn });
  return json(200, reviewView(review));
}

export const handler = middy<APIGatewayProxyEventV2WithIAMAuthorizer, HttpResult>(reviewStatus)
  .use(observability())
  .use(httpHeaderNormalizer())
  .use(httpErrors<APIGatewayProxyEventV2WithIAMAuthorizer>());
