import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { observability } from '../adapters/observability.ts';
import { linkKeyFrom, linkKeyMiddleware } from '../adapters/link-key.ts';
import { deps } from '../app/deps.ts';
import { approvalsCounted } from '../domain/review.ts';
import { isRequester } from '../domain/people.ts';
import { ReviewNotFound, TokenInvalid } from '../domain/errors.ts';
import { verifyDecisionToken, type DecisionClaims } from '../domain/tokens.ts';
import type { Review } from '../domain/review.ts';
import { httpErrors } from '../http/errors.ts';
import { html, json, securityHeaders, wantsHtml, type HttpResult } from '../http/responses.ts';
import { reviewPage, type PageState } from '../http/review-page.ts';
import { reviewView } from '../http/review-view.ts';

const DONE: Record<string, NonNullable<PageState['notice']>> = {
  approved: { tone: 'ok', message: 'Thank you: the action is approved. The agent has been told.' },
  rejected: { tone: 'ok', message: 'Thank you: the action is rejected. The agent has been told.' },
  recorded: {
    tone: 'ok',
    message: 'Thank you: your approval is recorded. More approvals are needed before the action can run.',
  },
  already: { tone: 'info', message: 'This review was already decided; nothing was changed.' },
  used: { tone: 'info', message: 'You already used this link; nothing was changed.' },
};

/** Why the link's holder cannot decide now, if they cannot; looked up, never changed (this is a GET). */
function blockedFor(review: Review, claims: DecisionClaims): PageState['blocked'] {
  if (review.status !== 'PENDING') return { tone: 'info', message: 'This review is closed.' };
  const person = review.route.flatMap((s) => s.approvers).find((a) => a.id === claims.approverId) ?? {
    id: claims.approverId,
  };
  if (isRequester(person, review.requestedBy))
    return { tone: 'warn', message: 'You requested this action, so someone else must decide it.' };
  if (review.usedLinks?.includes(claims.nonce)) return { tone: 'info', message: 'You already used this link.' };
  const current = review.route[review.step]?.approvers ?? [];
  if (!current.some((a) => a.id === claims.approverId)) {
    return {
      tone: 'warn',
      message: `This review has moved on to ${current.map((a) => a.name).join(', ') || 'other approvers'}; your link can no longer decide it.`,
    };
  }
  if (approvalsCounted(review).some((a) => a.approverId === claims.approverId)) {
    return {
      tone: 'info',
      message: `You approved this; waiting for ${review.quorum - approvalsCounted(review).length} more approval(s).`,
    };
  }
  return undefined;
}

/** GET /reviews/{id}?t=<token>: the decision page (HTML), or the review's status and history (JSON). Changes nothing. */
export async function showReview(event: APIGatewayProxyEventV2, context: Context): Promise<HttpResult> {
  const reviewId = event.pathParameters?.id ?? '';
  const token =
    event.queryStringParameters?.t ?? (event.headers.authorization?.replace(/^Bearer\s+/i, '') || undefined);
  if (!token) throw new TokenInvalid('This page needs the link from your email (its token is missing).');
  const claims = await verifyDecisionToken(linkKeyFrom(context), token, { reviewId }, deps().clock.now());
  const review = await deps().store.get(reviewId);
  if (!review) throw new ReviewNotFound(reviewId);
  if (!wantsHtml(event)) return json(200, reviewView(review));

  const viewer = review.route.flatMap((s) => s.approvers).find((a) => a.id === claims.approverId);
  const done = event.queryStringParameters?.done;
  const blocked = blockedFor(review, claims);
  return html(
    200,
    reviewPage({
      review,
      token,
      ...(viewer ? { viewer: { id: viewer.id, name: viewer.name } } : {}),
      ...(blocked ? { blocked } : {}),
      ...(done && DONE[done] ? { notice: DONE[done] } : {}),
    }),
  );
}

export const handler = middy<APIGatewayProxyEventV2, HttpResult>(showReview)
  .use(observability())
  .use(httpHeaderNormalizer())
  .use(linkKeyMiddleware())
  .use(securityHeaders())
  .use(httpErrors());
