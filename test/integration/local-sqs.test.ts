// Local SQS through the real SDK client: what SQS accepts and refuses, with its error names, visibility
// timeouts and receive counts, and IAM on every call.
import { createHash } from 'node:crypto';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { useLocalReviews } from '../support/reviews.ts';

const local = useLocalReviews();
const client = (key = 'local') =>
  new SQSClient({
    endpoint: local.h.app.url,
    region: 'eu-west-1',
    credentials: { accessKeyId: key, secretAccessKey: key },
  });
// A queue no function reads: what is sent stays until a test takes it.
const queueUrl = () => local.h.app.sqs.queues.find((q) => q.name === 'hitl-gate-dev-intake-dlq')!.url;
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: Error) => ({ name: e.name, message: e.message }),
  );

describe('local SQS', () => {
  it('sends, hides a received message for its visibility timeout, shows it again, and deletes it', async () => {
    const sqs = client();
    const QueueUrl = queueUrl();
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'héllo' }));
    expect(sent.MD5OfMessageBody).toBe(createHash('md5').update('héllo').digest('hex'));
    const first = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 30 }),
    );
    expect(first.Messages?.map((m) => [m.MessageId, m.Body])).toEqual([[sent.MessageId, 'héllo']]);
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages ?? []).toEqual([]);
    local.h.app.clock.advance(31_000);
    const again = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ['All'] }));
    expect(again.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
    const handle = again.Messages![0]!.ReceiptHandle!;
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: handle, VisibilityTimeout: 0 }));
    const third = await sqs.send(new ReceiveMessageCommand({ QueueUrl }));
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: third.Messages![0]!.ReceiptHandle! }));
    local.h.app.clock.advance(60_000);
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages ?? []).toEqual([]);
    const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
    expect(attributes.Attributes).toMatchObject({ ApproximateNumberOfMessages: '0', MaximumMessageSize: '262144' });
    expect((await sqs.send(new GetQueueUrlCommand({ QueueName: 'hitl-gate-dev-intake-dlq' }))).QueueUrl).toBe(QueueUrl);
  });

  it('refuses what SQS refuses, with its error names', async () => {
    const sqs = client();
    const QueueUrl = queueUrl();
    const entry = (Id: string) => ({ Id, MessageBody: 'x' });
    expect(
      await refusal(
        sqs.send(
          new SendMessageBatchCommand({ QueueUrl, Entries: Array.from({ length: 11 }, (_, i) => entry(`e${i}`)) }),
        ),
      ),
    ).toMatchObject({ name: 'TooManyEntriesInBatchRequest' });
    expect(
      await refusal(sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: [entry('a'), entry('a')] }))),
    ).toMatchObject({ name: 'BatchEntryIdsNotDistinct' });
    expect(await refusal(sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: [entry('a b')] })))).toMatchObject({
      name: 'InvalidBatchEntryId',
    });
    expect(await refusal(sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: [] })))).toMatchObject({
      name: 'EmptyBatchRequest',
    });
    expect(
      await refusal(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x'.repeat(262_145) }))),
    ).toMatchObject({ name: 'InvalidParameterValue', message: expect.stringContaining('shorter than 262144 bytes') });
    expect(await refusal(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'bell \u0007' })))).toMatchObject({
      name: 'InvalidMessageContents',
    });
    expect(
      await refusal(sqs.send(new SendMessageCommand({ QueueUrl: `${QueueUrl}-nope`, MessageBody: 'x' }))),
    ).toMatchObject({ name: 'QueueDoesNotExist' });
    expect(await refusal(sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 11 })))).toMatchObject({
      name: 'InvalidParameterValue',
    });
    // A batch with one message too large: that entry fails, the other is sent.
    const batch = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: [entry('ok'), { Id: 'big', MessageBody: 'x'.repeat(262_145) }],
      }),
    );
    expect(batch.Successful?.map((s) => s.Id)).toEqual(['ok']);
    expect(batch.Failed).toEqual([
      expect.objectContaining({ Id: 'big', SenderFault: true, Code: 'InvalidParameterValue' }),
    ]);
  });

  it('denies a caller whose policies do not allow the call (the agent key has no SQS grant)', async () => {
    expect(
      await refusal(client('agent').send(new SendMessageCommand({ QueueUrl: queueUrl(), MessageBody: 'x' }))),
    ).toMatchObject({ name: 'AccessDeniedException' });
  });
});
