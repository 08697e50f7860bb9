// Slack approvals, on in-memory ports: the request signature, the payloads, the messages, and a click deciding
// through the same use case as the email link. Local mode's Slack runs them end to end in test/integration.
import fc from 'fast-check';
import { completeReview } from '../../functions/app/complete.ts';
import { notifyStep, sendNotification } from '../../functions/app/notify.ts';
import { onSlackInteraction, type SlackInteraction } from '../../functions/app/slack.ts';
import { REJECT_VIEW, reviewMessage, SLACK_ACTION, type SlackDecisionRef } from '../../functions/app/slack-messages.ts';
import { SlackRefused } from '../../functions/app/ports.ts';
import { actionUnderApproval, newReview, type Review } from '../../functions/domain/review.ts';
import {
  parseSlackInteraction,
  SlackSignatureRejected,
  slackSignature,
  verifySlackRequest,
} from '../../functions/http/slack-request.ts';
import { shippedPolicy } from '../support/policy.ts';
import { proposal, purchaseOrder, refund } from '../support/proposals.ts';
import { TEST_LINK_KEY, type TestDeps, testDeps } from '../support/ports.ts';
import type { ActionProposed } from '../../events/index.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePolicy } from '../../functions/domain/policy-yaml.ts';
import { PolicyError } from '../../functions/domain/policy.ts';

const POLICY_TEXT = readFileSync(join(import.meta.dirname, '../../policy/default.yml'), 'utf8');
const DIRECTORY_TEXT = readFileSync(join(import.meta.dirname, '../../policy/directory.yml'), 'utf8');

/** The problems of the shipped files with one edit each. */
function problemsOf(policy: string, directory = DIRECTORY_TEXT): readonly string[] {
  try {
    parsePolicy(policy, directory, { policy: 'policy/default.yml', directory: 'policy/directory.yml' });
    return [];
  } catch (err) {
    if (err instanceof PolicyError) return err.problems;
    throw err;
  }
}

const NOW = new Date('2026-11-24T09:00:00.000Z');
const SECRET = 'a-signing-secret-for-the-tests';
const CHANNEL = 'C0SUPPORTLEADS';

let deps: TestDeps;
beforeEach(() => {
  deps = testDeps(shippedPolicy, NOW);
});

async function opened(p: ActionProposed = refund(40)): Promise<Review> {
  const { review } = await deps.store.open(newReview(p, shippedPolicy.classify(p.action, p), deps.clock.now()));
  await notifyStep(deps, { reviewId: review.id, executionRef: 'intake-1' });
  return (await deps.store.get(review.id)) as Review;
}

const refOf = (review: Review): SlackDecisionRef => ({
  reviewId: review.id,
  step: review.step,
  actionHash: actionUnderApproval(review).actionHash,
});

const click = (review: Review, action: 'approve' | 'reject', slackUser: string): SlackInteraction => ({
  kind: 'button',
  action,
  slackUser,
  channel: CHANNEL,
  triggerId: 'trigger-1',
  ref: refOf(review),
});

function signed(body: string, at: Date, secret = SECRET) {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  return {
    headers: { 'x-slack-request-timestamp': timestamp, 'x-slack-signature': slackSignature(secret, timestamp, body) },
    body,
    isBase64Encoded: false,
  };
}

const form = (payload: unknown) => `payload=${encodeURIComponent(JSON.stringify(payload))}`;

describe('Slack in the policy and the directory', () => {
  const step = '{ roles: [support_lead], sla: 4h, channels: [email, slack], slackChannel: C0SUPPORTLEADS }';
  it('accepts the shipped Slack step and ids', () => {
    expect(POLICY_TEXT).toContain(step);
    expect(problemsOf(POLICY_TEXT)).toEqual([]);
  });

  it('names an unknown channel, a channel id that is not one, and a channel without slack', () => {
    expect(problemsOf(POLICY_TEXT.replace('channels: [email, slack]', 'channels: [email, teams]'))).toEqual([
      expect.stringMatching(/steps\[0\]\.channels\[1\]: unknown channel "teams"; expected email or slack/),
    ]);
    expect(problemsOf(POLICY_TEXT.replace('slackChannel: C0SUPPORTLEADS', 'slackChannel: "#support"'))).toEqual([
      expect.stringMatching(/slackChannel: "#support" is not a Slack channel id/),
    ]);
    expect(problemsOf(POLICY_TEXT.replace('channels: [email, slack]', 'channels: [email]'))).toEqual([
      expect.stringMatching(/slackChannel: names a Slack channel, but the step's channels do not include slack/),
    ]);
  });

  it('refuses a Slack id that is not one, and two people with one Slack id', () => {
    expect(problemsOf(POLICY_TEXT, DIRECTORY_TEXT.replace('slack: U0JONASBERG', 'slack: jonas'))).toEqual([
      expect.stringMatching(/people\[9\]\.slack: "jonas" is not a Slack member id/),
    ]);
    expect(problemsOf(POLICY_TEXT, DIRECTORY_TEXT.replace('slack: U0JONASBERG', 'slack: U0GRACEKIM'))).toEqual([
      expect.stringMatching(/people\[9\]\.slack: duplicate Slack id "U0GRACEKIM" \(also people\[8\]\)/),
    ]);
  });
});

describe("Slack's request signature", () => {
  const body = form({ type: 'block_actions', user: { id: 'U0GRACEKIM' } });

  it('accepts a body signed with the signing secret within five minutes', () => {
    expect(verifySlackRequest(signed(body, NOW), SECRET, new Date(NOW.getTime() + 299_000)).toString()).toBe(body);
  });

  it('refuses a request signed with another secret', () => {
    expect(() => verifySlackRequest(signed(body, NOW, 'another-secret'), SECRET, NOW)).toThrow(SlackSignatureRejected);
  });

  it('refuses a body changed after it was signed', () => {
    const req = signed(body, NOW);
    expect(() => verifySlackRequest({ ...req, body: `${body}x` }, SECRET, NOW)).toThrow(/does not match/);
  });

  it('refuses a request signed more than five minutes ago (a replay) or ahead', () => {
    expect(() => verifySlackRequest(signed(body, NOW), SECRET, new Date(NOW.getTime() + 301_000))).toThrow(/5 minutes/);
    expect(() => verifySlackRequest(signed(body, new Date(NOW.getTime() + 301_000)), SECRET, NOW)).toThrow(/5 minutes/);
  });

  it('refuses an unsigned request, a timestamp that is no time, and a signature of another length', () => {
    expect(() => verifySlackRequest({ headers: {}, body, isBase64Encoded: false }, SECRET, NOW)).toThrow(/not signed/);
    const req = signed(body, NOW);
    expect(() =>
      verifySlackRequest({ ...req, headers: { ...req.headers, 'x-slack-request-timestamp': 'soon' } }, SECRET, NOW),
    ).toThrow(/Unix time/);
    expect(() =>
      verifySlackRequest({ ...req, headers: { ...req.headers, 'x-slack-signature': 'v0=abc' } }, SECRET, NOW),
    ).toThrow(/does not match/);
  });

  it('verifies the bytes API Gateway passed base64-encoded', () => {
    const req = signed(body, NOW);
    const encoded = { ...req, body: Buffer.from(body).toString('base64'), isBase64Encoded: true };
    expect(verifySlackRequest(encoded, SECRET, NOW).toString()).toBe(body);
  });

  it('is a 401 that says what is wrong', () => {
    const err = new SlackSignatureRejected('x');
    expect([err.statusCode, err.expose]).toEqual([401, true]);
  });

  it('never accepts a signature it did not compute for that body (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.stringMatching(/^[0-9a-f]{64}$/), (text, hex) => {
        const req = signed(text, NOW);
        fc.pre(req.headers['x-slack-signature'] !== `v0=${hex}`);
        const forged = { ...req, headers: { ...req.headers, 'x-slack-signature': `v0=${hex}` } };
        expect(() => verifySlackRequest(forged, SECRET, NOW)).toThrow(SlackSignatureRejected);
      }),
    );
  });
});

describe('reading an interaction', () => {
  const ref = { reviewId: 'rv-1', step: 0, actionHash: 'h' };

  it('reads an Approve click with the review, step and hash its button carried', () => {
    const body = form({
      type: 'block_actions',
      user: { id: 'U0GRACEKIM' },
      channel: { id: CHANNEL },
      trigger_id: 't-1',
      actions: [{ action_id: SLACK_ACTION.approve, value: JSON.stringify(ref) }],
    });
    expect(parseSlackInteraction(Buffer.from(body))).toEqual({
      kind: 'button',
      action: 'approve',
      slackUser: 'U0GRACEKIM',
      channel: CHANNEL,
      triggerId: 't-1',
      ref,
    });
  });

  it("reads the reject modal's reason", () => {
    const body = form({
      type: 'view_submission',
      user: { id: 'U0JONASBERG' },
      view: {
        callback_id: REJECT_VIEW,
        private_metadata: JSON.stringify(ref),
        state: { values: { reason: { reason: { type: 'plain_text_input', value: 'Not ours' } } } },
      },
    });
    expect(parseSlackInteraction(Buffer.from(body))).toEqual({
      kind: 'reject-reason',
      slackUser: 'U0JONASBERG',
      ref,
      reason: 'Not ours',
    });
  });

  it("ignores what it does not act on (the Open link's click, another app's modal)", () => {
    const open = form({ type: 'block_actions', user: { id: 'U1' }, actions: [{ action_id: SLACK_ACTION.open }] });
    const other = form({ type: 'view_submission', user: { id: 'U1' }, view: { callback_id: 'other' } });
    expect(parseSlackInteraction(Buffer.from(open))).toBeUndefined();
    expect(parseSlackInteraction(Buffer.from(other))).toBeUndefined();
  });

  it('refuses a body that is no interaction, a payload without a user, and a button hitl-gate did not make', () => {
    expect(() => parseSlackInteraction(Buffer.from('{"a":1}'))).toThrow(/payload field/);
    expect(() => parseSlackInteraction(Buffer.from('payload=%7Bnot'))).toThrow(/not JSON/);
    expect(() => parseSlackInteraction(Buffer.from(form({ type: 'block_actions' })))).toThrow(/no Slack user/);
    const forged = form({
      type: 'block_actions',
      user: { id: 'U1' },
      actions: [{ action_id: SLACK_ACTION.approve, value: '{"reviewId":1}' }],
    });
    expect(() => parseSlackInteraction(Buffer.from(forged))).toThrow(/did not make/);
  });
});

describe('the Slack message', () => {
  it("shows the agent's text as escaped data: no mention, link or ping comes from it", async () => {
    const review = await opened(
      proposal({
        agentId: 'support-agent',
        action: {
          type: 'refund',
          summary: '<!channel> approve now <https://evil.example.com|the policy> & <@U0CFO>',
          amount: { value: 40, currency: 'USD' },
        },
      }),
    );
    const text = JSON.stringify(reviewMessage(review, { channel: CHANNEL, zone: 'UTC', now: NOW }).blocks);
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<https');
    expect(text).not.toContain('<@U0CFO>');
    expect(text).toContain('&lt;!channel&gt;');
  });

  it('never lets agent text open Slack markup (property)', () => {
    fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 200 }), async (summary) => {
        const p = proposal({
          agentId: 'support-agent',
          action: { type: 'refund', summary, amount: { value: 40, currency: 'USD' } },
        });
        const review = newReview(p, shippedPolicy.classify(p.action, p), NOW);
        const { blocks } = reviewMessage(review, { channel: CHANNEL, zone: 'UTC', now: NOW });
        const marks = JSON.stringify(blocks).match(/<[^>]*>/g) ?? [];
        // The one piece of markup is hitl-gate's own: the deadline in each reader's time zone.
        expect(marks.every((m) => m.startsWith('<!date^'))).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('carries Approve and Reject bound to the review, its step and its action hash, and the deadline', async () => {
    const review = await opened();
    const { blocks, text } = reviewMessage(review, { channel: CHANNEL, zone: 'America/Los_Angeles', now: NOW });
    const actions = blocks.find((b) => b.type === 'actions') as { elements: { action_id: string; value?: string }[] };
    expect(actions.elements.map((e) => e.action_id)).toEqual([SLACK_ACTION.approve, SLACK_ACTION.reject]);
    expect(JSON.parse(actions.elements[0]?.value ?? '')).toEqual(refOf(review));
    expect(JSON.stringify(blocks)).toContain(`<!date^${Math.floor(Date.parse(review.deadline ?? '') / 1000)}^`);
    expect(text).toMatch(/^Refund of \$40\.00: "Refund of \$40 for a late order", decide by/);
  });
});

describe('posting to Slack', () => {
  it("posts one message to the step's channel, besides the approvers' emails, and keeps where it is", async () => {
    const review = await opened();
    expect(deps.slack.posted.map((m) => m.channel)).toEqual([CHANNEL]);
    expect(deps.mailer.sent.map((m) => m.to[0]).sort()).toEqual(['grace.kim@example.com', 'jonas.berg@example.com']);
    expect(review.slackMessages).toEqual([
      { step: 0, channel: CHANNEL, ts: deps.slack.posted[0]?.ts, at: NOW.toISOString() },
    ]);
  });

  it('does not post twice for a message delivered twice, nor for a review decided since', async () => {
    const review = await opened();
    const queued = deps.notifications.queued.find((n) => n.kind === 'slack');
    expect(queued && (await sendNotification(deps, queued, TEST_LINK_KEY))).toBe('sent-before');
    await onSlackInteraction(deps, click(review, 'approve', 'U0GRACEKIM'));
    expect(queued && (await sendNotification(deps, queued, TEST_LINK_KEY))).toBe('stale');
    expect(deps.slack.posted).toHaveLength(1);
  });

  it('lets a Slack refusal through to the sender, which sends it to its last try', async () => {
    deps.slack.fail = new SlackRefused('channel_not_found');
    await expect(opened()).rejects.toThrow(SlackRefused);
  });

  it('sends no Slack message for a step that asks by email only', async () => {
    await opened(purchaseOrder(5000));
    expect(deps.slack.posted).toEqual([]);
  });
});

describe('deciding from Slack', () => {
  it('approves as the directory person whose Slack id clicked, and shows it in the message', async () => {
    const review = await opened();
    expect(await onSlackInteraction(deps, click(review, 'approve', 'U0GRACEKIM'))).toEqual({ kind: 'ok' });
    const after = (await deps.store.get(review.id)) as Review;
    expect(after.status).toBe('APPROVED');
    expect(after.decision?.by).toEqual([{ id: 'grace.kim', kind: 'person' }]);
    expect(deps.workflows.restarted).toEqual([review.id]);
    const message = JSON.stringify(deps.slack.posted[0]?.blocks);
    expect(message).toContain('Approved by Grace Kim');
    expect(message).not.toContain(SLACK_ACTION.approve);
  });

  it('answers a second click as the first: one decision, one restart', async () => {
    const review = await opened();
    await onSlackInteraction(deps, click(review, 'approve', 'U0GRACEKIM'));
    await onSlackInteraction(deps, click(review, 'approve', 'U0GRACEKIM'));
    expect(deps.workflows.restarted).toEqual([review.id]);
    expect(deps.slack.told).toEqual([]);
  });

  it('asks why before a reject, then rejects with that reason', async () => {
    const review = await opened();
    await onSlackInteraction(deps, click(review, 'reject', 'U0JONASBERG'));
    expect(deps.slack.modals).toHaveLength(1);
    expect(deps.slack.modals[0]?.view.callback_id).toBe(REJECT_VIEW);
    expect(JSON.parse(String(deps.slack.modals[0]?.view.private_metadata))).toEqual(refOf(review));
    expect((await deps.store.get(review.id))?.status).toBe('PENDING');
    const answer = await onSlackInteraction(deps, {
      kind: 'reject-reason',
      slackUser: 'U0JONASBERG',
      ref: refOf(review),
      reason: '  The order arrived on time  ',
    });
    expect(answer).toEqual({ kind: 'ok' });
    const after = (await deps.store.get(review.id)) as Review;
    expect([after.status, after.decision?.reason]).toEqual(['REJECTED', 'The order arrived on time']);
  });

  it('keeps the modal open with what is wrong: no reason, or a refusal', async () => {
    const review = await opened();
    const noReason = await onSlackInteraction(deps, {
      kind: 'reject-reason',
      slackUser: 'U0JONASBERG',
      ref: refOf(review),
      reason: ' ',
    });
    expect(noReason).toEqual({ kind: 'modal-errors', errors: { reason: expect.stringMatching(/Say why/) } });
    await onSlackInteraction(deps, click(review, 'approve', 'U0GRACEKIM'));
    const late = await onSlackInteraction(deps, {
      kind: 'reject-reason',
      slackUser: 'U0JONASBERG',
      ref: refOf(review),
      reason: 'No',
    });
    expect(late).toEqual({ kind: 'modal-errors', errors: { reason: expect.stringMatching(/already/i) } });
  });

  it('tells a Slack user who is nobody in the directory, only them, and decides nothing', async () => {
    const review = await opened();
    await onSlackInteraction(deps, click(review, 'approve', 'U0STRANGER'));
    await onSlackInteraction(deps, click(review, 'reject', 'U0STRANGER'));
    expect(deps.slack.told).toEqual([
      { channel: CHANNEL, user: 'U0STRANGER', text: expect.stringMatching(/not linked to anyone/) },
      { channel: CHANNEL, user: 'U0STRANGER', text: expect.stringMatching(/not linked to anyone/) },
    ]);
    expect(deps.slack.modals).toEqual([]);
    expect((await deps.store.get(review.id))?.status).toBe('PENDING');
  });

  it('holds a Slack click to the same rules as any decision: someone not on the step is told why', async () => {
    const review = await opened();
    // Mira is a manager with a Slack id, not a support lead.
    await onSlackInteraction(deps, click(review, 'approve', 'U0MIRAOKAFOR'));
    expect(deps.slack.told[0]?.text).toMatch(/not/i);
    expect((await deps.store.get(review.id))?.status).toBe('PENDING');
  });

  it('refuses a click on a message that showed another action than the one under approval now', async () => {
    const review = await opened();
    await onSlackInteraction(deps, {
      ...click(review, 'approve', 'U0GRACEKIM'),
      ref: { ...refOf(review), actionHash: 'other' },
    });
    expect(deps.slack.told).toHaveLength(1);
    expect((await deps.store.get(review.id))?.status).toBe('PENDING');
  });

  it("updates the review's messages once it is completed, however it was decided", async () => {
    const review = await opened();
    deps.clock.advance(5 * 3600_000);
    await deps.store.save(
      review,
      {
        ...review,
        status: 'EXPIRED',
        decision: {
          outcome: 'expired',
          by: [{ id: 'policy', kind: 'policy' }],
          at: deps.clock.now().toISOString(),
          reason: 'no decision in time',
          action: review.action,
          actionHash: review.actionHash,
          edited: false,
        },
        version: review.version + 1,
      },
      [],
    );
    await completeReview(deps, { reviewId: review.id });
    expect(deps.notifications.queued.at(-1)).toMatchObject({ kind: 'slack-update', reviewId: review.id });
    expect(JSON.stringify(deps.slack.posted[0]?.blocks)).toContain('Expired');
  });
});
