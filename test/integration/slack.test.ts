// Slack end to end in local mode: the sender posts with the real @slack/web-api client to local Slack, whose
// buttons send interactions signed as Slack signs them to POST /slack/interactions; a click there decides as
// an email link does, and ends in the same outcome events.
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { slackSignature } from '../../functions/http/slack-request.ts';
import { refund } from '../support/proposals.ts';
import { useLocalReviews } from '../support/reviews.ts';

const local = useLocalReviews();
const CHANNEL = 'C0SUPPORTLEADS';
const HOUR = 3600_000;

/** The channel message local Slack holds for a review (its blocks as they are now), where the review says it is. */
async function messageOf(reviewId: string) {
  const post = (await local.reviews.get(reviewId))?.slackMessages?.find((m) => m.channel === CHANNEL);
  const message = local.h.app.slack.messages.find((m) => m.channel === CHANNEL && m.ts === post?.ts);
  if (!message) throw new Error(`no Slack message in ${CHANNEL} for ${reviewId}`);
  return message;
}

const outcomes = (reviewId: string) =>
  local.h.app.bus.events.filter(
    (e) =>
      ['Approval Granted', 'Approval Rejected', 'Approval Expired'].includes(e.DetailType) &&
      JSON.parse(e.Detail).reviewId === reviewId,
  );

it("posts a refund's review to the support leads' channel, and an Approve click there approves it once", async () => {
  const { id, review } = await local.reviews.open(refund(40));
  const message = await messageOf(id);
  expect(review.slackMessages).toEqual([expect.objectContaining({ step: 0, channel: CHANNEL, ts: message.ts })]);
  expect(message.text).toMatch(/^Refund of \$40\.00/);
  const answer = await local.h.app.slack.click({
    user: 'U0GRACEKIM',
    channel: CHANNEL,
    ts: message.ts,
    actionId: 'hitl_approve',
  });
  expect(answer.status).toBe(200);
  await local.h.app.idle();
  const after = await local.reviews.get(id);
  expect([after?.status, after?.decision?.by]).toEqual(['COMPLETED', [{ id: 'grace.kim', kind: 'person' }]]);
  expect(outcomes(id).map((e) => e.DetailType)).toEqual(['Approval Granted']);
  // The message shows how it ended, without its buttons; a second click changes nothing.
  expect(JSON.stringify((await messageOf(id)).blocks)).toContain('Approved by Grace Kim');
  expect(JSON.stringify((await messageOf(id)).blocks)).not.toContain('hitl_approve');
}, 60_000);

it('asks for a reason in a modal before a Slack reject, and rejects with it', async () => {
  const { id } = await local.reviews.open(refund(55));
  const { ts } = await messageOf(id);
  expect(
    (await local.h.app.slack.click({ user: 'U0JONASBERG', channel: CHANNEL, ts, actionId: 'hitl_reject' })).status,
  ).toBe(200);
  const modal = local.h.app.slack.views.filter((v) => v.user === 'U0JONASBERG').at(-1);
  expect(modal?.view.callback_id).toBe('hitl_reject_reason');
  expect((await local.reviews.get(id))?.status).toBe('PENDING');
  const submit = await local.h.app.slack.submitView({
    user: 'U0JONASBERG',
    viewId: modal!.id,
    values: { reason: { reason: 'The customer was refunded last week' } },
  });
  expect(submit.status).toBe(200);
  await local.h.app.idle();
  const after = await local.reviews.get(id);
  expect([after?.status, after?.decision?.outcome, after?.decision?.reason]).toEqual([
    'COMPLETED',
    'rejected',
    'The customer was refunded last week',
  ]);
  expect(outcomes(id).map((e) => e.DetailType)).toEqual(['Approval Rejected']);
  expect(JSON.stringify((await messageOf(id)).blocks)).toContain('Rejected by Jonas Berg');
}, 60_000);

it('tells a Slack member who is nobody in the directory, only them, and decides nothing', async () => {
  const { id } = await local.reviews.open(refund(60));
  const { ts } = await messageOf(id);
  // A member of the workspace whom the directory does not know.
  const stranger = 'U0LOCALGUEST';
  const res = await fetch(`${local.h.app.url}/slack/interactions`, await signedClick(stranger, ts, id));
  expect(res.status).toBe(200);
  await local.h.app.idle();
  expect(local.h.app.slack.ephemerals.filter((e) => e.user === stranger).map((e) => e.text)).toEqual([
    expect.stringMatching(/not linked to anyone/),
  ]);
  expect((await local.reviews.get(id))?.status).toBe('PENDING');
}, 60_000);

it('refuses a click with a bad or old signature: 401, nothing decided', async () => {
  const { id } = await local.reviews.open(refund(65));
  const { ts } = await messageOf(id);
  const good = await signedClick('U0GRACEKIM', ts, id);
  const forged = { ...good, headers: { ...good.headers, 'x-slack-signature': `v0=${'0'.repeat(64)}` } };
  const old = await signedClick('U0GRACEKIM', ts, id, local.h.app.clock.now() - 6 * 60_000);
  for (const req of [forged, old]) {
    const res = await fetch(`${local.h.app.url}/slack/interactions`, req);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { message: string }).message).toMatch(/signature|5 minutes/);
  }
  expect((await local.reviews.get(id))?.status).toBe('PENDING');
}, 60_000);

it('shows an expiry in the channel message once nobody decided in time', async () => {
  const { id } = await local.reviews.open(refund(70));
  // The support leads' 4 h, then finance's 4 h: the refund expires (rejected as the safe default).
  await local.reviews.sweepAfter(4 * HOUR + 60_000);
  await local.reviews.sweepAfter(4 * HOUR + 60_000);
  await local.h.app.idle();
  expect((await local.reviews.get(id))?.decision?.outcome).toBe('expired');
  expect(JSON.stringify((await messageOf(id)).blocks)).toContain('Expired');
  expect(JSON.stringify((await messageOf(id)).blocks)).not.toContain('hitl_approve');
}, 60_000);

/** A block_actions click as Slack would send it, signed with the local app's signing secret at `at`. */
async function signedClick(user: string, ts: string, reviewId: string, at = local.h.app.clock.now()) {
  const message = await messageOf(reviewId);
  const actions = message.blocks.find((b) => b.type === 'actions') as {
    elements: { action_id: string; value: string }[];
  };
  const approve = actions.elements.find((e) => e.action_id === 'hitl_approve')!;
  const payload = {
    type: 'block_actions',
    user: { id: user, team_id: 'T0LOCAL' },
    channel: { id: CHANNEL },
    container: { type: 'message', channel_id: CHANNEL, message_ts: ts },
    trigger_id: 'trigger',
    actions: [{ type: 'button', action_id: approve.action_id, value: approve.value }],
  };
  const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const timestamp = String(Math.floor(at / 1000));
  // The stage's signing secret, read as the function reads it (Parameter Store's Secrets Manager reference).
  const name = '/aws/reference/secretsmanager/hitl-gate-dev-slack-signing-secret';
  const out = await new SSMClient({}).send(new GetParametersCommand({ Names: [name], WithDecryption: true }));
  const secret = out.Parameters?.[0]?.Value ?? '';
  return {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': slackSignature(secret, timestamp, body),
    },
    body,
  };
}
