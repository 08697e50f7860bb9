import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2WithIAMAuthorizer } from 'aws-lambda';
import { logger } from '../adapters/logger.ts';
import { observability } from '../adapters/observability.ts';
import { wire } from '../app/deps.ts';
import { reviewsTable } from '../adapters/reviews-table.ts';
import { ReviewNotFound } from '../domain/errors.ts';
import { reviewIdOfProposal } from '../domain/ids.ts';
import { findStatus } from '../app/status.ts';
import { httpErrors } from '../http/errors.ts';
import { type HttpResult, json, reviewIdOf } from '../http/responses.ts';
import { invalidView, reviewView } from '../http/review-view.ts';

const deps = wire({ store: reviewsTable });

/**
 * GET /reviews/{id}/status, or GET /agents/{agentId}/proposals/{proposalId}/status (no id to compute),
 * IAM-authorized: a review's outcome, the action that may run and its full history, for the agent (or any
 * service allowed by its IAM policy), which holds no decision link. Read-only, like the page.
 */
export async function reviewStatus(event: APIGatewayProxyEventV2WithIAMAuthorizer): Promise<HttpResult> {
  const { agentId, proposalId } = event.pathParameters ?? {};
  const byProposal = agentId !== undefined || proposalId !== undefined;
  const reviewId = byProposal ? reviewIdOfProposal(agentId, proposalId) : reviewIdOf(event);
  if (!reviewId) throw new ReviewNotFound(`for agent ${agentId ?? ''} and proposal ${proposalId ?? ''}`);
  const found = await findStatus(deps(), reviewId);
  if (!found) throw new ReviewNotFound(reviewId);
  logger.info('status read', { reviewId, caller: event.requestContext.authorizer.iam.userArn });
  // Never opened because it was invalid: say so, with its problems, rather than "not found".
  return json(200, 'review' in found ? reviewView(found.review) : invalidView(found.invalid));
}

export const handler = middy<APIGatewayProxyEventV2WithIAMAuthorizer, HttpResult>(reviewStatus)
  .use(observability())
  .use(httpHeaderNormalizer())
  .use(httpErrors<APIGatewayProxyEventV2WithIAMAuthorizer>());
