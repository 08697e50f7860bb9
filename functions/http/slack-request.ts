// POST /slack/interactions as Slack sends it: verified first (Slack's v0 signature, an HMAC-SHA256 with the
// app's signing secret over "v0:<timestamp>:<raw body>", within five minutes), then read. Nothing in the
// payload is believed before the signature is.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { SlackInteraction } from '../app/slack.ts';
import { REASON_INPUT, REJECT_VIEW, SLACK_ACTION, type SlackDecisionRef } from '../app/slack-messages.ts';
import { BadRequest, ClientError } from './errors.ts';

/** How far a request's timestamp may be from now: Slack's own advice against replays. */
export const SIGNATURE_WINDOW_S = 5 * 60;

/** A request Slack did not sign (or signed too long ago): 401, and nothing is read from it. */
export class SlackSignatureRejected extends ClientError {
  constructor(message: string) {
    super(401, message, 'SlackSignatureRejected');
  }
}

/** The signature Slack sends for `body` at `timestamp`: `v0=` and the hex HMAC-SHA256. */
export function slackSignature(signingSecret: string, timestamp: string, body: Buffer | string): string {
  const mac = createHmac('sha256', signingSecret);
  mac.update(`v0:${timestamp}:`);
  mac.update(body);
  return `v0=${mac.digest('hex')}`;
}

/** The raw body as API Gateway passed it (base64 for a form post), byte for byte: the signature covers it. */
export function rawBody(event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>): Buffer {
  return Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
}

const header = (event: Pick<APIGatewayProxyEventV2, 'headers'>, name: string) =>
  Object.entries(event.headers ?? {}).find(([k]) => k.toLowerCase() === name)?.[1];

/** Throws SlackSignatureRejected unless Slack signed this body with `signingSecret` within the window of `now`. */
export function verifySlackRequest(
  event: Pick<APIGatewayProxyEventV2, 'headers' | 'body' | 'isBase64Encoded'>,
  signingSecret: string,
  now: Date,
): Buffer {
  const timestamp = header(event, 'x-slack-request-timestamp');
  const signature = header(event, 'x-slack-signature');
  if (!timestamp || !signature)
    throw new SlackSignatureRejected(
      'the request is not signed by Slack (X-Slack-Signature and X-Slack-Request-Timestamp)',
    );
  if (!/^\d{1,12}$/.test(timestamp)) throw new SlackSignatureRejected('X-Slack-Request-Timestamp is not a Unix time');
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > SIGNATURE_WINDOW_S)
    throw new SlackSignatureRejected('the request was signed more than 5 minutes from now: it may be a replay');
  const body = rawBody(event);
  const expected = Buffer.from(slackSignature(signingSecret, timestamp, body));
  const given = Buffer.from(signature);
  // Constant time, and only over equal lengths (timingSafeEqual throws otherwise).
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    throw new SlackSignatureRejected(
      "the request signature does not match: it was not signed with this app's signing secret",
    );
  return body;
}

/** A button's or a modal's decision reference, as hitl-gate wrote it into the message. */
function decisionRef(text: unknown): SlackDecisionRef {
  try {
    const v = JSON.parse(String(text)) as Partial<SlackDecisionRef>;
    if (typeof v.reviewId === 'string' && v.reviewId && Number.isInteger(v.step) && typeof v.actionHash === 'string')
      return { reviewId: v.reviewId, step: v.step as number, actionHash: v.actionHash };
  } catch {
    // Said below.
  }
  throw new BadRequest('the interaction does not carry a review (a button or modal that hitl-gate did not make)');
}

const record = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/**
 * The interaction a verified body holds: an Approve or Reject click, or the reject modal's submit.
 * Undefined for what hitl-gate does not act on (the Open link's click, a closed modal); BadRequest when it
 * is not an interaction payload at all.
 */
export function parseSlackInteraction(body: Buffer): SlackInteraction | undefined {
  const payloadText = new URLSearchParams(body.toString('utf8')).get('payload');
  if (!payloadText) throw new BadRequest('the body is not a Slack interaction: expected a form with a payload field');
  let payload: Record<string, unknown>;
  try {
    payload = record(JSON.parse(payloadText));
  } catch {
    throw new BadRequest('the interaction payload is not JSON');
  }
  const slackUser = record(payload.user).id;
  if (typeof slackUser !== 'string' || !slackUser) throw new BadRequest('the interaction names no Slack user');
  if (payload.type === 'block_actions') {
    const action = record((payload.actions as unknown[] | undefined)?.[0]);
    const which =
      action.action_id === SLACK_ACTION.approve
        ? 'approve'
        : action.action_id === SLACK_ACTION.reject
          ? 'reject'
          : undefined;
    if (!which) return undefined;
    const channel = record(payload.channel).id ?? record(payload.container).channel_id;
    return {
      kind: 'button',
      action: which,
      slackUser,
      channel: typeof channel === 'string' ? channel : slackUser,
      triggerId: String(payload.trigger_id ?? ''),
      ref: decisionRef(action.value),
    };
  }
  if (payload.type === 'view_submission') {
    const view = record(payload.view);
    if (view.callback_id !== REJECT_VIEW) return undefined;
    const input = record(record(record(record(view.state).values)[REASON_INPUT])[REASON_INPUT]);
    return {
      kind: 'reject-reason',
      slackUser,
      ref: decisionRef(view.private_metadata),
      reason: typeof input.value === 'string' ? input.value : '',
    };
  }
  return undefined;
}
