import { demandOf, TableBuckets } from '../../local/dynamodb-throughput.ts';
import { AWS_DEFAULT_QUOTAS, quotasFrom, TokenBucket } from '../../local/quotas.ts';

describe('local quotas', () => {
  test('a token bucket gives its burst at once, then its rate a second', () => {
    let now = 0;
    const bucket = new TokenBucket(2, 3, () => now);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    now = 499;
    expect(bucket.take()).toBe(false);
    now = 500;
    expect(bucket.take()).toBe(true);
    now = 10_000;
    // Never more than the burst, however long it waited.
    expect([bucket.take(3), bucket.take()]).toEqual([true, false]);
  });

  test('a request for more than is there takes nothing', () => {
    const bucket = new TokenBucket(1, 2, () => 0);
    expect(bucket.take(3)).toBe(false);
    expect(bucket.take(2)).toBe(true);
  });

  test("the defaults are AWS's, and flags change them within range", () => {
    expect(quotasFrom({})).toEqual(AWS_DEFAULT_QUOTAS);
    expect(AWS_DEFAULT_QUOTAS).toEqual({
      lambdaConcurrency: 1000,
      putEventsRate: 10_000,
      startExecutionRate: 6000,
      startExecutionBurst: 6000,
      dynamoPartitionWriteUnits: 1000,
      dynamoTableWriteUnits: 4000,
    });
    expect(quotasFrom({ HITL_LAMBDA_CONCURRENCY: '50', HITL_START_EXECUTION_RATE: '20' })).toEqual({
      lambdaConcurrency: 50,
      putEventsRate: 10_000,
      startExecutionRate: 20,
      startExecutionBurst: 20,
      dynamoPartitionWriteUnits: 1000,
      dynamoTableWriteUnits: 4000,
    });
    expect(() => quotasFrom({ HITL_PUTEVENTS_RATE: '0' })).toThrow(
      'HITL_PUTEVENTS_RATE must be a whole number from 1 to 1000000, not "0"',
    );
    expect(() => quotasFrom({ HITL_LAMBDA_CONCURRENCY: '2.5' })).toThrow(/HITL_LAMBDA_CONCURRENCY must be a whole/);
  });
});

describe("DynamoDB's on-demand throughput", () => {
  test('a PutItem asks a unit per KB of its item, other writes at least one, reads a third of a unit per 4 KB', () => {
    const big = { pk: { S: 'R#1' }, body: { S: 'x'.repeat(2500) } };
    expect(demandOf('PutItem', { Item: big }, 'pk')).toEqual({ units: 3, partition: '{"S":"R#1"}', write: true });
    expect(demandOf('UpdateItem', { Key: { pk: { S: 'R#1' } } }, 'pk')).toMatchObject({ units: 1, write: true });
    expect(demandOf('GetItem', { Key: { pk: { S: 'R#1' } }, ConsistentRead: true }, 'pk')?.units).toBeCloseTo(1 / 3);
    expect(
      demandOf(
        'Query',
        {
          KeyConditionExpression: '#p = :p',
          ExpressionAttributeNames: { '#p': 'pk' },
          ExpressionAttributeValues: { ':p': { S: 'R#1' } },
        },
        'pk',
      ),
    ).toMatchObject({ partition: '{"S":"R#1"}', write: false });
    // An index's Query reads the index's partitions, not the table's; Scan and the rest are not counted.
    expect(demandOf('Query', { IndexName: 'due' }, 'pk')).toBeUndefined();
    expect(demandOf('DescribeTable', {}, 'pk')).toBeUndefined();
  });

  test('a hot partition key is refused with its key range reason; the table as a whole by its own limit', () => {
    let now = 0;
    const buckets = new TableBuckets(
      'arn:aws:dynamodb:eu-west-1:000000000000:table/t',
      { partitionWriteUnits: 2, tableWriteUnits: 3 },
      () => now,
    );
    const write = (pk: string) => ({ units: 1, partition: pk, write: true });
    buckets.admit(write('a'));
    buckets.admit(write('a'));
    expect(() => buckets.admit(write('a'))).toThrow(
      expect.objectContaining({
        name: 'ProvisionedThroughputExceededException',
        fields: {
          ThrottlingReasons: [
            {
              reason: 'TableWriteKeyRangeThroughputExceeded',
              resource: 'arn:aws:dynamodb:eu-west-1:000000000000:table/t',
            },
          ],
        },
      }),
    );
    buckets.admit(write('b'));
    // The table's third unit is gone: another key is refused too, and its partition keeps its tokens.
    expect(() => buckets.admit(write('c'))).toThrow('The level of configured provisioned throughput');
    now = 1000;
    buckets.admit(write('c'));
    buckets.admit(write('c'));
    expect(buckets.throttled).toBe(2);
  });
});
