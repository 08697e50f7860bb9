import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { observability } from '../adapters/observability.ts';
import { linkKeyFrom, linkKeyMiddleware } from '../adapters/link-key.ts';
import { wire } from '../app/deps.ts';
import { grantsTable, reviewsTable } from '../adapters/reviews-table.ts';
import { systemClock } from '../adapters/clock.ts';
import { directory, policy } from '../adapters/policy-files.ts';
import { approverZone } from '../app/emails.ts';
import { grantsOf } from '../app/standing.ts';
import { ReviewNotFound, TokenInvalid } from '../domain/errors.ts';
import { verifyDecisionToken } from '../domain/tokens.ts';
import { httpErrors } from '../http/errors.ts';
import { html, json, securityHeaders, wantsJson, reviewIdOf, type HttpResult } from '../http/responses.ts';
import { blockedFor, doneOf } from '../http/page-state.ts';
import { reviewPage } from '../http/review-page.ts';
import { reviewView } from '../http/review-view.ts';

const deps = wire({ store: reviewsTable, grants: grantsTable, clock: systemClock, policy, directory });

/**
 * GET /reviews/{id}?t=<token>: the decision page (the link is for people: HTML unless JSON is asked for), or
 * with `Accept: application/json` the review's status and history. Changes nothing.
 */
export async function showReview(event: APIGatewayProxyEventV2, context: Context): Promise<HttpResult> {
  const reviewId = reviewIdOf(event);
  const token =
    event.queryStringParameters?.t ?? (event.headers.authorization?.replace(/^Bearer\s+/i, '') || undefined);
  if (!token) throw new TokenInvalid('This page needs the link from your email (its token is missing).');
  const claims = await verifyDecisionToken(linkKeyFrom(context), token, { reviewId }, deps().clock.now());
  const review = await deps().store.get(reviewId);
  if (!review) throw new ReviewNotFound(reviewId);
  if (wantsJson(event)) return json(200, reviewView(review));

  const viewer = review.route.flatMap((s) => s.approvers).find((a) => a.id === claims.approverId);
  const done = doneOf(event.queryStringParameters?.done);
  const blocked = blockedFor(review, claims);
  return html(
    200,
    reviewPage({
      review,
      token,
      ...(viewer ? { viewer: { id: viewer.id, name: viewer.name } } : {}),
      ...(blocked ? { blocked } : {}),
      ...(done ? { done } : {}),
      grants: await grantsOf(deps(), review),
      zone: approverZone(deps(), review, claims.approverId),
      now: deps().clock.now(),
    }),
  );
}

export const handler = middy<APIGatewayProxyEventV2, HttpResult>(showReview)
  .use(observability())
  .use(httpHeaderNormalizer())
  .use(linkKeyMiddleware())
  .use(securityHeaders())
  .use(httpErrors({ forPeople: true }));
