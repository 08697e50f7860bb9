// Local mode's meter: what each call local mode serves would count on an AWS bill, recorded where it is
// served (a Lambda invocation, a workflow execution and its states, a DynamoDB request, an accepted event,
// an API request, an email, the functions' log output). Off unless a caller passes one to startLocal;
// `npm run cost` prices what it records (scripts/cost-model.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DynamoHandler } from './dynamodb.ts';
import { jsonObject } from './protocol.ts';

/** One Lambda invocation: the handler's own time, measured in its worker. */
export interface InvocationRecord {
  function: string;
  durationMs: number;
  /** Size of what the handler returned (a durable function would checkpoint a step's result). */
  resultBytes: number;
}

/** One state machine execution, from its start to its end, with the states it entered. */
export interface ExecutionRecord {
  machine: string;
  type: 'STANDARD' | 'EXPRESS';
  durationMs: number;
  /** States entered, in order (Step Functions bills each entry of a Standard workflow as a transition). */
  states: string[];
  /** Retries of a state (each is one more transition in a Standard workflow). */
  retries: number;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
}

/** One DynamoDB data-plane request and the request units AWS's rules give it. */
export interface TableRecord {
  operation: string;
  table: string;
  index?: string;
  /** Write request units: the item's larger size before or after, per 1 KB, plus each index write. */
  writeUnits: number;
  /** Of those, the units of the index writes. */
  indexUnits: number;
  /** Read request units: per 4 KB read, half for an eventually consistent read. */
  readUnits: number;
  conditionFailed: boolean;
  /** Size of the item as written (the larger of before and after), or of what a read returned, in bytes. */
  itemBytes: number;
}

/** One event a bus accepted: its entry size as EventBridge counts it, and its envelope as the archive keeps it. */
export interface EventRecord {
  source: string;
  detailType: string;
  entryBytes: number;
  envelopeBytes: number;
}

export interface ApiRecord {
  route: string;
  status: number;
  requestBytes: number;
  responseBytes: number;
}

export interface EmailRecord {
  recipients: number;
  bytes: number;
}

/** An SQS request (a function's, or Lambda's poller's receive and delete on a queue it maps), with its payload size. */
export interface SqsRecord {
  operation: string;
  bytes: number;
}

/** What a function wrote to stdout and stderr (CloudWatch Logs ingests it), in bytes and lines. */
export interface LogRecord {
  function: string;
  bytes: number;
  lines: number;
}

export interface Usage {
  invocations: InvocationRecord[];
  executions: ExecutionRecord[];
  table: TableRecord[];
  events: EventRecord[];
  api: ApiRecord[];
  emails: EmailRecord[];
  sqs: SqsRecord[];
  logs: LogRecord[];
  /** DynamoDB operations the meter does not price (batch, transactions): a bill with any is refused. */
  unmetered: string[];
}

export type Mark = { [K in keyof Usage]: number };

type AttributeValue = Record<string, unknown>;
type Item = Record<string, AttributeValue>;

interface KeyElement {
  AttributeName: string;
}
interface IndexDefinition {
  IndexName: string;
  KeySchema: KeyElement[];
  Projection?: { ProjectionType?: string; NonKeyAttributes?: string[] };
}
/** A table as CloudFormation defines it (the parts the meter needs): its key and its secondary indexes. */
export interface TableDefinition {
  TableName: string;
  KeySchema: KeyElement[];
  GlobalSecondaryIndexes?: IndexDefinition[];
  LocalSecondaryIndexes?: IndexDefinition[];
}

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/** A number's size as DynamoDB counts it: 1 byte per two significant digits, plus 1. */
export function numberSize(text: string): number {
  const digits = text.replace(/^[-+]/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(digits.length / 2) + 1;
}

/** An attribute value's size by "DynamoDB item sizes and formats" (a list or map: 3 bytes, and 1 per element). */
export function attributeSize(value: AttributeValue): number {
  const [type, v] = Object.entries(value)[0] ?? [];
  switch (type) {
    case 'S':
      return utf8(v as string);
    case 'N':
      return numberSize(v as string);
    case 'B':
      return Buffer.from(v as string, 'base64').length;
    case 'BOOL':
    case 'NULL':
      return 1;
    case 'SS':
      return (v as string[]).reduce((n, s) => n + utf8(s), 0);
    case 'NS':
      return (v as string[]).reduce((n, s) => n + numberSize(s), 0);
    case 'BS':
      return (v as string[]).reduce((n, s) => n + Buffer.from(s, 'base64').length, 0);
    case 'L':
      return 3 + (v as AttributeValue[]).reduce((n, e) => n + attributeSize(e) + 1, 0);
    case 'M':
      return 3 + Object.entries(v as Item).reduce((n, [k, e]) => n + utf8(k) + attributeSize(e) + 1, 0);
  }
  throw new Error(`not a DynamoDB attribute value: ${JSON.stringify(value)}`);
}

/** An item's size: each attribute's name and value. */
export function itemSize(item: Item | undefined): number {
  if (!item) return 0;
  return Object.entries(item).reduce((n, [name, value]) => n + utf8(name) + attributeSize(value), 0);
}

/** Write units of one write: 1 per 1 KB of the item, at least 1. */
export const writeUnitsFor = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));
/** Read units of one read: 1 per 4 KB (the total of a Query's items), at least 1; half when eventually consistent. */
export const readUnitsFor = (bytes: number, consistent: boolean) =>
  Math.max(1, Math.ceil(bytes / 4096)) * (consistent ? 1 : 0.5);

function pick(item: Item, names: string[]): Item {
  return Object.fromEntries(names.flatMap((n) => (item[n] === undefined ? [] : [[n, item[n]]])));
}

const canonical = (item: Item) =>
  JSON.stringify(
    Object.keys(item)
      .sort()
      .map((k) => [k, item[k]]),
  );

/** An item's entry in an index (its projection), or undefined when the item lacks the index's key. */
function indexEntry(table: TableDefinition, index: IndexDefinition, item: Item | undefined): Item | undefined {
  if (!item) return undefined;
  const keys = index.KeySchema.map((k) => k.AttributeName);
  if (!keys.every((k) => item[k] !== undefined)) return undefined;
  if (index.Projection?.ProjectionType === 'ALL') return item;
  const tableKeys = table.KeySchema.map((k) => k.AttributeName);
  return pick(item, [...new Set([...keys, ...tableKeys, ...(index.Projection?.NonKeyAttributes ?? [])])]);
}

/**
 * Write units the secondary indexes add to one write, by "Provisioned throughput considerations for Global
 * Secondary Indexes": an entry added or removed is one index write, a changed index key is two (delete and
 * put), a changed projected attribute one, and an unchanged projection none.
 */
export function indexWriteUnits(table: TableDefinition, before: Item | undefined, after: Item | undefined): number {
  let units = 0;
  for (const index of [...(table.GlobalSecondaryIndexes ?? []), ...(table.LocalSecondaryIndexes ?? [])]) {
    const was = indexEntry(table, index, before);
    const is = indexEntry(table, index, after);
    const keyOf = (e: Item) =>
      canonical(
        pick(
          e,
          index.KeySchema.map((k) => k.AttributeName),
        ),
      );
    if (was && is) {
      if (keyOf(was) !== keyOf(is)) units += writeUnitsFor(itemSize(was)) + writeUnitsFor(itemSize(is));
      else if (canonical(was) !== canonical(is)) units += writeUnitsFor(itemSize(is));
    } else if (was) units += writeUnitsFor(itemSize(was));
    else if (is) units += writeUnitsFor(itemSize(is));
  }
  return units;
}

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);
const READS = new Set(['GetItem', 'Query', 'Scan']);
const UNMETERED = new Set([
  'BatchGetItem',
  'BatchWriteItem',
  'TransactGetItems',
  'TransactWriteItems',
  'ExecuteStatement',
  'BatchExecuteStatement',
  'ExecuteTransaction',
]);

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** The store's answer to a request local mode forwards, read as it goes out (the response is unchanged). */
function answered(res: ServerResponse): Promise<Answer> {
  return new Promise((resolve) => {
    const end = res.end.bind(res);
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      resolve({ status: res.statusCode, body: jsonObject(chunk === undefined || chunk === null ? '' : String(chunk)) });
      return (end as (...a: unknown[]) => ServerResponse)(chunk, ...rest);
    }) as ServerResponse['end'];
  });
}

export class LocalMeter {
  readonly usage: Usage = {
    invocations: [],
    executions: [],
    table: [],
    events: [],
    api: [],
    emails: [],
    sqs: [],
    logs: [],
    unmetered: [],
  };
  readonly #tables = new Map<string, TableDefinition>();
  readonly #locks = new Map<string, Promise<void>>();
  /** Whether the functions' own output still reaches this process's stdout and stderr (counted either way). */
  readonly echoLogs: boolean;

  constructor(opts: { echoLogs?: boolean } = {}) {
    this.echoLogs = opts.echoLogs ?? false;
  }

  /** The tables local mode serves, as serverless.yml defines them: their keys and indexes. */
  useTables(tables: TableDefinition[]): void {
    for (const t of tables) this.#tables.set(t.TableName, t);
  }

  /** Where each kind of record stands now; `since(mark)` is what was recorded after it. */
  mark(): Mark {
    return Object.fromEntries(Object.entries(this.usage).map(([k, v]) => [k, (v as unknown[]).length])) as Mark;
  }

  since(mark: Mark): Usage {
    return Object.fromEntries(
      Object.entries(this.usage).map(([k, v]) => [k, (v as unknown[]).slice(mark[k as keyof Usage])]),
    ) as unknown as Usage;
  }

  invocation(fn: string, durationMs: number, resultBytes: number): void {
    this.usage.invocations.push({ function: fn, durationMs, resultBytes });
  }

  log(fn: string, chunk: Buffer): void {
    let lines = 0;
    for (const byte of chunk) if (byte === 10) lines++;
    this.usage.logs.push({ function: fn, bytes: chunk.length, lines });
  }

  /** An execution started: the record it fills as its states run and when it ends. */
  execution(machine: string, type: 'STANDARD' | 'EXPRESS') {
    const started = performance.now();
    const record: ExecutionRecord = { machine, type, durationMs: 0, states: [], retries: 0, status: 'RUNNING' };
    this.usage.executions.push(record);
    return {
      entered: (state: string) => void record.states.push(state),
      retried: () => void record.retries++,
      ended: (status: 'SUCCEEDED' | 'FAILED') => {
        record.durationMs = performance.now() - started;
        record.status = status;
      },
    };
  }

  event(e: { source: string; detailType: string; entryBytes: number; envelopeBytes: number }): void {
    this.usage.events.push(e);
  }

  api(route: string, status: number, requestBytes: number, responseBytes: number): void {
    this.usage.api.push({ route, status, requestBytes, responseBytes });
  }

  email(recipients: number, bytes: number): void {
    this.usage.emails.push({ recipients, bytes });
  }

  sqs(operation: string, bytes: number): void {
    this.usage.sqs.push({ operation, bytes });
  }

  /**
   * Serves a DynamoDB request through the store and records its request units as AWS counts them. A write
   * reads the item before and after it (straight from the store, unmetered), one write per item at a time,
   * so its size, its index writes and a failed condition are priced from what the store actually holds.
   */
  async dynamo(target: string, req: IncomingMessage, body: Buffer, res: ServerResponse, serve: DynamoHandler) {
    const operation = target.slice(target.indexOf('.') + 1);
    if (UNMETERED.has(operation)) this.usage.unmetered.push(operation);
    const input = jsonObject(body.toString());
    const table = this.#tables.get(String(input.TableName));
    if (!table || !(WRITES.has(operation) || READS.has(operation))) return void serve(req, body, res);
    if (READS.has(operation)) {
      const answer = answered(res);
      serve(req, body, res);
      const { status, body: out } = await answer;
      if (status !== 200) return;
      const items = operation === 'GetItem' ? (out.Item ? [out.Item as Item] : []) : ((out.Items ?? []) as Item[]);
      const bytes = items.reduce((n, item) => n + itemSize(item), 0);
      const index = typeof input.IndexName === 'string' ? input.IndexName : undefined;
      // Index reads are always eventually consistent.
      const consistent = input.ConsistentRead === true && !index;
      this.usage.table.push({
        operation,
        table: table.TableName,
        ...(index ? { index } : {}),
        writeUnits: 0,
        indexUnits: 0,
        readUnits: readUnitsFor(bytes, consistent),
        conditionFailed: false,
        itemBytes: bytes,
      });
      return;
    }
    const keyNames = table.KeySchema.map((k) => k.AttributeName);
    const key = operation === 'PutItem' ? pick((input.Item ?? {}) as Item, keyNames) : ((input.Key ?? {}) as Item);
    if (!keyNames.every((k) => key[k] !== undefined)) return void serve(req, body, res);
    const lock = `${table.TableName}\u0000${canonical(key)}`;
    const previous = this.#locks.get(lock) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((ok) => (release = ok));
    const chained = previous.then(() => mine);
    this.#locks.set(lock, chained);
    await previous;
    try {
      const before = await this.#read(serve, req, table.TableName, key);
      const answer = answered(res);
      serve(req, body, res);
      const { status, body: out } = await answer;
      const failed = String(out.__type ?? '').endsWith('ConditionalCheckFailedException');
      if (status !== 200 && !failed) return;
      const after = failed ? before : await this.#read(serve, req, table.TableName, key);
      const bytes = Math.max(itemSize(before), itemSize(after));
      // A failed condition still consumes the write units of the item as it is; it changes no index.
      const indexUnits = failed ? 0 : indexWriteUnits(table, before, after);
      this.usage.table.push({
        operation,
        table: table.TableName,
        writeUnits: writeUnitsFor(bytes) + indexUnits,
        indexUnits,
        readUnits: 0,
        conditionFailed: failed,
        itemBytes: bytes,
      });
    } finally {
      release();
      if (this.#locks.get(lock) === chained) this.#locks.delete(lock);
    }
  }

  /** A strongly consistent GetItem straight from the store, outside any bill: what an item holds now. */
  #read(serve: DynamoHandler, req: IncomingMessage, tableName: string, key: Item): Promise<Item | undefined> {
    const body = Buffer.from(JSON.stringify({ TableName: tableName, Key: key, ConsistentRead: true }));
    const headers = { ...req.headers, 'x-amz-target': 'DynamoDB_20120810.GetItem', 'content-length': `${body.length}` };
    return new Promise((resolve) => {
      const response = {
        statusCode: 200,
        headersSent: false,
        setHeader: () => response,
        writeHead: (status: number) => {
          response.statusCode = status;
          return response;
        },
        end: (chunk?: unknown) => {
          const out = jsonObject(chunk === undefined ? '' : String(chunk));
          resolve(response.statusCode === 200 ? (out.Item as Item | undefined) : undefined);
          return response;
        },
        destroy: () => resolve(undefined),
      };
      serve({ headers, method: 'POST', url: '/' } as unknown as IncomingMessage, body, response as never);
    });
  }
}
