// Local mode's quotas as AWS answers them: Lambda's concurrency (reserved and the account's) and timeout,
// with Step Functions seeing Lambda's throttle under its own name; PutEvents' and StartExecution's rates
// through the real SDK clients.
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { LambdaHost, LambdaThrottled } from '../../local/lambda.ts';
import { LocalClock } from '../../local/clock.ts';
import { LocalStepFunctions } from '../../local/stepfunctions.ts';
import { Throttles } from '../../local/quotas.ts';
import type { FunctionWiring } from '../../local/wiring.ts';
import { ROOT, startHarness } from '../support/local.ts';

const fn = (key: string, extra: Partial<FunctionWiring> = {}): FunctionWiring => ({
  key,
  name: `quota-test-${key}`,
  arn: `arn:aws:lambda:eu-west-1:000000000000:function:quota-test-${key}`,
  module: 'test/fixtures/slow-handler.ts',
  exportName: 'handler',
  environment: {},
  timeoutSeconds: 10,
  memoryMb: 256,
  http: [],
  schedules: [],
  ...extra,
});

function host(functions: FunctionWiring[], concurrency: number, throttles?: Throttles): LambdaHost {
  return new LambdaHost(
    ROOT,
    {
      endpoint: 'http://127.0.0.1:9',
      region: 'eu-west-1',
      credentials: () => ({ accessKeyId: 'test', secretAccessKey: 'test' }),
      clock: new LocalClock().shared,
    },
    functions,
    () => undefined,
    undefined,
    { concurrency, ...(throttles ? { throttles } : {}) },
  );
}

describe('local Lambda: concurrency and timeout', () => {
  const hosts: LambdaHost[] = [];
  afterAll(() => Promise.all(hosts.map((h) => h.close())));
  const started = (h: LambdaHost) => {
    hosts.push(h);
    return h;
  };

  test('a function with reserved concurrency runs that many at once; one more is throttled, as Lambda throttles it', async () => {
    const throttles = new Throttles();
    const one = fn('reserved', { reservedConcurrency: 1 });
    const lambdas = started(host([one, fn('other')], 1000, throttles));
    await lambdas.loadAll();
    const first = lambdas.invoke(one.arn, { ms: 300 });
    const refused = await lambdas.invoke(one.arn, {}).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LambdaThrottled);
    expect(refused).toMatchObject({
      name: 'TooManyRequestsException',
      status: 429,
      reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
      message: 'Rate Exceeded.',
    });
    // The other function is not held back by it.
    await expect(lambdas.invoke(fn('other').arn, {})).resolves.toMatchObject({ memory: '256' });
    await first;
    // Once the first has ended, the next one runs.
    await expect(lambdas.invoke(one.arn, {})).resolves.toBeDefined();
    expect(throttles.all).toEqual({ 'Lambda reserved': 1 });
  });

  test("the functions without a reservation share the account's concurrency", async () => {
    const a = fn('a');
    const b = fn('b');
    const lambdas = started(host([a, b], 2));
    await lambdas.loadAll();
    const running = [lambdas.invoke(a.arn, { ms: 300 }), lambdas.invoke(b.arn, { ms: 300 })];
    expect(lambdas.concurrentExecutions).toBe(2);
    await expect(lambdas.invoke(a.arn, {})).rejects.toMatchObject({ reason: 'ConcurrentInvocationLimitExceeded' });
    await Promise.all(running);
    expect(lambdas.concurrentExecutions).toBe(0);
  });

  test('a reservation that leaves the account fewer than 100 unreserved is refused, as Lambda refuses it', () => {
    expect(() => host([fn('big', { reservedConcurrency: 950 })], 1000)).toThrow(
      /reserve 950 concurrent executions of the account's 1000, leaving 50; Lambda keeps at least 100 unreserved/,
    );
  });

  test("past its timeout an invocation ends in Sandbox.Timedout, and the next one gets a new sandbox with the function's time", async () => {
    const slow = fn('slow', { timeoutSeconds: 1 });
    const lambdas = started(host([slow], 1000));
    await lambdas.loadAll();
    const t0 = Date.now();
    await expect(lambdas.invoke(slow.arn, { ms: 5000 })).rejects.toMatchObject({
      name: 'Sandbox.Timedout',
      message: 'Task timed out after 1.00 seconds',
    });
    expect(Date.now() - t0).toBeLessThan(4000);
    const next = (await lambdas.invoke(slow.arn, { ms: 50 })) as { before: number; after: number };
    expect(next.before).toBeLessThanOrEqual(1000);
    expect(next.before).toBeGreaterThan(800);
    expect(next.after).toBeLessThan(next.before);
  });

  test("invocations sharing local mode's one thread count their timeout again instead of failing for each other", async () => {
    const slow = fn('shared', { timeoutSeconds: 1 });
    const lambdas = started(host([slow], 1000));
    await lambdas.loadAll();
    // Each would run in a sandbox of its own in AWS, alone on its CPU: neither times out here.
    await expect(
      Promise.all([lambdas.invoke(slow.arn, { ms: 1500 }), lambdas.invoke(slow.arn, { ms: 1500 })]),
    ).resolves.toHaveLength(2);
  });

  test("a Task sees Lambda's throttle as Lambda.TooManyRequestsException, which its Retry and Catch match", async () => {
    const never = fn('never', { reservedConcurrency: 0 });
    const lambdas = started(host([never], 1000));
    const arn = 'arn:aws:states:eu-west-1:000000000000:stateMachine:quota-test';
    const sfn = new LocalStepFunctions(
      [
        {
          key: 'quotaTest',
          name: 'quota-test',
          arn,
          type: 'EXPRESS',
          definition: {
            StartAt: 'Call',
            States: {
              Call: {
                Type: 'Task',
                Resource: never.arn,
                Retry: [{ ErrorEquals: ['Lambda.TooManyRequestsException'], IntervalSeconds: 1, MaxAttempts: 1 }],
                Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Caught' }],
                End: true,
              },
              Caught: { Type: 'Pass', End: true },
            },
          },
        },
      ],
      lambdas,
      async () => ({ FailedEntryCount: 0, Entries: [] }),
      'eu-west-1',
    );
    const e = sfn.startExecution({ stateMachineArn: arn, input: '{}' });
    await e.done;
    expect(e.status).toBe('SUCCEEDED');
    const out = JSON.parse(e.output ?? '{}') as { error: { Error: string; Cause: string } };
    expect(out.error.Error).toBe('Lambda.TooManyRequestsException');
    expect(out.error.Cause).toMatch(/Reason: ReservedFunctionConcurrentInvocationLimitExceeded/);
  });
});

describe('local mode: PutEvents and StartExecution rates, through the SDK', () => {
  test('past the PutEvents rate an agent gets ThrottlingException; StartExecution past its bucket likewise', async () => {
    const h = await startHarness(
      {},
      { quotas: { putEventsRate: 1, startExecutionRate: 1, startExecutionBurst: 1, dynamoPartitionWriteUnits: 2 } },
    );
    try {
      const common = {
        endpoint: h.app.url,
        region: h.app.wiring.region,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        maxAttempts: 1,
      };
      const events = new EventBridgeClient(common);
      const put = () =>
        events.send(
          new PutEventsCommand({
            Entries: [{ EventBusName: h.app.wiring.buses[0], Source: 'quota.test', DetailType: 'Ping', Detail: '{}' }],
          }),
        );
      await put();
      await expect(put()).rejects.toMatchObject({
        name: 'ThrottlingException',
        message: 'Rate exceeded',
        $metadata: { httpStatusCode: 400 },
      });
      const sfn = new SFNClient(common);
      const machine = h.app.wiring.stateMachines.find((m) => m.type === 'EXPRESS')!;
      const start = () =>
        sfn.send(new StartExecutionCommand({ stateMachineArn: machine.arn, input: JSON.stringify({ reviewId: 'x' }) }));
      await start();
      await expect(start()).rejects.toMatchObject({ name: 'ThrottlingException', message: 'Rate exceeded' });
      // DynamoDB: two write units a second on one partition key here; the third write is refused with the
      // reason DynamoDB gives, the same key's neighbour is not.
      const dynamo = new DynamoDBClient(common);
      const table = String((h.app.wiring.tables[0] as { TableName: string }).TableName);
      const write = (pk: string) =>
        dynamo.send(new PutItemCommand({ TableName: table, Item: { pk: { S: pk }, sk: { S: 'quota' } } }));
      await write('QUOTA#1');
      await write('QUOTA#1');
      const refused = await write('QUOTA#1').catch((e: unknown) => e);
      expect(refused).toMatchObject({
        name: 'ProvisionedThroughputExceededException',
        $metadata: { httpStatusCode: 400 },
      });
      expect((refused as { ThrottlingReasons?: unknown }).ThrottlingReasons).toEqual([
        { reason: 'TableWriteKeyRangeThroughputExceeded', resource: expect.stringContaining(`:table/${table}`) },
      ]);
      await write('QUOTA#2');
      expect(h.app.throttles.all[`DynamoDB ${table}`]).toBe(1);
      // The workflow started first publishes too, on the same account's rate: it may be throttled as well.
      expect(h.app.throttles.all['Step Functions StartExecution']).toBe(1);
      expect(h.app.throttles.all['EventBridge PutEvents']).toBeGreaterThanOrEqual(1);
    } finally {
      await h.close();
    }
  });
});
