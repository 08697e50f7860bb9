import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEventV2WithIAMAuthorizer } from 'aws-lambda';
import * as z from 'zod';
import { describeIssues } from '../../events/index.ts';
import { observability } from '../adapters/observability.ts';
import { wire } from '../app/deps.ts';
import { reviewsTable } from '../adapters/reviews-table.ts';
import { systemClock } from '../adapters/clock.ts';
import { reportAgentExecution } from '../app/report-execution.ts';
import { MAX_DETAIL_LENGTH } from '../domain/agent-execution.ts';
import { BadRequest, httpErrors } from '../http/errors.ts';
import { type HttpResult, json, reviewIdOf } from '../http/responses.ts';
import { reviewView } from '../http/review-view.ts';

const deps = wire({ store: reviewsTable, clock: systemClock });

/** Longer detail is cut to MAX_DETAIL_LENGTH; beyond this it is not an agent's account but a mistake. */
const MAX_DETAIL_SENT = 10 * MAX_DETAIL_LENGTH;

const Report = z.object({
  outcomeId: z
    .string({ error: "outcomeId is required: the approval's outcomeId from the review's status" })
    .min(1)
    .max(100),
  claim: z
    .string({ error: 'claim is required: an id of this run of the action, the same in every report of it' })
    .regex(/^[A-Za-z0-9_-]{8,100}$/, { error: 'claim must be 8 to 100 letters, digits, "-" or "_"' }),
  result: z.enum(['started', 'performed', 'failed', 'unknown'], {
    error: 'result must be started (before it runs), performed, failed or unknown',
  }),
  detail: z
    .string()
    .max(MAX_DETAIL_SENT, { error: `detail may be at most ${MAX_DETAIL_SENT} characters` })
    .optional(),
});

/**
 * POST /reviews/{id}/execution, IAM-authorized (the agent's role): the agent claims the approval before it
 * performs the action (`started`; a second claim is refused with 409 AlreadyExecuted, so nothing runs twice
 * on one approval), then reports `performed`, `failed` or `unknown`, recorded on the review once.
 */
export async function reportExecution(event: APIGatewayProxyEventV2WithIAMAuthorizer): Promise<HttpResult> {
  const parsed = Report.safeParse(event.body && typeof event.body === 'object' ? event.body : {});
  if (!parsed.success) throw new BadRequest(describeIssues(parsed.error).join('; '));
  const { outcomeId, claim, result, detail } = parsed.data;
  const { review, recorded } = await reportAgentExecution(deps(), {
    reviewId: reviewIdOf(event),
    report:
      result === 'started'
        ? { outcomeId, claim, result }
        : { outcomeId, claim, result, ...(detail === undefined ? {} : { detail }) },
    by: event.requestContext.authorizer.iam.userArn,
  });
  return json(200, { ...reviewView(review), recorded });
}

export const handler = middy<APIGatewayProxyEventV2WithIAMAuthorizer, HttpResult>(reportExecution)
  .use(observability())
  .use(httpHeaderNormalizer())
  .use(httpJsonBodyParser())
  .use(httpErrors<APIGatewayProxyEventV2WithIAMAuthorizer>());
