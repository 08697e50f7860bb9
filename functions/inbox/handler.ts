import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { linkKeyFrom, linkKeyMiddleware } from '../adapters/link-key.ts';
import { logger } from '../adapters/logger.ts';
import { observability } from '../adapters/observability.ts';
import { wire } from '../app/deps.ts';
import { grantsTable, reviewsTable } from '../adapters/reviews-table.ts';
import { systemClock } from '../adapters/clock.ts';
import { directory, policy } from '../adapters/policy-files.ts';
import { personZone } from '../app/emails.ts';
import { TokenInvalid } from '../domain/errors.ts';
import { decisionLinkExpiry, newNonce, signDecisionToken, verifyInboxToken } from '../domain/tokens.ts';
import { httpErrors } from '../http/errors.ts';
import { inboxPage } from '../http/inbox-page.ts';
import { html, json, securityHeaders, wantsJson, type HttpResult } from '../http/responses.ts';
import { localTime } from '../domain/when.ts';
import { grantView } from '../http/review-view.ts';

const deps = wire({ store: reviewsTable, grants: grantsTable, clock: systemClock, policy, directory });

/**
 * GET /inbox?t=<inbox token>: the reviews waiting for the link's approver, oldest deadline first (HTML unless JSON is
 * asked for), each with a fresh decision link to its page. One Query of the approver index; changes nothing.
 */
export async function showInbox(event: APIGatewayProxyEventV2, context: Context): Promise<HttpResult> {
  const token =
    event.queryStringParameters?.t ?? (event.headers.authorization?.replace(/^Bearer\s+/i, '') || undefined);
  if (!token) throw new TokenInvalid('This page needs the inbox link from your email (its token is missing).');
  const { clock, store, directory } = deps();
  const now = clock.now();
  const key = linkKeyFrom(context);
  const claims = await verifyInboxToken(key, token, now);
  const [{ rows, more, itemsRead }, grants] = await Promise.all([
    store.inbox(claims.approverId),
    deps().grants.byGrantor(claims.approverId, now),
  ]);
  logger.info('inbox read', { approver: claims.approverId, rows: rows.length, more, itemsRead, grants: grants.length });
  const items = await Promise.all(
    rows.map(async (row) => {
      // A link of the review's own kind, for this approver and the row's step: the page decides as the email's would.
      const link = await signDecisionToken(
        key,
        {
          reviewId: row.reviewId,
          approverId: claims.approverId,
          step: row.step,
          nonce: newNonce(),
          expiresAt: decisionLinkExpiry(row.deadline, now),
        },
        now,
      );
      return {
        row,
        zone: personZone(deps(), claims.approverId, row.calendar),
        href: `/reviews/${encodeURIComponent(row.reviewId)}?t=${encodeURIComponent(link)}`,
      };
    }),
  );
  if (wantsJson(event))
    return json(200, {
      approverId: claims.approverId,
      reviews: items.map(({ row, zone, href }) => ({
        ...row,
        ...(row.deadline ? { deadlineText: localTime(row.deadline, zone, now) } : {}),
        page: href,
      })),
      more,
      grants: grants.map(grantView),
    });
  const person = directory.person(claims.approverId);
  return html(
    200,
    inboxPage({
      viewer: { id: claims.approverId, name: person?.name ?? claims.approverId },
      token,
      items,
      more,
      now,
      grants: { list: grants, zone: personZone(deps(), claims.approverId) },
    }),
  );
}

export const handler = middy<APIGatewayProxyEventV2, HttpResult>(showInbox)
  .use(observability())
  .use(httpHeaderNormalizer())
  .use(linkKeyMiddleware())
  .use(securityHeaders())
  .use(httpErrors({ forPeople: true }));
