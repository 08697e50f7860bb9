// Local SQS: the standard queues of serverless.yml's resources, spoken over SQS's AWS JSON protocol
// (AmazonSQS.SendMessage and the rest), with SQS's own limits and error names, visibility timeouts, receive
// counts and a redrive policy that moves a message to its dead-letter queue once it was received more than
// maxReceiveCount times. And Lambda's event source mapping for the functions' `sqs` events: it polls a
// queue, invokes the function with a batch, deletes what the function handled (all of it, or all but the
// batchItemFailures it reports), and leaves the rest to come back after the visibility timeout.
import { createHash, randomUUID } from 'node:crypto';
import { AwsError } from './errors.ts';

/** A queue as the template declares it (AWS::SQS::Queue), with SQS's defaults where it says nothing. */
export interface QueueWiring {
  name: string;
  url: string;
  arn: string;
  visibilityTimeoutSeconds: number;
  maxMessageBytes: number;
  retentionSeconds: number;
  delaySeconds: number;
  redrive?: { deadLetterTargetArn: string; maxReceiveCount: number };
}

/** A function's `sqs` event: Lambda's event source mapping. */
export interface QueueTrigger {
  functionArn: string;
  functionKey: string;
  queueArn: string;
  batchSize: number;
  maximumBatchingWindowSeconds: number;
  reportBatchItemFailures: boolean;
  /** How many batches of this queue the mapping hands the function at once (ScalingConfig.MaximumConcurrency). */
  maximumConcurrency: number;
}

/** SQS's defaults (API reference, CreateQueue). */
export const QUEUE_DEFAULTS = {
  visibilityTimeoutSeconds: 30,
  maxMessageBytes: 262_144,
  retentionSeconds: 345_600,
  delaySeconds: 0,
};
/** The largest message any queue takes, and the largest batch (SendMessageBatch), whatever MaximumMessageSize says. */
const MAX_MESSAGE_BYTES = 1_048_576;
const MAX_BATCH_ENTRIES = 10;
/** A mapping's default concurrency when the function names none: Lambda scales to 1,000 for standard queues; here, enough. */
export const DEFAULT_MAPPING_CONCURRENCY = 5;

interface Message {
  id: string;
  body: string;
  md5: string;
  attributes: Record<string, unknown>;
  sentAt: number;
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  /** The handle of the latest receive; an older one no longer changes or deletes it. */
  handle?: string;
}

class Queue {
  readonly wiring: QueueWiring;
  messages: Message[] = [];
  constructor(wiring: QueueWiring) {
    this.wiring = wiring;
  }
}

const ID = /^[A-Za-z0-9_-]{1,80}$/;
// The characters SQS allows in a message (its API reference, SendMessage): XML's, no other control characters.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what it refuses.
const NOT_ALLOWED = /[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

export interface SqsEvent {
  Records: {
    messageId: string;
    receiptHandle: string;
    body: string;
    attributes: Record<string, string>;
    messageAttributes: Record<string, unknown>;
    md5OfBody: string;
    eventSource: 'aws:sqs';
    eventSourceARN: string;
    awsRegion: string;
  }[];
}

export class LocalSqs {
  readonly #byUrl = new Map<string, Queue>();
  readonly #byArn = new Map<string, Queue>();
  readonly #now: () => number;
  readonly #region: string;
  readonly #triggers: QueueTrigger[];
  #timer: NodeJS.Timeout | undefined;
  readonly #inFlight = new Map<QueueTrigger, number>();
  readonly #running = new Set<Promise<void>>();
  /** Messages moved to a dead-letter queue, and batches whose function failed: for tests and the log. */
  movedToDeadLetter = 0;
  failedBatches = 0;
  /** Told each request Lambda's poller makes on a mapped queue (a receive that got messages, a batch delete). */
  readonly #meter: { sqs(operation: string, bytes: number): void } | undefined;

  constructor(
    queues: QueueWiring[],
    triggers: QueueTrigger[],
    region: string,
    now: () => number,
    meter?: { sqs(operation: string, bytes: number): void },
  ) {
    this.#meter = meter;
    for (const q of queues) {
      const queue = new Queue(q);
      this.#byUrl.set(q.url, queue);
      this.#byArn.set(q.arn, queue);
    }
    for (const t of triggers)
      if (!this.#byArn.has(t.queueArn))
        throw new Error(
          `functions.${t.functionKey}: its sqs event names ${t.queueArn}, which is no queue of the template`,
        );
    this.#triggers = triggers;
    this.#region = region;
    this.#now = now;
  }

  get queues(): QueueWiring[] {
    return [...this.#byUrl.values()].map((q) => q.wiring);
  }

  queue(url: string): Queue {
    const q = this.#byUrl.get(url);
    if (!q) throw new AwsError('QueueDoesNotExist', 'The specified queue does not exist.');
    return q;
  }

  /** The queue a URL names, as its ARN (IAM's resource); undefined when there is none (SQS answers that itself). */
  arnOf(url: string): string | undefined {
    return this.#byUrl.get(url)?.wiring.arn;
  }

  /** Visible and in flight (not yet visible again) messages of a queue, expired ones dropped first. */
  counts(url: string): { visible: number; notVisible: number; delayed: number } {
    const q = this.queue(url);
    this.#expire(q);
    const now = this.#now();
    let visible = 0;
    let notVisible = 0;
    let delayed = 0;
    for (const m of q.messages) {
      if (m.visibleAt <= now) visible++;
      else if (m.receiveCount === 0) delayed++;
      else notVisible++;
    }
    return { visible, notVisible, delayed };
  }

  sendMessage(input: Record<string, unknown>): { MessageId: string; MD5OfMessageBody: string } {
    const q = this.queue(String(input.QueueUrl));
    const body = String(input.MessageBody);
    this.#checkBody(q, body);
    return this.#enqueue(q, body, input.DelaySeconds as number | undefined, input.MessageAttributes);
  }

  sendMessageBatch(input: Record<string, unknown>) {
    const q = this.queue(String(input.QueueUrl));
    const entries = input.Entries as {
      Id: string;
      MessageBody: string;
      DelaySeconds?: number;
      MessageAttributes?: unknown;
    }[];
    this.#checkBatch(entries);
    const total = entries.reduce((n, e) => n + Buffer.byteLength(e.MessageBody, 'utf8'), 0);
    if (total > Math.max(q.wiring.maxMessageBytes, MAX_MESSAGE_BYTES))
      throw new AwsError(
        'BatchRequestTooLong',
        `Batch requests cannot be longer than ${MAX_MESSAGE_BYTES} bytes. You have sent ${total} bytes.`,
      );
    const Successful: { Id: string; MessageId: string; MD5OfMessageBody: string }[] = [];
    const Failed: { Id: string; SenderFault: boolean; Code: string; Message: string }[] = [];
    for (const e of entries) {
      try {
        this.#checkBody(q, e.MessageBody);
        Successful.push({ Id: e.Id, ...this.#enqueue(q, e.MessageBody, e.DelaySeconds, e.MessageAttributes) });
      } catch (err) {
        if (!(err instanceof AwsError)) throw err;
        Failed.push({ Id: e.Id, SenderFault: true, Code: err.name, Message: err.message });
      }
    }
    return { Successful, Failed };
  }

  receiveMessage(input: Record<string, unknown>) {
    const q = this.queue(String(input.QueueUrl));
    const max = (input.MaxNumberOfMessages as number | undefined) ?? 1;
    if (max < 1 || max > 10)
      throw new AwsError(
        'InvalidParameterValue',
        `Value ${max} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`,
      );
    const wait = (input.WaitTimeSeconds as number | undefined) ?? 0;
    if (wait < 0 || wait > 20)
      throw new AwsError(
        'InvalidParameterValue',
        `Value ${wait} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.`,
      );
    const timeout = (input.VisibilityTimeout as number | undefined) ?? q.wiring.visibilityTimeoutSeconds;
    if (timeout < 0 || timeout > 43_200)
      throw new AwsError(
        'InvalidParameterValue',
        `Value ${timeout} for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.`,
      );
    return { Messages: this.#receive(q, max, timeout).map((m) => wireMessage(m)) };
  }

  deleteMessage(input: Record<string, unknown>): Record<string, never> {
    this.#delete(this.queue(String(input.QueueUrl)), String(input.ReceiptHandle));
    return {};
  }

  deleteMessageBatch(input: Record<string, unknown>) {
    const q = this.queue(String(input.QueueUrl));
    const entries = input.Entries as { Id: string; ReceiptHandle: string }[];
    this.#checkBatch(entries);
    const Successful: { Id: string }[] = [];
    const Failed: { Id: string; SenderFault: boolean; Code: string; Message: string }[] = [];
    for (const e of entries) {
      try {
        this.#delete(q, e.ReceiptHandle);
        Successful.push({ Id: e.Id });
      } catch (err) {
        if (!(err instanceof AwsError)) throw err;
        Failed.push({ Id: e.Id, SenderFault: true, Code: err.name, Message: err.message });
      }
    }
    return { Successful, Failed };
  }

  changeMessageVisibility(input: Record<string, unknown>): Record<string, never> {
    const q = this.queue(String(input.QueueUrl));
    const handle = String(input.ReceiptHandle);
    const m = q.messages.find((x) => x.handle === handle);
    if (!m) {
      if (!handle.startsWith('local-'))
        throw new AwsError(
          'ReceiptHandleIsInvalid',
          `The input receipt handle "${handle}" is not a valid receipt handle.`,
        );
      throw new AwsError('MessageNotInflight', 'The message referred to is not in flight.');
    }
    const now = this.#now();
    if (m.visibleAt <= now) throw new AwsError('MessageNotInflight', 'The message referred to is not in flight.');
    const seconds = input.VisibilityTimeout as number;
    // The timeout counts from now, and a message is never kept from view more than 12 h after it was received.
    const limit = (m.firstReceivedAt ?? now) + 43_200_000;
    if (now + seconds * 1000 > limit)
      throw new AwsError(
        'InvalidParameterValue',
        `Value ${seconds} for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds]`,
      );
    m.visibleAt = now + seconds * 1000;
    return {};
  }

  getQueueAttributes(input: Record<string, unknown>) {
    const q = this.queue(String(input.QueueUrl));
    const names = (input.AttributeNames as string[] | undefined) ?? [];
    const c = this.counts(q.wiring.url);
    const all: Record<string, string> = {
      QueueArn: q.wiring.arn,
      ApproximateNumberOfMessages: String(c.visible),
      ApproximateNumberOfMessagesNotVisible: String(c.notVisible),
      ApproximateNumberOfMessagesDelayed: String(c.delayed),
      VisibilityTimeout: String(q.wiring.visibilityTimeoutSeconds),
      MaximumMessageSize: String(q.wiring.maxMessageBytes),
      MessageRetentionPeriod: String(q.wiring.retentionSeconds),
      DelaySeconds: String(q.wiring.delaySeconds),
      ...(q.wiring.redrive
        ? {
            RedrivePolicy: JSON.stringify({
              deadLetterTargetArn: q.wiring.redrive.deadLetterTargetArn,
              maxReceiveCount: q.wiring.redrive.maxReceiveCount,
            }),
          }
        : {}),
    };
    const unknown = names.find((n) => n !== 'All' && !(n in all));
    if (unknown) throw new AwsError('InvalidAttributeName', `Unknown Attribute ${unknown}.`);
    const wanted = names.includes('All') ? Object.keys(all) : names;
    return { Attributes: Object.fromEntries(wanted.map((n) => [n, all[n]!])) };
  }

  getQueueUrl(input: Record<string, unknown>): { QueueUrl: string } {
    const q = [...this.#byUrl.values()].find((x) => x.wiring.name === input.QueueName);
    if (!q) throw new AwsError('QueueDoesNotExist', 'The specified queue does not exist.');
    return { QueueUrl: q.wiring.url };
  }

  /**
   * Starts the event source mappings: every few milliseconds each one takes the visible messages of its queue
   * (up to its batch size, at most its concurrency in batches at once) and hands them to `invoke`.
   */
  start(invoke: (trigger: QueueTrigger, event: SqsEvent) => Promise<unknown>, log: (line: string) => void): void {
    if (this.#triggers.length === 0) return;
    const poll = () => {
      for (const t of this.#triggers) this.#poll(t, invoke, log);
    };
    this.#timer = setInterval(poll, 20);
    this.#timer.unref();
  }

  /** Resolves when no batch is being handled and no mapped queue has a visible message. */
  async idle(): Promise<void> {
    for (;;) {
      if (this.#running.size) {
        await Promise.allSettled([...this.#running]);
        continue;
      }
      const waiting = this.#triggers.some((t) => this.counts(this.#byArn.get(t.queueArn)!.wiring.url).visible > 0);
      if (!waiting) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  #poll(
    t: QueueTrigger,
    invoke: (trigger: QueueTrigger, event: SqsEvent) => Promise<unknown>,
    log: (line: string) => void,
  ) {
    const q = this.#byArn.get(t.queueArn)!;
    while ((this.#inFlight.get(t) ?? 0) < t.maximumConcurrency) {
      const batch = this.#receive(q, t.batchSize, q.wiring.visibilityTimeoutSeconds);
      if (batch.length === 0) return;
      // The poller's ReceiveMessage that got this batch (its empty long polls are a fixed cost, not counted).
      this.#meter?.sqs(
        'ReceiveMessage',
        batch.reduce((n, m) => n + Buffer.byteLength(m.body), 0),
      );
      this.#inFlight.set(t, (this.#inFlight.get(t) ?? 0) + 1);
      const event: SqsEvent = {
        Records: batch.map((m) => ({
          messageId: m.id,
          receiptHandle: m.handle!,
          body: m.body,
          attributes: recordAttributes(m),
          messageAttributes: (m.attributes as Record<string, unknown>) ?? {},
          md5OfBody: m.md5,
          eventSource: 'aws:sqs',
          eventSourceARN: q.wiring.arn,
          awsRegion: this.#region,
        })),
      };
      const run = invoke(t, event)
        .then((result) => {
          const failures = t.reportBatchItemFailures ? failedItems(result, batch) : [];
          // An answer that names a message not in the batch (or none at all) fails the whole batch, as Lambda does.
          if (failures === undefined) {
            this.failedBatches++;
            log(`${t.functionKey}: batchItemFailures names a message not in the batch; the whole batch is retried`);
            return;
          }
          const handled = batch.filter((m) => !failures.includes(m.id));
          for (const m of handled) this.#delete(q, m.handle!, true);
          // Lambda deletes what the function handled in one DeleteMessageBatch.
          if (handled.length) this.#meter?.sqs('DeleteMessageBatch', 0);
        })
        .catch((err: Error) => {
          this.failedBatches++;
          log(`${t.functionKey} failed on a batch of ${batch.length} from ${q.wiring.name}: ${err.message}`);
        })
        .finally(() => {
          this.#inFlight.set(t, (this.#inFlight.get(t) ?? 1) - 1);
          this.#running.delete(run);
        });
      this.#running.add(run);
    }
  }

  #receive(q: Queue, max: number, timeoutSeconds: number): Message[] {
    this.#expire(q);
    const now = this.#now();
    const taken: Message[] = [];
    for (const m of [...q.messages]) {
      if (taken.length >= max) break;
      if (m.visibleAt > now) continue;
      // Received more often than the redrive policy allows: it goes to the dead-letter queue instead.
      if (q.wiring.redrive && m.receiveCount >= q.wiring.redrive.maxReceiveCount) {
        const dlq = this.#byArn.get(q.wiring.redrive.deadLetterTargetArn);
        q.messages = q.messages.filter((x) => x !== m);
        if (dlq) {
          dlq.messages.push({ ...m, visibleAt: now, receiveCount: 0, handle: undefined, firstReceivedAt: undefined });
          this.movedToDeadLetter++;
        }
        continue;
      }
      m.receiveCount++;
      m.firstReceivedAt ??= now;
      m.visibleAt = now + timeoutSeconds * 1000;
      m.handle = `local-${randomUUID()}`;
      taken.push(m);
    }
    return taken;
  }

  #delete(q: Queue, handle: string, mine = false): void {
    const before = q.messages.length;
    q.messages = q.messages.filter((m) => m.handle !== handle);
    // SQS accepts a delete with a handle it issued even when the message is gone; a handle it never issued it refuses.
    if (q.messages.length === before && !mine && !handle.startsWith('local-'))
      throw new AwsError(
        'ReceiptHandleIsInvalid',
        `The input receipt handle "${handle}" is not a valid receipt handle.`,
      );
  }

  #enqueue(q: Queue, body: string, delay: number | undefined, attributes: unknown) {
    const now = this.#now();
    const m: Message = {
      id: randomUUID(),
      body,
      md5: md5(body),
      attributes: (attributes as Record<string, unknown>) ?? {},
      sentAt: now,
      visibleAt: now + (delay ?? q.wiring.delaySeconds) * 1000,
      receiveCount: 0,
    };
    q.messages.push(m);
    return { MessageId: m.id, MD5OfMessageBody: m.md5 };
  }

  #expire(q: Queue): void {
    const oldest = this.#now() - q.wiring.retentionSeconds * 1000;
    if (q.messages.some((m) => m.sentAt < oldest)) q.messages = q.messages.filter((m) => m.sentAt >= oldest);
  }

  #checkBody(q: Queue, body: string): void {
    if (body.length === 0)
      throw new AwsError('InvalidParameterValue', 'The request must contain the parameter MessageBody.');
    const bytes = Buffer.byteLength(body, 'utf8');
    if (bytes > q.wiring.maxMessageBytes)
      throw new AwsError(
        'InvalidParameterValue',
        `One or more parameters are invalid. Reason: Message must be shorter than ${q.wiring.maxMessageBytes} bytes.`,
      );
    if (NOT_ALLOWED.test(body))
      throw new AwsError(
        'InvalidMessageContents',
        'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF',
      );
  }

  #checkBatch(entries: { Id: string }[]): void {
    if (entries.length === 0)
      throw new AwsError('EmptyBatchRequest', 'There should be at least one entry in the request.');
    if (entries.length > MAX_BATCH_ENTRIES)
      throw new AwsError(
        'TooManyEntriesInBatchRequest',
        `Maximum number of entries per request are ${MAX_BATCH_ENTRIES}. You have sent ${entries.length}.`,
      );
    const bad = entries.find((e) => !ID.test(e.Id));
    if (bad)
      throw new AwsError(
        'InvalidBatchEntryId',
        'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
      );
    if (new Set(entries.map((e) => e.Id)).size !== entries.length)
      throw new AwsError('BatchEntryIdsNotDistinct', 'Two or more batch entries in the request have the same Id.');
  }
}

function recordAttributes(m: Message): Record<string, string> {
  return {
    ApproximateReceiveCount: String(m.receiveCount),
    SentTimestamp: String(m.sentAt),
    SenderId: 'AIDALOCAL',
    ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt ?? m.sentAt),
  };
}

function wireMessage(m: Message) {
  return {
    MessageId: m.id,
    ReceiptHandle: m.handle!,
    MD5OfBody: m.md5,
    Body: m.body,
    Attributes: recordAttributes(m),
    ...(Object.keys(m.attributes).length ? { MessageAttributes: m.attributes } : {}),
  };
}

/** The message ids a function's `{ batchItemFailures }` names; undefined when it names one not in the batch. */
function failedItems(result: unknown, batch: Message[]): string[] | undefined {
  const failures = (result as { batchItemFailures?: { itemIdentifier?: unknown }[] } | null)?.batchItemFailures;
  if (!Array.isArray(failures)) return [];
  const ids = failures.map((f) => f?.itemIdentifier);
  if (ids.some((id) => typeof id !== 'string' || !batch.some((m) => m.id === id))) return undefined;
  return ids as string[];
}
