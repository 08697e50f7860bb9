// The emails of a review step: one signed, single-use decision link per approver; and a plain
// notice for the people the policy says to inform (e.g. security on a critical change).
import { config } from '../config.ts';
import { policy } from '../adapters/policy-files.ts';
import { logger } from '../adapters/logger.ts';
import { sendEmail } from '../adapters/mail.ts';
import { currentApprovers, type Review } from '../domain/review.ts';
import { newNonce, signDecisionToken } from '../domain/tokens.ts';
import { noticeEmail, reviewEmail } from './emails.ts';

const DAY = 24 * 3600_000;

/** A link stays valid a day past the step's deadline, so a late click shows what happened instead of failing. */
function linkExpiry(review: Review, now: Date): Date {
  const due = review.deadline ? Date.parse(review.deadline) : now.getTime() + 7 * DAY;
  return new Date(Math.max(due, now.getTime()) + DAY);
}

/** Emails each current approver their own decision link; returns who was emailed. */
export async function emailCurrentApprovers(
  review: Review,
  key: Uint8Array,
  now: Date,
  intro?: string,
): Promise<string[]> {
  const { MAIL_FROM, PUBLIC_URL } = config();
  const base = new URL(
    `reviews/${encodeURIComponent(review.id)}`,
    PUBLIC_URL.endsWith('/') ? PUBLIC_URL : `${PUBLIC_URL}/`,
  );
  const approvers = currentApprovers(review);
  for (const approver of approvers) {
    const token = await signDecisionToken(
      key,
      {
        reviewId: review.id,
        approverId: approver.id,
        step: review.step,
        nonce: newNonce(),
        expiresAt: linkExpiry(review, now),
      },
      now,
    );
    const link = new URL(base);
    link.searchParams.set('t', token);
    const messageId = await sendEmail(MAIL_FROM, reviewEmail(review, approver, link.toString(), intro));
    logger.info('approver notified', { reviewId: review.id, approver: approver.id, step: review.step, messageId });
  }
  return approvers.map((a) => a.id);
}

/** Tells the policy's notify list (no decision link: they are informed, they do not decide). */
export async function emailWatchers(
  review: Review,
  watchers: { id: string; name: string; email: string }[],
  why: string,
): Promise<string[]> {
  for (const w of watchers) {
    const messageId = await sendEmail(config().MAIL_FROM, noticeEmail(review, w, why));
    logger.info('watcher notified', { reviewId: review.id, watcher: w.id, messageId });
  }
  return watchers.map((w) => w.id);
}

/** The people on a review's notify list, from the directory (someone since removed is skipped). */
export function watchersOf(review: Review): { id: string; name: string; email: string }[] {
  return review.notify.flatMap((id) => {
    const p = policy().person(id);
    return p ? [{ id: p.id, name: p.name, email: p.email }] : [];
  });
}
