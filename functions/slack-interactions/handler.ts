import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { observability } from '../adapters/observability.ts';
import { wire } from '../app/deps.ts';
import { grantsTable, reviewsTable } from '../adapters/reviews-table.ts';
import { systemClock } from '../adapters/clock.ts';
import { directory, policy } from '../adapters/policy-files.ts';
import { readSecret, stageSlack } from '../adapters/slack.ts';
import { resumeWorkflows } from '../adapters/workflows.ts';
import { onSlackInteraction } from '../app/slack.ts';
import { config } from '../config.ts';
import { httpErrors } from '../http/errors.ts';
import { type HttpResult, json } from '../http/responses.ts';
import { parseSlackInteraction, verifySlackRequest } from '../http/slack-request.ts';

const deps = wire({
  store: reviewsTable,
  grants: grantsTable,
  clock: systemClock,
  policy,
  directory,
  workflows: resumeWorkflows,
  slack: stageSlack,
});

/**
 * POST /slack/interactions, Slack's request URL for the app's interactivity: verified by Slack's signature
 * (401 otherwise, nothing decided), then an Approve or Reject click or the reject modal's reason. Slack wants
 * an answer within 3 seconds: an empty 200, or the modal's errors.
 */
export async function slackInteractions(event: APIGatewayProxyEventV2): Promise<HttpResult> {
  const secret = await readSecret(config().SLACK_SIGNING_SECRET_PARAMETER);
  const body = verifySlackRequest(event, secret, deps().clock.now());
  const interaction = parseSlackInteraction(body);
  if (!interaction) return { statusCode: 200, body: '' };
  const answer = await onSlackInteraction(deps(), interaction);
  if (answer.kind === 'modal-errors') return json(200, { response_action: 'errors', errors: answer.errors });
  return { statusCode: 200, body: '' };
}

export const handler = middy<APIGatewayProxyEventV2, HttpResult>(slackInteractions)
  .use(observability())
  // Slack is a program, though it posts a form: its refusals are JSON, never a page.
  .use({
    before: (request) => {
      request.event.headers = { ...request.event.headers, accept: 'application/json' };
    },
  })
  .use(httpErrors());
