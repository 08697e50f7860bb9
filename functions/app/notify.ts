// The emails of a review step: one signed, single-use decision link per approver, with their inbox link; and a plain notice for
// the watchers, the people the policy's `notify` list names (e.g. security on a critical change). They are
// queued (the notifications queue, SQS) and sent by the sender at the account's sending rate, so a burst of
// reviews never waits on SES nor fails for its throttling: the review opens and is announced at once.
import type { Directory } from '../domain/policy.ts';
import { ReviewNotFound } from '../domain/errors.ts';
import { approvalRequested, type BusEvent } from '../domain/review-events.ts';
import {
  claimNotification,
  currentApprovers,
  emailedAt,
  notificationSent,
  type Review,
  recordEmailed,
  recordNotDelivered,
  unchanged,
} from '../domain/review.ts';
import { decisionLinkExpiry, INBOX_LINK_DAYS, newNonce, signDecisionToken, signInboxToken } from '../domain/tokens.ts';
import { logger } from '../adapters/logger.ts';
import type { Deps } from './deps.ts';
import type { Notification, SendResult } from './ports.ts';
import { postSlackMessage, updateSlackMessages } from './slack.ts';
import { approverZone, noticeEmail, reviewEmail } from './emails.ts';
import { mutate } from './mutate.ts';

const DAY = 24 * 3600_000;

/** A URL of the HTTP API, for a link in an email. */
function publicLink(publicUrl: string, path: string, token: string): string {
  const link = new URL(path, publicUrl.endsWith('/') ? publicUrl : `${publicUrl}/`);
  link.searchParams.set('t', token);
  return link.toString();
}

/**
 * Queues the current step's messages to its approvers (`intro`: the line an escalation or a reminder opens
 * with): an email to each, and where the step asks in Slack, its channel message or a direct message to each
 * approver with a Slack id. A step asking in Slack only still emails whoever Slack would not reach. Returns who
 * is to be told. The sender builds each message when its turn comes.
 */
export async function queueApproverEmails(
  deps: Pick<Deps, 'notifications' | 'clock'>,
  review: Review,
  intro?: string,
): Promise<string[]> {
  const queuedAt = deps.clock.now().toISOString();
  const approvers = currentApprovers(review);
  const step = review.route[review.step];
  const channels = step?.channels ?? ['email'];
  const inSlack = channels.includes('slack');
  const channel = inSlack ? step?.slackChannel : undefined;
  const base = { reviewId: review.id, step: review.step, ...(intro ? { intro } : {}), queuedAt };
  const slack: Notification[] = !inSlack
    ? []
    : channel
      ? [{ kind: 'slack', ...base, channel }]
      : approvers.flatMap((a) =>
          a.slack ? [{ kind: 'slack' as const, ...base, channel: a.slack, approverId: a.id }] : [],
        );
  const emailed = approvers.filter((a) => channels.includes('email') || (!channel && !a.slack));
  await deps.notifications.enqueue([
    ...emailed.map((a): Notification => ({ kind: 'approver', ...base, approverId: a.id })),
    ...slack,
  ]);
  return approvers.map((a) => a.id);
}

/** Queues a notice to each of the review's watchers (no decision link: they are informed, they do not decide). */
export async function queueWatcherNotices(
  deps: Pick<Deps, 'notifications' | 'clock' | 'directory'>,
  review: Review,
  why: string,
): Promise<string[]> {
  const queuedAt = deps.clock.now().toISOString();
  const watchers = watchersOf(deps.directory, review);
  await deps.notifications.enqueue(
    watchers.map((w) => ({ kind: 'watcher', reviewId: review.id, step: review.step, watcherId: w.id, why, queuedAt })),
  );
  return watchers.map((w) => w.id);
}

/**
 * Sends one queued notification, built from the review as it is now: nothing for a review decided or moved to
 * another step since, nor for an approver no longer on it; an approver emailed after it was queued (the same
 * message delivered twice) is not emailed again. Throws the mailer's errors (MailNotSent: try again later).
 */
export async function sendNotification(
  deps: Pick<Deps, 'store' | 'mailer' | 'slack' | 'clock' | 'publicUrl' | 'directory' | 'policy'>,
  n: Notification,
  key: Uint8Array,
): Promise<SendResult> {
  const review = await deps.store.get(n.reviewId);
  if (n.kind === 'slack-update') {
    // A review still waiting updates its messages itself (a click's quorum progress); this is for its end.
    if (!review?.slackMessages?.length || review.status === 'PENDING') return 'stale';
    await updateSlackMessages(deps, review, { rethrow: true });
    return 'sent';
  }
  if (review?.status !== 'PENDING' || review.step !== n.step) return 'stale';
  const now = deps.clock.now();
  if (n.kind === 'slack')
    return postSlackMessage(deps, review, n, async (approverId) =>
      publicLink(
        deps.publicUrl,
        `reviews/${encodeURIComponent(review.id)}`,
        await decisionToken(key, review, approverId, now),
      ),
    );
  if (n.kind === 'watcher') {
    const watcher = watchersOf(deps.directory, review).find((w) => w.id === n.watcherId);
    if (!watcher) return 'stale';
    const messageId = await deps.mailer.send(noticeEmail(review, watcher, n.why));
    logger.info('watcher notified', { reviewId: review.id, watcher: watcher.id, messageId });
    return 'sent';
  }
  const approver = currentApprovers(review).find((a) => a.id === n.approverId);
  if (!approver) return 'stale';
  const sentAt = emailedAt(review, approver.id);
  if (sentAt && sentAt >= n.queuedAt) return 'sent-before';
  const token = await decisionToken(key, review, approver.id, now);
  const inboxToken = await signInboxToken(
    key,
    { approverId: approver.id, nonce: newNonce(), expiresAt: new Date(now.getTime() + INBOX_LINK_DAYS * DAY) },
    now,
  );
  const link = publicLink(deps.publicUrl, `reviews/${encodeURIComponent(review.id)}`, token);
  const zone = approverZone(deps, review, approver.id);
  const email = reviewEmail(review, approver, link, {
    zone,
    now,
    inboxLink: publicLink(deps.publicUrl, 'inbox', inboxToken),
    ...(n.intro ? { intro: n.intro } : {}),
  });
  const messageId = await deps.mailer.send(email);
  logger.info('approver notified', { reviewId: review.id, approver: approver.id, step: review.step, messageId });
  // Recorded on the review read above: one read per email; a change since then only costs a lost race.
  await mutate(
    deps.store,
    review.id,
    (current) => {
      if (!current) throw new ReviewNotFound(review.id);
      return recordEmailed(current, n.step, approver.id, deps.clock.now());
    },
    { read: review },
  );
  return 'sent';
}

/** A signed, single-use decision link's token for one approver at the review's current step. */
function decisionToken(key: Uint8Array, review: Review, approverId: string, now: Date): Promise<string> {
  return signDecisionToken(
    key,
    {
      reviewId: review.id,
      approverId,
      step: review.step,
      nonce: newNonce(),
      expiresAt: decisionLinkExpiry(review.deadline, now),
    },
    now,
  );
}

/** Says on the review that a notification could not be sent after every retry (it goes to the dead-letter queue). */
export async function notificationNotDelivered(
  deps: Pick<Deps, 'store' | 'clock'>,
  n: Notification,
  why: string,
): Promise<void> {
  const person =
    n.kind === 'approver'
      ? n.approverId
      : n.kind === 'watcher'
        ? n.watcherId
        : n.kind === 'slack'
          ? (n.approverId ?? n.channel)
          : 'its approvers';
  const message = n.kind === 'slack' ? 'Slack message' : n.kind === 'slack-update' ? 'Slack update' : 'email';
  await mutate(deps.store, n.reviewId, (current) =>
    current ? recordNotDelivered(current, n.step, person, why, deps.clock.now(), message) : unchanged('gone'),
  );
  logger.error('notification not delivered', { reviewId: n.reviewId, step: n.step, to: person, why });
}

/** A review's watchers, from the directory (someone since removed is skipped). */
function watchersOf(directory: Directory, review: Review): { id: string; name: string; email: string }[] {
  return review.notify.flatMap((id) => {
    const p = directory.person(id);
    return p ? [{ id: p.id, name: p.name, email: p.email }] : [];
  });
}

/**
 * Intake's notification of the current step: claimed once per step (a lost race is decided again, and another
 * execution's claim means it queues, unless it has not done so within NOTIFY_LEASE_MS), then an email to each
 * approver, and at the first step a notice to the watchers, is queued, and the claim is marked done. Returns
 * the "Approval Requested" event to publish. The sweeper calls it too, for a claim whose emails were never queued.
 */
export async function notifyStep(
  deps: Pick<Deps, 'store' | 'clock' | 'notifications' | 'directory'>,
  input: { reviewId: string; executionRef: string },
): Promise<{ notified: string[]; event?: BusEvent }> {
  const now = deps.clock.now();
  const { step, review } = await mutate(deps.store, input.reviewId, (current) => {
    if (!current) throw new ReviewNotFound(input.reviewId);
    if (current.status !== 'PENDING') return unchanged('decided');
    return claimNotification(current, input.executionRef, now);
  });
  if (step.kind === 'unchanged' && step.reason === 'taken')
    logger.info('approvers already notified for this step', { reviewId: input.reviewId, step: review?.step });
  const mine = step.kind === 'notification-claimed' || (step.kind === 'unchanged' && step.reason === 'mine');
  if (!mine || !review) return { notified: [] };
  const notified = await queueApproverEmails(deps, review);
  if (review.step === 0 && review.notify.length)
    await queueWatcherNotices(
      deps,
      review,
      `${review.pattern === 'block_until_reviewed' ? 'A critical' : 'An'} action is waiting for review`,
    );
  // The claim is done: nobody takes it over. A crash before this line has the sweeper queue again, after the lease.
  await mutate(deps.store, review.id, (current) => {
    if (current?.status !== 'PENDING' || current.step !== review.step) return unchanged('moved-on');
    return notificationSent(current, deps.clock.now());
  });
  return { notified, event: approvalRequested(review, now) };
}
