import {
  ChangeMessageVisibilityCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Notification, Notifications } from '../app/ports.ts';
import { config } from '../config.ts';
import { tracer } from './observability.ts';

/** SendMessageBatch takes at most 10 entries. */
const BATCH = 10;
/** Entries SQS failed on its side (not the sender's fault) are sent again this many times before it throws. */
const ATTEMPTS = 3;

let client: SQSClient | undefined;
const sqs = () => {
  client ??= tracer.captureAWSv3Client(new SQSClient({}));
  return client;
};

/** The notifications queue on SQS: each notification one message, in batches of 10. */
export function notificationQueue(queueUrl: () => string): Notifications {
  return { enqueue: (notifications) => enqueue(queueUrl(), notifications) };
}

/** The Notifications port on the function's queue (NOTIFICATION_QUEUE_URL). */
export const stageNotifications = (): Notifications => notificationQueue(() => config().NOTIFICATION_QUEUE_URL);

async function enqueue(queueUrl: string, notifications: Notification[]): Promise<void> {
  for (let i = 0; i < notifications.length; i += BATCH) {
    let entries: SendMessageBatchRequestEntry[] = notifications
      .slice(i, i + BATCH)
      .map((n, j) => ({ Id: String(i + j), MessageBody: JSON.stringify(n) }));
    for (let attempt = 1; entries.length; attempt++) {
      const out = await sqs().send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
      const failed = out.Failed ?? [];
      const theirs = failed.filter((f) => !f.SenderFault);
      if (failed.length > theirs.length || attempt === ATTEMPTS)
        throw new Error(
          `SendMessageBatch failed for ${failed.length} of ${entries.length} notifications: ${failed.map((f) => `${f.Code}: ${f.Message}`).join('; ')}`,
        );
      entries = entries.filter((e) => theirs.some((f) => f.Id === e.Id));
    }
  }
}

/** Keeps a received message out of sight for `seconds` (a backoff before it is received again). */
export async function hideFor(queueUrl: string, receiptHandle: string, seconds: number): Promise<void> {
  await sqs().send(
    new ChangeMessageVisibilityCommand({
      QueueUrl: queueUrl,
      ReceiptHandle: receiptHandle,
      VisibilityTimeout: seconds,
    }),
  );
}
