import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEventV2WithIAMAuthorizer } from 'aws-lambda';
import * as z from 'zod';
import { describeIssues } from '../../events/index.ts';
import { observability } from '../adapters/observability.ts';
import { wire } from '../app/deps.ts';
import { grantsTable } from '../adapters/reviews-table.ts';
import { systemClock } from '../adapters/clock.ts';
import { revokeGrant } from '../app/standing.ts';
import { GrantNotFound } from '../domain/errors.ts';
import { grantTypeOf } from '../domain/grant.ts';
import { BadRequest, httpErrors } from '../http/errors.ts';
import { type HttpResult, json } from '../http/responses.ts';
import { grantView } from '../http/review-view.ts';
import { RevokeReason } from '../http/revoke-request.ts';

const deps = wire({ grants: grantsTable, clock: systemClock });

const RevokeRequest = z.object({ reason: RevokeReason });

/**
 * POST /grants/{id}/revoke, IAM-authorized (an admin's role; the stack's AgentPolicy does not include it): from
 * now on the standing approval approves nothing. Revoking it again answers it as it was revoked.
 */
export async function revoke(event: APIGatewayProxyEventV2WithIAMAuthorizer): Promise<HttpResult> {
  const grantId = event.pathParameters?.id ?? '';
  if (!grantTypeOf(grantId)) throw new GrantNotFound(grantId);
  const parsed = RevokeRequest.safeParse(event.body && typeof event.body === 'object' ? event.body : {});
  if (!parsed.success) throw new BadRequest(describeIssues(parsed.error).join('; '));
  const grant = await revokeGrant(deps(), {
    grantId,
    by: event.requestContext.authorizer.iam.userArn,
    reason: parsed.data.reason,
  });
  return json(200, grantView(grant));
}

export const handler = middy<APIGatewayProxyEventV2WithIAMAuthorizer, HttpResult>(revoke)
  .use(observability())
  .use(httpHeaderNormalizer())
  .use(httpJsonBodyParser())
  .use(httpErrors<APIGatewayProxyEventV2WithIAMAuthorizer>());
