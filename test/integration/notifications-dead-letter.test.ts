// An email that can never go out (SES's sandbox refuses every unverified recipient) is tried until the
// queue's maxReceiveCount, said on the review, and kept in the dead-letter queue: never dropped.
import { GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { purchaseOrder } from '../support/proposals.ts';
import { useLocalReviews } from '../support/reviews.ts';

const local = useLocalReviews({ sesQuota: { maxSendRate: 1, max24HourSend: 200, verified: [] } });

it('records on the review every approver who could not be emailed, and keeps each email in the dead-letter queue', async () => {
  const { h, reviews } = local;
  const opened = await reviews.open(purchaseOrder(5000));
  const approvers = opened.review.route[0]!.approvers.map((a) => a.id);
  const failed = async () =>
    (await reviews.get(opened.id))?.history.filter((e) => e.what === 'notification_failed') ?? [];
  for (let i = 0; i < 200 && (await failed()).length < approvers.length; i++) {
    h.app.clock.advance(1_000);
    await h.app.idle();
    await new Promise((r) => setTimeout(r, 20));
  }
  const entries = await failed();
  expect(entries.map((e) => e.note).sort()).toEqual(
    approvers
      .map(
        (id) =>
          `step 1: the email to ${id} could not be sent (MailRefused: MessageRejected: Email address is not verified. The following identities failed the check in region LOCAL: ${opened.review.route[0]!.approvers.find((a) => a.id === id)!.email}); it is in the notifications' dead-letter queue`,
      )
      .sort(),
  );
  expect(h.app.mail.sent).toBe(0);

  // The dead-letter queue holds the three emails, as any SQS client reads them.
  const sqs = new SQSClient({
    endpoint: h.app.url,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const dlq = h.app.sqs.queues.find((q) => q.name === 'hitl-gate-dev-notifications-dlq')!;
  // After its last try an email comes back once its visibility timeout (6 minutes) is over, and moves.
  for (let i = 0; i < 20 && h.app.sqs.counts(dlq.url).visible < approvers.length; i++) {
    h.app.clock.advance(60_000);
    await h.app.idle();
  }
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlq.url, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  expect(attributes.Attributes?.ApproximateNumberOfMessages).toBe(String(approvers.length));
  const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq.url, MaxNumberOfMessages: 10 }));
  expect(Messages?.map((m) => (JSON.parse(m.Body!) as { approverId: string }).approverId).sort()).toEqual(
    [...approvers].sort(),
  );
}, 120_000);
