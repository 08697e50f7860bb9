// Local DynamoDB: dynalite (in memory, or on disk with a path) served on local mode's own port.
// Tables are created from the same AWS::DynamoDB::Table definitions as serverless.yml, through the real SDK.
import type { IncomingMessage, ServerResponse, Server } from 'node:http';
import { EventEmitter } from 'node:events';
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
  return (req, body, res) => {
    const empty = emptyAttributeValue(body);
    if (empty) {
      // DynamoDB refuses a null where an attribute value goes; dynalite throws on it instead.
      const answer = JSON.stringify({
        __type: 'com.amazon.coral.validate#ValidationException',
        message: `One or more parameter values were invalid: Supplied AttributeValue is empty, must contain exactly one of the supported datatypes (${empty})`,
      });
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(answer) });
      return void res.end(answer);
    }
    const read = Object.assign(new EventEmitter(), { headers: req.headers, method: req.method, url: req.url });
    listener(read as unknown as IncomingMessage, res);
    try {
      read.emit('data', body.toString().trim() === 'null' ? Buffer.from('{}') : body);
      read.emit('end');
    } catch (err) {
      log(`dynalite failed on a ${req.headers['x-amz-target']} request: ${(err as Error).stack ?? err}`);
      if (res.headersSent) return void res.destroy();
      const answer = JSON.stringify({
        __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
        message: `local mode's DynamoDB (dynalite) failed on this request: ${(err as Error).message}`,
      });
      res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(answer) });
      res.end(answer);
    }
  };
}

/** The maps of attribute values a request carries at its top level, by the names DynamoDB gives them. */
const VALUE_MAPS = ['Key', 'Item', 'ExpressionAttributeValues', 'ExclusiveStartKey'];

/** The first `<map>.<name>` whose attribute value is null, if the body has one (other wrong types dynalite refuses itself). */
function emptyAttributeValue(body: Buffer): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString());
  } catch {
    return undefined; // dynalite answers SerializationException itself
  }
  if (!parsed || typeof parsed !== 'object') return undefined;
  for (const map of VALUE_MAPS) {
    const values = (parsed as Record<string, unknown>)[map];
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

type Obj = Record<string, unknown>;

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
