import middy from '@middy/core';
import type { Context, SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { linkKeyFrom, linkKeyMiddleware } from '../adapters/link-key.ts';
import { logger } from '../adapters/logger.ts';
import { hideFor } from '../adapters/notification-queue.ts';
import { count, Metric, measure, observability } from '../adapters/observability.ts';
import { wire } from '../app/deps.ts';
import { reviewsTable } from '../adapters/reviews-table.ts';
import { systemClock } from '../adapters/clock.ts';
import { publicUrl, stageMailer } from '../adapters/mail.ts';
import { stageSlack } from '../adapters/slack.ts';
import { directory, policy } from '../adapters/policy-files.ts';
import { notificationNotDelivered, sendNotification } from '../app/notify.ts';
import { MailNotSent, MailRefused, type Notification, SlackRefused } from '../app/ports.ts';
import { config } from '../config.ts';

const deps = wire({
  store: reviewsTable,
  clock: systemClock,
  mailer: stageMailer,
  slack: stageSlack,
  publicUrl,
  policy,
  directory,
});

const Queued = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('approver'),
    reviewId: z.string().min(1),
    step: z.number().int().min(0),
    approverId: z.string().min(1),
    intro: z.string().optional(),
    queuedAt: z.iso.datetime(),
  }),
  z.object({
    kind: z.literal('watcher'),
    reviewId: z.string().min(1),
    step: z.number().int().min(0),
    watcherId: z.string().min(1),
    why: z.string(),
    queuedAt: z.iso.datetime(),
  }),
  z.object({
    kind: z.literal('slack'),
    reviewId: z.string().min(1),
    step: z.number().int().min(0),
    channel: z.string().min(1),
    approverId: z.string().min(1).optional(),
    intro: z.string().optional(),
    queuedAt: z.iso.datetime(),
  }),
  z.object({
    kind: z.literal('slack-update'),
    reviewId: z.string().min(1),
    step: z.number().int().min(0),
    queuedAt: z.iso.datetime(),
  }),
]);

/** The longest a throttled email waits before it is tried again (SES asks for up to 10 minutes). */
const MAX_BACKOFF_SECONDS = 300;

/** Seconds before the `receives`-th try is followed by another: 2, 4, 8 ... up to MAX_BACKOFF_SECONDS. */
export function backoffSeconds(receives: number): number {
  return Math.min(2 ** Math.max(1, receives), MAX_BACKOFF_SECONDS);
}

function parse(record: SQSRecord): Notification | undefined {
  try {
    const parsed = Queued.safeParse(JSON.parse(record.body));
    return parsed.success ? (parsed.data as Notification) : undefined;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The notifications queue's consumer (SQS, ReportBatchItemFailures): sends each email of the batch, spaced so
 * that all senders together stay within the account's sending rate (MAIL_SEND_RATE over MAIL_SENDERS). A
 * throttled send is tried again later, with backoff, and so is the rest of its batch; on its last receive
 * (MAIL_MAX_RECEIVES) an email that still cannot go out is said on the review and left to the dead-letter queue.
 */
export async function sendNotifications(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  const key = linkKeyFrom(context);
  const settings = config();
  const gapMs = (1000 * settings.MAIL_SENDERS) / settings.MAIL_SEND_RATE;
  const failures: SQSBatchItemFailure[] = [];
  let throttled = false;
  let nextAt = 0;
  const retryLater = async (record: SQSRecord, seconds: number) => {
    failures.push({ itemIdentifier: record.messageId });
    await hideFor(settings.NOTIFICATION_QUEUE_URL, record.receiptHandle, seconds);
  };
  for (const record of event.Records) {
    const receives = Number(record.attributes.ApproximateReceiveCount) || 1;
    const last = receives >= settings.MAIL_MAX_RECEIVES;
    const n = parse(record);
    // SES's throttling holds back the rest of the batch's emails, not its Slack messages.
    const email = n?.kind !== 'slack' && n?.kind !== 'slack-update';
    if (throttled && !last && email) {
      await retryLater(record, backoffSeconds(receives));
      continue;
    }
    if (!n) {
      // Only a bug writes such a message: it goes to the dead-letter queue (and its alarm), never silently away.
      logger.error('a notification that is not one', { messageId: record.messageId, body: record.body.slice(0, 500) });
      failures.push({ itemIdentifier: record.messageId });
      continue;
    }
    // Emails are spaced at SES's rate; Slack's own limit answers a too-fast post, which is retried later.
    if (email) {
      await sleep(Math.max(0, nextAt - Date.now()));
      nextAt = Date.now() + gapMs;
    }
    try {
      const result = await sendNotification(deps(), n, key);
      if (result === 'sent') measure(Metric.NotificationDelay, deps().clock.now().getTime() - Date.parse(n.queuedAt));
      else logger.info('notification not sent', { reviewId: n.reviewId, step: n.step, result });
    } catch (err) {
      const why = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      if (err instanceof MailNotSent) {
        throttled = true;
        count(Metric.NotificationsThrottled);
      }
      if (last) {
        count(Metric.NotificationsNotDelivered);
        await notificationNotDelivered(deps(), n, why);
        failures.push({ itemIdentifier: record.messageId });
        continue;
      }
      logger.warn('notification not sent; it is tried again later', { reviewId: n.reviewId, receives, why });
      // A refused message would be refused again: straight on to its last try (and the dead-letter queue).
      await retryLater(
        record,
        err instanceof MailRefused || err instanceof SlackRefused ? 0 : backoffSeconds(receives),
      );
    }
  }
  return { batchItemFailures: failures };
}

export const handler = middy(sendNotifications).use(observability()).use(linkKeyMiddleware());
