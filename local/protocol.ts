// How AWS reads a request body, for every operation local mode serves as AWS (DynamoDB aside: dynalite reads
// its own). Two steps, as AWS's front end takes them: the protocol deserializes the body against the
// operation's input shape (a body that is not JSON, or a value of the wrong type, is refused before anything
// else: SerializationException in the AWS JSON protocols, BadRequestException in SES v2's REST-JSON), then
// the shape's constraints (required, length, count, pattern) are checked and every failure is reported at
// once in Coral's words: "2 validation errors detected: Value null at 'entries' failed to satisfy
// constraint: Member must not be null; ...". A JSON null for a member reads as absent, as in AWS.
//
// The shapes and their constraints are the API references' (EventBridge PutEvents, PutEventsRequestEntry,
// TestEventPattern; Step Functions StartExecution, DescribeExecution, SendTaskSuccess, SendTaskFailure,
// ListStateMachines; SSM GetParameter(s); SQS SendMessage(Batch), ReceiveMessage, DeleteMessage(Batch),
// ChangeMessageVisibility, GetQueueAttributes, GetQueueUrl (whose limits SQS checks itself, in local/sqs.ts,
// with its own error names); SES v2 SendEmail; Lambda SendDurableExecutionCallbackSuccess,
// SendDurableExecutionCallbackFailure, ErrorObject), limited to the members they document.
import { AwsError } from './errors.ts';

type Constraints = { min?: number; max?: number };
export type Shape =
  | ({ type: 'string'; pattern?: RegExp; enum?: readonly string[] } & Constraints)
  | ({ type: 'integer' } & Constraints)
  | { type: 'boolean' }
  | { type: 'timestamp' }
  | { type: 'blob' }
  | ({ type: 'list'; member: Shape } & Constraints)
  | { type: 'structure'; members: Readonly<Record<string, Shape>>; required: readonly string[] }
  /** A member local mode reads nothing of (an attachment, a template): any JSON. */
  | { type: 'document' };

const string = (c: Omit<Extract<Shape, { type: 'string' }>, 'type'> = {}): Shape => ({ type: 'string', ...c });
const integer = (c: Constraints = {}): Shape => ({ type: 'integer', ...c });
const boolean: Shape = { type: 'boolean' };
const timestamp: Shape = { type: 'timestamp' };
const blob: Shape = { type: 'blob' };
const document: Shape = { type: 'document' };
const list = (member: Shape, c: Constraints = {}): Shape => ({ type: 'list', member, ...c });
const structure = (members: Record<string, Shape>, required: string[] = []): Shape => ({
  type: 'structure',
  members,
  required,
});

/**
 * The protocols local mode speaks, and the error each names a body it cannot read or an invalid input:
 * REST-JSON as SES v2 answers it, and as Lambda does (InvalidRequestContentException for a body that is not
 * JSON, ValidationException with Coral's words for a constraint).
 */
export type Protocol = 'awsJson' | 'restJson' | 'lambdaRestJson';
const UNREADABLE: Record<Protocol, string> = {
  awsJson: 'SerializationException',
  restJson: 'BadRequestException',
  lambdaRestJson: 'InvalidRequestContentException',
};
const INVALID: Record<Protocol, string> = {
  awsJson: 'ValidationException',
  restJson: 'BadRequestException',
  lambdaRestJson: 'ValidationException',
};

/** PutEvents' own limits (API reference, PutEvents): a request holds 1 to 10 entries. */
export const PUT_EVENTS_MAX_ENTRIES = 10;

const putEventsEntry = structure({
  Time: timestamp,
  Source: string(),
  Resources: list(string()),
  DetailType: string(),
  Detail: string(),
  EventBusName: string({
    min: 1,
    max: 1600,
    pattern: /^(arn:aws[\w-]*:events:[a-z]+-[a-z]+-[\w-]+:[0-9]{12}:event-bus\/)?[/.\-_A-Za-z0-9]+$/,
  }),
  TraceHeader: string({ min: 1, max: 500 }),
});
const sesContent = structure({ Data: string(), Charset: string() }, ['Data']);
const sesHeaders = list(
  structure({ Name: string({ min: 1, max: 126 }), Value: string({ max: 870 }) }, ['Name', 'Value']),
);

/** SQS (API reference, SendMessage and the rest): a queue URL, a batch entry id, a visibility timeout in seconds. */
const queueUrl = string();
const batchEntryId = string();
const visibility = integer({ min: 0, max: 43_200 });
const messageAttributes = document;
/** What a message carries, in SendMessage and in each entry of SendMessageBatch. */
const sqsMessage = {
  MessageBody: string(),
  DelaySeconds: integer({ min: 0, max: 900 }),
  MessageAttributes: messageAttributes,
  MessageSystemAttributes: messageAttributes,
  MessageDeduplicationId: string({ max: 128 }),
  MessageGroupId: string({ max: 128 }),
};

/** A durable execution's callback id (URI label CallbackId). */
const callbackId = string({ min: 1, max: 1024, pattern: /^[A-Za-z0-9+/]+={0,2}$/ });

/** The input shape of each operation, by its X-Amz-Target (or, for REST-JSON, `<service>.<Operation>`). */
export const INPUTS: Readonly<Record<string, Shape>> = {
  'AWSEvents.PutEvents': structure(
    {
      Entries: list(putEventsEntry, { min: 1, max: PUT_EVENTS_MAX_ENTRIES }),
      EndpointId: string({ min: 1, max: 50, pattern: /^[A-Za-z0-9-]+[.][A-Za-z0-9-]+$/ }),
    },
    ['Entries'],
  ),
  'AWSEvents.TestEventPattern': structure({ EventPattern: string({ max: 4096 }), Event: string() }, [
    'EventPattern',
    'Event',
  ]),
  'AWSStepFunctions.StartExecution': structure(
    {
      stateMachineArn: string({ min: 1, max: 256 }),
      name: string({ min: 1, max: 80 }),
      input: string({ max: 262_144 }),
      traceHeader: string({ max: 256 }),
    },
    ['stateMachineArn'],
  ),
  'AWSStepFunctions.DescribeExecution': structure(
    { executionArn: string({ min: 1, max: 256 }), includedData: string({ enum: ['ALL_DATA', 'METADATA_ONLY'] }) },
    ['executionArn'],
  ),
  'AWSStepFunctions.SendTaskSuccess': structure(
    { taskToken: string({ min: 1, max: 2048 }), output: string({ max: 262_144 }) },
    ['taskToken', 'output'],
  ),
  'AWSStepFunctions.SendTaskFailure': structure(
    { taskToken: string({ min: 1, max: 2048 }), error: string({ max: 256 }), cause: string({ max: 32_768 }) },
    ['taskToken'],
  ),
  'AWSStepFunctions.ListStateMachines': structure({
    maxResults: integer({ min: 0, max: 1000 }),
    nextToken: string({ min: 1, max: 1024 }),
  }),
  'AmazonSSM.GetParameters': structure(
    { Names: list(string({ min: 1, max: 2048 }), { min: 1, max: 10 }), WithDecryption: boolean },
    ['Names'],
  ),
  'AmazonSSM.GetParameter': structure({ Name: string({ min: 1, max: 2048 }), WithDecryption: boolean }, ['Name']),
  'AmazonSQS.SendMessage': structure({ QueueUrl: queueUrl, ...sqsMessage }, ['QueueUrl', 'MessageBody']),
  'AmazonSQS.SendMessageBatch': structure(
    {
      QueueUrl: queueUrl,
      Entries: list(structure({ Id: batchEntryId, ...sqsMessage }, ['Id', 'MessageBody'])),
    },
    ['QueueUrl', 'Entries'],
  ),
  'AmazonSQS.ReceiveMessage': structure(
    {
      QueueUrl: queueUrl,
      AttributeNames: list(string()),
      MessageSystemAttributeNames: list(string()),
      MessageAttributeNames: list(string()),
      MaxNumberOfMessages: integer(),
      VisibilityTimeout: integer(),
      WaitTimeSeconds: integer(),
      ReceiveRequestAttemptId: string({ max: 128 }),
    },
    ['QueueUrl'],
  ),
  'AmazonSQS.DeleteMessage': structure({ QueueUrl: queueUrl, ReceiptHandle: string() }, ['QueueUrl', 'ReceiptHandle']),
  'AmazonSQS.DeleteMessageBatch': structure(
    {
      QueueUrl: queueUrl,
      Entries: list(structure({ Id: batchEntryId, ReceiptHandle: string() }, ['Id', 'ReceiptHandle'])),
    },
    ['QueueUrl', 'Entries'],
  ),
  'AmazonSQS.ChangeMessageVisibility': structure(
    { QueueUrl: queueUrl, ReceiptHandle: string(), VisibilityTimeout: visibility },
    ['QueueUrl', 'ReceiptHandle', 'VisibilityTimeout'],
  ),
  'AmazonSQS.GetQueueAttributes': structure({ QueueUrl: queueUrl, AttributeNames: list(string()) }, ['QueueUrl']),
  'AmazonSQS.GetQueueUrl': structure({ QueueName: string(), QueueOwnerAWSAccountId: string() }, ['QueueName']),
  // The Result payload is raw bytes: read as a string of one character per byte, so its length is its size.
  'Lambda.SendDurableExecutionCallbackSuccess': structure(
    { CallbackId: callbackId, Result: string({ max: 262_144 }) },
    ['CallbackId'],
  ),
  'Lambda.SendDurableExecutionCallbackFailure': structure(
    {
      CallbackId: callbackId,
      Error: structure({
        ErrorMessage: string(),
        ErrorType: string(),
        ErrorData: string(),
        StackTrace: list(string()),
      }),
    },
    ['CallbackId'],
  ),
  'SES.SendEmail': structure(
    {
      FromEmailAddress: string(),
      FromEmailAddressIdentityArn: string(),
      Destination: structure({
        ToAddresses: list(string()),
        CcAddresses: list(string()),
        BccAddresses: list(string()),
      }),
      ReplyToAddresses: list(string()),
      FeedbackForwardingEmailAddress: string(),
      FeedbackForwardingEmailAddressIdentityArn: string(),
      Content: structure({
        Simple: structure(
          {
            Subject: sesContent,
            Body: structure({ Text: sesContent, Html: sesContent }),
            Headers: sesHeaders,
            Attachments: list(document),
          },
          ['Subject', 'Body'],
        ),
        Raw: structure({ Data: blob }, ['Data']),
        Template: document,
      }),
      EmailTags: list(structure({ Name: string(), Value: string() }, ['Name', 'Value'])),
      ConfigurationSetName: string(),
      ListManagementOptions: structure({ ContactListName: string(), TopicName: string() }, ['ContactListName']),
      EndpointId: string(),
      TenantName: string({ min: 1, max: 64 }),
    },
    ['Content'],
  ),
};

/** How deep JSON may nest where AWS reads it as JSON (PutEvents: "will only process nested JSON up to 1000 levels deep"). */
export const MAX_JSON_DEPTH = 1000;

/** How deep a JSON value nests (a scalar is 0, `{}` and `[]` are 1), without recursion. */
export function jsonDepth(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    deepest = Math.max(deepest, depth + 1);
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** A JSON object from text (a request or an answer local mode looks into); {} when the text is not one. */
export function jsonObject(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** JSON text as AWS reads a member that holds JSON: parsed, and no deeper than AWS processes; else why not. */
export function parseJsonText(text: string): { value: unknown } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { problem: `it is not valid JSON (${(err as Error).message})` };
  }
  if (jsonDepth(value) > MAX_JSON_DEPTH) return { problem: `it nests deeper than ${MAX_JSON_DEPTH} levels` };
  return { value };
}

/**
 * Reads an operation's request body as AWS does: an empty body is `{}`, JSON `null` is an empty input; anything
 * else that is not a JSON object of the operation's shape is the protocol's error; then its constraints.
 * Returns the input with the absent (null) members left out; throws AwsError naming every problem.
 */
export function readRequest(operation: string, body: Buffer | string, protocol: Protocol): Record<string, unknown> {
  return checkInput(operation, parseBody(body, protocol) ?? {}, protocol);
}

/** A request body as JSON: undefined when empty; the protocol's error when it is not JSON. */
export function parseBody(body: Buffer | string, protocol: Protocol): unknown {
  const text = body.toString();
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new AwsError(UNREADABLE[protocol], `The request body is not valid JSON: ${(err as Error).message}`);
  }
}

/** An operation's input already parsed (a Step Functions Task's parameters), checked as readRequest checks a body. */
export function checkInput(operation: string, value: unknown, protocol: Protocol): Record<string, unknown> {
  const shape = INPUTS[operation];
  if (shape?.type !== 'structure') throw new Error(`no input shape for ${operation}`);
  const problems: string[] = [];
  const input = read(shape, value ?? {}, [], protocol, problems);
  if (problems.length)
    throw new AwsError(
      INVALID[protocol],
      `${problems.length} validation error${problems.length === 1 ? '' : 's'} detected: ${problems.join('; ')}`,
    );
  return input as Record<string, unknown>;
}

/** Where a value sits, as the protocol's error names it (`Entries[0].Source`) and as Coral's validation does (`entries.1.member.source`). */
type Path = (string | number)[];
const wirePath = (path: Path) =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('') || 'the request body';
const coralPath = (path: Path) =>
  path.map((p) => (typeof p === 'number' ? `${p + 1}.member` : p.charAt(0).toLowerCase() + p.slice(1))).join('.');

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number') return 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  return `a ${typeof value}`;
}

function shown(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `'[${value.length} member${value.length === 1 ? '' : 's'}]'`;
  const text = String(value);
  return `'${text.length > 80 ? `${text.slice(0, 77)}...` : text}'`;
}

function read(shape: Shape, value: unknown, path: Path, protocol: Protocol, problems: string[]): unknown {
  const wrongType = (expected: string) =>
    new AwsError(UNREADABLE[protocol], `${wirePath(path)}: expected ${expected}, found ${kindOf(value)}`);
  const constraint = (what: string) =>
    problems.push(`Value ${shown(value)} at '${coralPath(path)}' failed to satisfy constraint: ${what}`);
  const bounds = (size: number, unit: string, c: Constraints) => {
    if (c.min !== undefined && size < c.min) constraint(`Member must have ${unit} greater than or equal to ${c.min}`);
    if (c.max !== undefined && size > c.max) constraint(`Member must have ${unit} less than or equal to ${c.max}`);
  };
  switch (shape.type) {
    case 'document':
      return value;
    case 'string':
      if (typeof value !== 'string') throw wrongType('a string');
      bounds(value.length, 'length', shape);
      if (shape.pattern && !shape.pattern.test(value))
        constraint(`Member must satisfy regular expression pattern: ${shape.pattern.source}`);
      if (shape.enum && !shape.enum.includes(value))
        constraint(`Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
      return value;
    case 'blob':
      if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0)
        throw wrongType('base64-encoded bytes');
      return value;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw wrongType('an integer');
      if (shape.min !== undefined && value < shape.min)
        constraint(`Member must have value greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && value > shape.max)
        constraint(`Member must have value less than or equal to ${shape.max}`);
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw wrongType('a boolean');
      return value;
    case 'timestamp':
      // Seconds since the epoch, as the AWS JSON protocols send a timestamp; one a date cannot hold is unreadable.
      if (typeof value !== 'number' || !Number.isFinite(value))
        throw wrongType('a timestamp (seconds since the epoch)');
      if (Number.isNaN(new Date(value * 1000).getTime()))
        throw new AwsError(UNREADABLE[protocol], `${wirePath(path)}: timestamp ${value} is out of range`);
      return value;
    case 'list': {
      if (!Array.isArray(value)) throw wrongType('a list');
      bounds(value.length, 'length', shape);
      return value.map((member, i) => {
        if (member === null || member === undefined) {
          problems.push(
            `Value null at '${coralPath([...path, i])}' failed to satisfy constraint: Member must not be null`,
          );
          return member;
        }
        return read(shape.member, member, [...path, i], protocol, problems);
      });
    }
    case 'structure': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) throw wrongType('an object');
      const out: Record<string, unknown> = {};
      for (const [name, member] of Object.entries(shape.members)) {
        const v = (value as Record<string, unknown>)[name];
        if (v === null || v === undefined) continue;
        out[name] = read(member, v, [...path, name], protocol, problems);
      }
      for (const name of shape.required)
        if (out[name] === undefined)
          problems.push(
            `Value null at '${coralPath([...path, name])}' failed to satisfy constraint: Member must not be null`,
          );
      return out;
    }
  }
}
