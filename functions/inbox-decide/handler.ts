import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import httpUrlencodeBodyParser from '@middy/http-urlencode-body-parser';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { linkKeyFrom, linkKeyMiddleware } from '../adapters/link-key.ts';
import { observability } from '../adapters/observability.ts';
import { wire } from '../app/deps.ts';
import { grantsTable, reviewsTable } from '../adapters/reviews-table.ts';
import { systemClock } from '../adapters/clock.ts';
import { policy } from '../adapters/policy-files.ts';
import { resumeWorkflows } from '../adapters/workflows.ts';
import { decideFromInbox } from '../app/inbox.ts';
import { verifyInboxToken } from '../domain/tokens.ts';
import { httpErrors } from '../http/errors.ts';
import { inboxResultsPage } from '../http/inbox-page.ts';
import { parseInboxPost } from '../http/inbox-request.ts';
import { revokeGrant } from '../app/standing.ts';
import { messagePage } from '../http/review-page.ts';
import { grantView, reviewView } from '../http/review-view.ts';
import { html, json, securityHeaders, wantsHtml, type HttpResult } from '../http/responses.ts';

const deps = wire({ store: reviewsTable, grants: grantsTable, clock: systemClock, policy, workflows: resumeWorkflows });

/**
 * POST /inbox with the inbox link's token (in the form or the JSON, never a cookie, so no other site can post for the
 * approver): approve or reject the selected reviews, each its own decision; one result per review, 200.
 */
export async function decideInbox(event: APIGatewayProxyEventV2, context: Context): Promise<HttpResult> {
  const post = parseInboxPost(event);
  const claims = await verifyInboxToken(linkKeyFrom(context), post.token, deps().clock.now());
  if (post.kind === 'revoke') {
    // Only a grant the inbox's person made: anyone else's is refused (403), nothing written.
    const grant = await revokeGrant(deps(), {
      grantId: post.revoke,
      by: claims.approverId,
      granter: claims.approverId,
      reason: post.reason,
    });
    if (!wantsHtml(event)) return json(200, grantView(grant));
    return html(
      200,
      messagePage('Standing approval revoked', 'It approves nothing more. Your inbox lists it as revoked.', 'info', {
        href: `/inbox?t=${encodeURIComponent(post.token)}`,
        text: 'Back to your inbox',
      }),
    );
  }
  const results = await decideFromInbox(deps(), {
    claims,
    decision: post.decision,
    ...(post.reason !== undefined ? { reason: post.reason } : {}),
    selections: post.reviews,
  });
  if (!wantsHtml(event))
    return json(200, {
      results: results.map(({ review, ...r }) => ({ ...r, ...(review ? { review: reviewView(review) } : {}) })),
    });
  return html(200, inboxResultsPage(results, `/inbox?t=${encodeURIComponent(post.token)}`));
}

export const handler = middy<APIGatewayProxyEventV2, HttpResult>(decideInbox)
  .use(observability())
  .use(httpHeaderNormalizer())
  .use(httpJsonBodyParser({ disableContentTypeError: true }))
  .use(httpUrlencodeBodyParser({ disableContentTypeError: true }))
  .use(linkKeyMiddleware())
  .use(securityHeaders())
  .use(httpErrors());
