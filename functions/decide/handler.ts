import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import httpUrlencodeBodyParser from '@middy/http-urlencode-body-parser';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { linkKeyFrom, linkKeyMiddleware } from '../adapters/link-key.ts';
import { observability } from '../adapters/observability.ts';
import { decideReview } from '../app/decide.ts';
import { wire } from '../app/deps.ts';
import { grantsTable, reviewsTable } from '../adapters/reviews-table.ts';
import { systemClock } from '../adapters/clock.ts';
import { policy } from '../adapters/policy-files.ts';
import { resumeWorkflows } from '../adapters/workflows.ts';
import { type DomainError, TokenUsed } from '../domain/errors.ts';
import { verifyDecisionToken } from '../domain/tokens.ts';
import { parseDecisionRequest, typedEdits } from '../http/decision-request.ts';
import { httpErrors } from '../http/errors.ts';
import { type HttpResult, json, securityHeaders, seeOther, wantsHtml, reviewIdOf } from '../http/responses.ts';
import { grantView, reviewView } from '../http/review-view.ts';

const deps = wire({ store: reviewsTable, grants: grantsTable, clock: systemClock, policy, workflows: resumeWorkflows });

const pageOf = (reviewId: string, token: string, done: string) =>
  `/reviews/${encodeURIComponent(reviewId)}?t=${encodeURIComponent(token)}&done=${done}`;

/** POST /reviews/{id}/decision with the link's token: approve (with edits) or reject. A page's form is answered with a 303 to the page. */
export async function decide(event: APIGatewayProxyEventV2, context: Context): Promise<HttpResult> {
  const request = parseDecisionRequest(event);
  const reviewId = reviewIdOf(event);
  const claims = await verifyDecisionToken(linkKeyFrom(context), request.token, { reviewId }, deps().clock.now());
  const fromForm = (event.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
  const { edits } = request;
  const { review, grant } = await decideReview(deps(), {
    reviewId,
    approverId: claims.approverId,
    nonce: claims.nonce,
    step: claims.step,
    decision: request.decision,
    ...(request.reason !== undefined ? { reason: request.reason } : {}),
    ...(edits ? { edits: (current) => typedEdits(current, edits, fromForm) } : {}),
    ...(request.standing ? { standing: request.standing } : {}),
  });
  if (!wantsHtml(event)) return json(200, { ...reviewView(review), ...(grant ? { grant: grantView(grant) } : {}) });
  // A repeat of a request whose answer was lost lands on the same page as the first: the outcome it had.
  const done = review.status === 'PENDING' ? 'recorded' : (review.decision?.outcome ?? review.status.toLowerCase());
  return seeOther(pageOf(reviewId, request.token, done));
}

/** A double click or a second approver too late: a person is shown what stands, not an error page. */
function alreadyDone(err: DomainError, event: APIGatewayProxyEventV2): string | undefined {
  if (err.code !== 'AlreadyDecided' && err.code !== 'TokenUsed') return undefined;
  const body = event.body as unknown as Record<string, unknown> | null;
  const token = body && typeof body === 'object' && typeof body.token === 'string' ? body.token : undefined;
  return token
    ? pageOf(event.pathParameters?.id ?? '', token, err instanceof TokenUsed ? 'used' : 'already')
    : undefined;
}

export const handler = middy<APIGatewayProxyEventV2, HttpResult>(decide)
  .use(observability())
  .use(httpHeaderNormalizer())
  .use(httpJsonBodyParser({ disableContentTypeError: true }))
  .use(httpUrlencodeBodyParser({ disableContentTypeError: true }))
  .use(linkKeyMiddleware())
  .use(securityHeaders())
  .use(httpErrors({ redirect: alreadyDone }));
