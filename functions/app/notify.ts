// The emails of a review step: one signed, single-use decision link per approver, with their inbox link; and a plain notice for
// the watchers, the people the policy's `notify` list names (e.g. security on a critical change).
import type { Directory } from '../domain/policy.ts';
import { ReviewNotFound } from '../domain/errors.ts';
import { approvalRequested, type BusEvent } from '../domain/review-events.ts';
import { claimNotification, currentApprovers, notificationSent, type Review, unchanged } from '../domain/review.ts';
import { decisionLinkExpiry, INBOX_LINK_DAYS, newNonce, signDecisionToken, signInboxToken } from '../domain/tokens.ts';
import { logger } from '../adapters/logger.ts';
import type { Deps } from './deps.ts';
import { approverZone, noticeEmail, reviewEmail } from './emails.ts';
import { mutate } from './mutate.ts';

const DAY = 24 * 3600_000;

/** A URL of the HTTP API, for a link in an email. */
function publicLink(publicUrl: string, path: string, token: string): string {
  const link = new URL(path, publicUrl.endsWith('/') ? publicUrl : `${publicUrl}/`);
  link.searchParams.set('t', token);
  return link.toString();
}

/** Emails each current approver their own decision link (signed with `key`); returns who was emailed. */
export async function emailCurrentApprovers(
  deps: Pick<Deps, 'mailer' | 'clock' | 'publicUrl' | 'directory' | 'policy'>,
  review: Review,
  key: Uint8Array,
  intro?: string,
): Promise<string[]> {
  const now = deps.clock.now();
  const approvers = currentApprovers(review);
  for (const approver of approvers) {
    const token = await signDecisionToken(
      key,
      {
        reviewId: review.id,
        approverId: approver.id,
        step: review.step,
        nonce: newNonce(),
        expiresAt: decisionLinkExpiry(review.deadline, now),
      },
      now,
    );
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
      ...(intro ? { intro } : {}),
    });
    const messageId = await deps.mailer.send(email);
    logger.info('approver notified', { reviewId: review.id, approver: approver.id, step: review.step, messageId });
  }
  return approvers.map((a) => a.id);
}

/** Tells the review's watchers (no decision link: they are informed, they do not decide); returns who was told. */
export async function emailWatchers(
  deps: Pick<Deps, 'mailer' | 'directory'>,
  review: Review,
  why: string,
): Promise<string[]> {
  const watchers = watchersOf(deps.directory, review);
  for (const w of watchers) {
    const messageId = await deps.mailer.send(noticeEmail(review, w, why));
    logger.info('watcher notified', { reviewId: review.id, watcher: w.id, messageId });
  }
  return watchers.map((w) => w.id);
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
 * execution's claim means it emails, unless it has not done so within NOTIFY_LEASE_MS), then each approver gets
 * a link, and at the first step the watchers a notice, and the claim is marked sent. Returns the "Approval
 * Requested" event to publish. The sweeper calls it too, for a claim whose emails never went out.
 */
export async function notifyStep(
  deps: Deps,
  input: { reviewId: string; executionRef: string },
  linkKey: Uint8Array,
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
  const notified = await emailCurrentApprovers(deps, review, linkKey);
  if (review.step === 0 && review.notify.length)
    await emailWatchers(
      deps,
      review,
      `${review.pattern === 'block_until_reviewed' ? 'A critical' : 'An'} action is waiting for review`,
    );
  // The claim is done: nobody takes it over. A crash before this line has the sweeper send again, after the lease.
  await mutate(deps.store, review.id, (current) => {
    if (current?.status !== 'PENDING' || current.step !== review.step) return unchanged('moved-on');
    return notificationSent(current, deps.clock.now());
  });
  return { notified, event: approvalRequested(review, now) };
}
