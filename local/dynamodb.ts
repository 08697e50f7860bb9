// Local DynamoDB: dynalite (in memory, or on disk with a path) served on local mode's own port.
// Tables are created from the same AWS::DynamoDB::Table definitions as serverless.yml, through the real SDK.
import type { IncomingMessage, ServerResponse, Server } from 'node:http';
import { EventEmitter } from 'node:events';
import { crc32 } from 'node:zlib';
import { jsonObject } from './protocol.ts';
import { createRequire } from 'node:module';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';

const require = createRequire(import.meta.url);
const dynalite = require('dynalite') as (opts: {
  path?: string;
  createTableMs?: number;
  updateTableMs?: number;
  deleteTableMs?: number;
}) => Server;

type Obj = Record<string, unknown>;

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** Serves one DynamoDB request whose body local mode has read already. */
export type DynamoHandler = (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;

/**
 * dynalite's HTTP handler, without its own server: local mode routes DynamoDB requests to it. The body is handed
 * over in this call stack, so that what dynalite throws while it reads a request is an answer, not a crash of the
 * process (it reads a JSON `null` body as an object, for one; DynamoDB reads a null as an absent input).
 */
export function dynamoStore(path?: string, log: (line: string) => void = () => undefined): DynamoHandler {
  const server = dynalite({ ...(path ? { path } : {}), createTableMs: 0, updateTableMs: 0, deleteTableMs: 0 });
  const [listener] = server.listeners('request') as RequestListener[];
  if (!listener) throw new Error('dynalite exposes no request handler');
  const ask = (req: IncomingMessage, target: string, input: Obj) =>
    new Promise<{ status: number; body: Obj }>((resolve) => {
      const headers = { ...req.headers, 'x-amz-target': `DynamoDB_20120810.${target}` };
      const read = Object.assign(new EventEmitter(), { headers, method: 'POST', url: '/' });
      const answer = {
        statusCode: 200,
        setHeader: () => undefined,
        end: (chunk?: unknown) => resolve({ status: answer.statusCode, body: jsonObject(String(chunk ?? '')) }),
      };
      listener(read as unknown as IncomingMessage, answer as unknown as ServerResponse);
      read.emit('data', Buffer.from(JSON.stringify(input)));
      read.emit('end');
    });
  return (req, body, res) => {
    // Read once for what local mode checks before dynalite (which reads the body itself, and answers a bad one).
    const input = jsonObject(body.toString());
    const empty = emptyAttributeValue(input);
    if (empty) {
      // DynamoDB refuses a null where an attribute value goes; dynalite throws on it instead.
      return void sendJson(res, 400, {
        __type: 'com.amazon.coral.validate#ValidationException',
        message: `One or more parameter values were invalid: Supplied AttributeValue is empty, must contain exactly one of the supported datatypes (${empty})`,
      });
    }
    const returnOld = returnValuesOnConditionCheckFailure(req, input);
    if (returnOld === 'refused') return void sendJson(res, 400, badReturnValues(input));
    if (returnOld === 'ALL_OLD') withOldItemOnConditionFailure(res, input, (target, i) => ask(req, target, i));
    const read = Object.assign(new EventEmitter(), { headers: req.headers, method: req.method, url: req.url });
    listener(read as unknown as IncomingMessage, res);
    try {
      read.emit('data', body.toString().trim() === 'null' ? Buffer.from('{}') : body);
      read.emit('end');
    } catch (err) {
      log(`dynalite failed on a ${req.headers['x-amz-target']} request: ${(err as Error).stack ?? err}`);
      if (res.headersSent) return void res.destroy();
      sendJson(res, 500, {
        __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
        message: `local mode's DynamoDB (dynalite) failed on this request: ${(err as Error).message}`,
      });
    }
  };
}

/**
 * A request of dynalite's own from local mode (the key schema, the item a failed condition saw), with the headers
 * of the request it serves: its answer's status and body.
 */
type Ask = (target: string, input: Obj) => Promise<{ status: number; body: Obj }>;

const WRITES_WITH_CONDITION = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);

/**
 * `ReturnValuesOnConditionCheckFailure` (DynamoDB, 2023), which dynalite does not know: the value is checked as
 * DynamoDB checks it, and with ALL_OLD a write whose condition fails answers the item it was checked against.
 */
function returnValuesOnConditionCheckFailure(req: IncomingMessage, input: Obj): 'ALL_OLD' | 'refused' | undefined {
  const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
  if (!WRITES_WITH_CONDITION.has(operation)) return undefined;
  const value = input.ReturnValuesOnConditionCheckFailure;
  if (value === undefined || value === 'NONE') return undefined;
  return value === 'ALL_OLD' ? 'ALL_OLD' : 'refused';
}

const badReturnValues = (input: Obj): Obj => ({
  __type: 'com.amazon.coral.validate#ValidationException',
  message: `1 validation error detected: Value '${String(input.ReturnValuesOnConditionCheckFailure)}' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]`,
});

/**
 * Adds `Item` to a ConditionalCheckFailedException answer, as DynamoDB does with ALL_OLD: the item as it is when
 * the condition failed (read at once, consistently, before the answer goes out; absent when there is none).
 */
function withOldItemOnConditionFailure(res: ServerResponse, input: Obj, ask: Ask): void {
  const end = res.end.bind(res) as (chunk?: unknown) => ServerResponse;
  res.end = ((chunk?: unknown) => {
    const text = chunk === undefined || chunk === null ? '' : String(chunk);
    if (res.statusCode !== 400 || !text.includes('ConditionalCheckFailedException')) return end(chunk);
    void (async () => {
      const answer = JSON.parse(text) as Obj;
      try {
        const key = (input.Key as Obj | undefined) ?? (await keyOf(input, ask));
        const got = await ask('GetItem', { TableName: input.TableName, Key: key, ConsistentRead: true });
        if (got.status === 200 && got.body.Item) answer.Item = got.body.Item;
      } finally {
        const out = JSON.stringify(answer);
        res.setHeader('x-amz-crc32', crc32(out));
        res.setHeader('Content-Length', Buffer.byteLength(out));
        end(out);
      }
    })();
    return res;
  }) as ServerResponse['end'];
}

/** A PutItem's key: the item's attributes its table's key schema names. */
async function keyOf(input: Obj, ask: Ask): Promise<Obj> {
  const described = await ask('DescribeTable', { TableName: input.TableName });
  const schema = ((described.body.Table as Obj | undefined)?.KeySchema ?? []) as { AttributeName: string }[];
  const item = (input.Item ?? {}) as Obj;
  return Object.fromEntries(schema.map((k) => [k.AttributeName, item[k.AttributeName]]));
}

function sendJson(res: ServerResponse, status: number, body: Obj): void {
  const answer = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(answer) });
  res.end(answer);
}

/** The maps of attribute values a request carries at its top level, by the names DynamoDB gives them. */
const VALUE_MAPS = ['Key', 'Item', 'ExpressionAttributeValues', 'ExclusiveStartKey'];

/** The first `<map>.<name>` whose attribute value is null, if the body has one (other wrong types dynalite refuses itself). */
function emptyAttributeValue(input: Obj): string | undefined {
  for (const map of VALUE_MAPS) {
    const values = input[map];
    if (!values || typeof values !== 'object' || Array.isArray(values)) continue;
    for (const [name, value] of Object.entries(values)) if (value === null) return `${map}.${name}`;
  }
  return undefined;
}

/** The same as a plain request listener, which reads the body itself (a server of its own, as the store tests use). */
export function dynamoHandler(path?: string): RequestListener {
  const serve = dynamoStore(path);
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => serve(req, Buffer.concat(chunks), res));
  };
}

/** CreateTable input from a CloudFormation table's properties (the parts DynamoDB's API shares). */
export function createTableInput(props: Obj): CreateTableCommandInput {
  const gsis = (props.GlobalSecondaryIndexes as Obj[] | undefined)?.map((g) => ({
    IndexName: g.IndexName as string,
    KeySchema: g.KeySchema as CreateTableCommandInput['KeySchema'],
    Projection: g.Projection as Obj,
    ...(props.BillingMode === 'PAY_PER_REQUEST' ? {} : { ProvisionedThroughput: g.ProvisionedThroughput as never }),
  }));
  return {
    TableName: props.TableName as string,
    AttributeDefinitions: props.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
    KeySchema: props.KeySchema as CreateTableCommandInput['KeySchema'],
    BillingMode: (props.BillingMode as 'PAY_PER_REQUEST' | 'PROVISIONED' | undefined) ?? 'PROVISIONED',
    ...(props.BillingMode === 'PAY_PER_REQUEST'
      ? {}
      : {
          ProvisionedThroughput: (props.ProvisionedThroughput as never) ?? {
            ReadCapacityUnits: 5,
            WriteCapacityUnits: 5,
          },
        }),
    ...(gsis?.length ? { GlobalSecondaryIndexes: gsis as never } : {}),
  };
}

/** Creates each table unless it exists (an on-disk store keeps them), and waits until ACTIVE. */
export async function ensureTables(endpoint: string, tables: Obj[], region: string): Promise<void> {
  // Region and key as the functions use them: DynamoDB Local keeps tables per region and access key.
  const client = new DynamoDBClient({
    endpoint,
    region,
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'local',
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
    },
  });
  try {
    for (const props of tables) {
      const input = createTableInput(props);
      try {
        await client.send(new CreateTableCommand(input));
      } catch (err) {
        if (!(err instanceof ResourceInUseException)) throw err;
      }
      for (let i = 0; i < 200; i++) {
        const { Table } = await client.send(new DescribeTableCommand({ TableName: input.TableName }));
        if (Table?.TableStatus === 'ACTIVE') break;
        await new Promise((r) => setTimeout(r, 25));
      }
    }
  } finally {
    client.destroy();
  }
}
