// Reviews in Slack: the sender posts a step's message (to its channel, or to each approver directly) and
// updates them as the review moves; a click decides through decideReview, as the email link and the inbox do,
// as the directory person whose Slack id clicked, bound to the step and action hash the message showed.
import { createHash } from 'node:crypto';
import { logger } from '../adapters/logger.ts';
import { isDomainError, ReviewNotFound } from '../domain/errors.ts';
import { currentApprovers, recordSlackPosted, type Review, type SlackPost, slackPostedAt } from '../domain/review.ts';
import { zoneFor } from '../domain/when.ts';
import { decideReview } from './decide.ts';
import type { Deps } from './deps.ts';
import { approverZone } from './emails.ts';
import { mutate } from './mutate.ts';
import type { Notification, SendResult } from './ports.ts';
import { rejectModal, reviewMessage, type SlackDecisionRef } from './slack-messages.ts';

/** The zone a Slack message's times are written in: its approver's, or for a channel the step's calendar's. */
function messageZone(deps: Pick<Deps, 'directory' | 'policy'>, review: Review, approverId?: string): string {
  if (approverId) return approverZone(deps, review, approverId);
  const calendar = review.route[review.step]?.sla.calendar;
  return zoneFor(undefined, calendar ? deps.policy.calendar(calendar)?.timeZone : undefined);
}

/**
 * Posts one queued Slack message, built from the review as it is now (nothing for a review decided or moved
 * on, nor for an approver no longer on it; nothing twice for a message delivered twice), and records where it
 * is so the review's end can update it. `link`: the approver's signed decision page link, for a direct message.
 */
export async function postSlackMessage(
  deps: Pick<Deps, 'store' | 'slack' | 'clock' | 'directory' | 'policy'>,
  review: Review,
  n: Extract<Notification, { kind: 'slack' }>,
  link: (approverId: string) => Promise<string>,
): Promise<SendResult> {
  if (n.approverId && !currentApprovers(review).some((a) => a.id === n.approverId)) return 'stale';
  const postedAt = slackPostedAt(review, n.approverId ? { approverId: n.approverId } : { channel: n.channel });
  if (postedAt && postedAt >= n.queuedAt) return 'sent-before';
  const now = deps.clock.now();
  const message = reviewMessage(review, {
    channel: n.channel,
    zone: messageZone(deps, review, n.approverId),
    now,
    ...(n.intro ? { intro: n.intro } : {}),
    ...(n.approverId ? { link: await link(n.approverId) } : {}),
  });
  const posted = await deps.slack.post(message);
  logger.info('posted to Slack', { reviewId: review.id, step: review.step, channel: posted.channel, ts: posted.ts });
  const post: Omit<SlackPost, 'at'> = {
    step: n.step,
    channel: posted.channel,
    ts: posted.ts,
    ...(n.approverId ? { approverId: n.approverId } : {}),
  };
  await mutate(
    deps.store,
    review.id,
    (current) => {
      if (!current) throw new ReviewNotFound(review.id);
      return recordSlackPosted(current, post, deps.clock.now());
    },
    { read: review },
  );
  return 'sent';
}

/**
 * Updates each of the review's Slack messages to show how it stands (a quorum's progress) or how it ended;
 * the buttons go once it is decided. A message that cannot be updated is logged, unless `rethrow` (the sender
 * retries the whole update later).
 */
export async function updateSlackMessages(
  deps: Pick<Deps, 'slack' | 'clock' | 'directory' | 'policy'>,
  review: Review,
  { rethrow = false } = {},
): Promise<number> {
  const now = deps.clock.now();
  let updated = 0;
  for (const m of review.slackMessages ?? []) {
    const message = reviewMessage(review, { channel: m.channel, zone: messageZone(deps, review, m.approverId), now });
    try {
      await deps.slack.update({ ...message, ts: m.ts });
      updated++;
    } catch (err) {
      if (rethrow) throw err;
      logger.warn('a Slack message could not be updated', { reviewId: review.id, ts: m.ts, error: err as Error });
    }
  }
  return updated;
}

/** A Slack click or modal as the interactions endpoint read it (functions/http/slack-request.ts). */
export type SlackInteraction =
  | {
      kind: 'button';
      action: 'approve' | 'reject';
      slackUser: string;
      /** Where the clicked message is: for a message only the user sees. */
      channel: string;
      triggerId: string;
      ref: SlackDecisionRef;
    }
  | { kind: 'reject-reason'; slackUser: string; ref: SlackDecisionRef; reason: string };

/** What the endpoint answers Slack: nothing to say (200), or errors to show in the open modal. */
export type SlackAnswer = { kind: 'ok' } | { kind: 'modal-errors'; errors: Record<string, string> };

/** A decision from Slack uses each (review, step, person) once: a second click answers as the first. */
export function slackNonce(ref: SlackDecisionRef, slackUser: string): string {
  return `slack:${createHash('sha256').update(`${ref.reviewId}\n${ref.step}\n${slackUser}`).digest('base64url')}`;
}

/** A message only the clicking user sees: best effort, as the click's outcome does not depend on it. */
async function tellUser(
  deps: Pick<Deps, 'slack'>,
  input: { channel: string; user: string; text: string },
): Promise<void> {
  try {
    await deps.slack.tell(input);
  } catch (err) {
    logger.warn('could not tell a Slack user', { user: input.user, error: err as Error });
  }
}

export type SlackDeps = Pick<Deps, 'store' | 'grants' | 'clock' | 'policy' | 'workflows' | 'directory' | 'slack'>;

const NOT_LINKED = (user: string) =>
  `Your Slack account (${user}) is not linked to anyone in hitl-gate's directory, so nothing was decided. Ask your hitl-gate administrator to add your Slack member id to the directory.`;

/**
 * One interaction: an Approve click decides at once; a Reject click opens the modal that asks why; the
 * modal's submit rejects with that reason. The Slack user must be a directory person; everything else (the
 * requester, the step, the quorum, the authority, the action hash) is decideReview's, as for any decision.
 */
export async function onSlackInteraction(deps: SlackDeps, interaction: SlackInteraction): Promise<SlackAnswer> {
  const person = deps.directory.bySlack(interaction.slackUser);
  if (interaction.kind === 'button' && interaction.action === 'reject') {
    if (!person) {
      await tellUser(deps, {
        channel: interaction.channel,
        user: interaction.slackUser,
        text: NOT_LINKED(interaction.slackUser),
      });
      return { kind: 'ok' };
    }
    const review = await deps.store.get(interaction.ref.reviewId);
    await deps.slack.openModal(interaction.triggerId, rejectModal(review, interaction.ref));
    return { kind: 'ok' };
  }
  const refuse = async (text: string): Promise<SlackAnswer> => {
    if (interaction.kind === 'reject-reason') return { kind: 'modal-errors', errors: { reason: text } };
    await tellUser(deps, { channel: interaction.channel, user: interaction.slackUser, text });
    return { kind: 'ok' };
  };
  if (!person) return refuse(NOT_LINKED(interaction.slackUser));
  const decision = interaction.kind === 'button' ? 'approve' : 'reject';
  if (interaction.kind === 'reject-reason' && !interaction.reason.trim())
    return refuse('Say why you reject it: the agent is told your reason.');
  try {
    const { review } = await decideReview(deps, {
      reviewId: interaction.ref.reviewId,
      approverId: person.id,
      nonce: slackNonce(interaction.ref, interaction.slackUser),
      step: interaction.ref.step,
      actionHash: interaction.ref.actionHash,
      decision,
      ...(interaction.kind === 'reject-reason' ? { reason: interaction.reason.trim() } : {}),
    });
    logger.info('decided from Slack', { reviewId: review.id, approver: person.id, decision, status: review.status });
    await updateSlackMessages(deps, review);
    return { kind: 'ok' };
  } catch (err) {
    if (!isDomainError(err)) throw err;
    logger.info('a Slack decision was refused', {
      reviewId: interaction.ref.reviewId,
      approver: person.id,
      refusal: err.code,
    });
    const text =
      err.code === 'TokenUsed' ? 'You have already decided this review from Slack; nothing changed.' : err.message;
    return refuse(text);
  }
}
