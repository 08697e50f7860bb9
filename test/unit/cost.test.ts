// The cost model's billing units and the flags of `npm run cost`: AWS's rounding rules, priced from the prices file.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  attributeSize,
  indexWriteUnits,
  itemSize,
  numberSize,
  readUnitsFor,
  type TableDefinition,
  writeUnitsFor,
} from '../../local/meter.ts';
import {
  accessLogBytes,
  billOf,
  type Counts,
  eventChunks,
  expressGbSeconds,
  httpApiRequests,
  sqsRequests,
  lambdaGbSeconds,
  loadPrices,
  PRICE_KEYS,
  PRICES_FILE,
  parseCostFlags,
  proposalsPerTier,
  total,
} from '../../scripts/cost-model.ts';

describe('billing units', () => {
  test('Express duration is billed in 100 ms steps at 64 MB chunks of memory', () => {
    expect(expressGbSeconds(1)).toBeCloseTo(0.1 * (64 / 1024), 12);
    expect(expressGbSeconds(100)).toBeCloseTo(0.1 * (64 / 1024), 12);
    expect(expressGbSeconds(101)).toBeCloseTo(0.2 * (64 / 1024), 12);
    expect(expressGbSeconds(250, 65)).toBeCloseTo(0.3 * (128 / 1024), 12);
  });

  test('Lambda duration is billed per 1 ms, rounded up, at the configured memory', () => {
    expect(lambdaGbSeconds(1.2, 512)).toBeCloseTo(0.002 * 0.5, 12);
    expect(lambdaGbSeconds(12, 1024)).toBeCloseTo(0.012, 12);
    expect(lambdaGbSeconds(0.1, 128)).toBeCloseTo(0.001 * 0.125, 12);
  });

  test('an EventBridge entry is one event per 64 KB chunk', () => {
    expect(eventChunks(1)).toBe(1);
    expect(eventChunks(64 * 1024)).toBe(1);
    expect(eventChunks(64 * 1024 + 1)).toBe(2);
    expect(eventChunks(200 * 1024)).toBe(4);
  });

  test('an SQS request is one request per 64 KB of its payload, an empty one included', () => {
    expect(sqsRequests(0)).toBe(1);
    expect(sqsRequests(64 * 1024)).toBe(1);
    expect(sqsRequests(64 * 1024 + 1)).toBe(2);
    expect(sqsRequests(256 * 1024)).toBe(4);
  });

  test('an HTTP API request is metered per 512 KB', () => {
    expect(httpApiRequests(300)).toBe(1);
    expect(httpApiRequests(512 * 1024)).toBe(1);
    expect(httpApiRequests(512 * 1024 + 1)).toBe(2);
  });

  test('a write costs one unit per 1 KB of the item, a read one per 4 KB, half when eventually consistent', () => {
    expect(writeUnitsFor(0)).toBe(1);
    expect(writeUnitsFor(1024)).toBe(1);
    expect(writeUnitsFor(1025)).toBe(2);
    expect(writeUnitsFor(3500)).toBe(4);
    expect(readUnitsFor(4096, true)).toBe(1);
    expect(readUnitsFor(4097, true)).toBe(2);
    expect(readUnitsFor(100, false)).toBe(0.5);
    expect(readUnitsFor(0, true)).toBe(1);
  });

  test('an item is sized as DynamoDB sizes it: names, values, 3 bytes per list or map and 1 per element', () => {
    expect(numberSize('123.45')).toBe(4);
    expect(numberSize('-0.00100')).toBe(2);
    expect(numberSize('1000000')).toBe(2);
    expect(attributeSize({ S: 'héllo' })).toBe(6);
    expect(attributeSize({ B: Buffer.from('abcd').toString('base64') })).toBe(4);
    expect(attributeSize({ BOOL: true })).toBe(1);
    expect(attributeSize({ L: [{ S: 'ab' }, { N: '7' }] })).toBe(3 + (2 + 1) + (2 + 1));
    expect(attributeSize({ M: { k: { S: 'v' } } })).toBe(3 + (1 + 1 + 1));
    expect(itemSize({ pk: { S: 'REVIEW#1' }, n: { N: '42' } })).toBe(2 + 8 + 1 + 2);
    expect(() => attributeSize({ X: 1 })).toThrow('not a DynamoDB attribute value');
  });

  test('an index write is counted when an item enters, leaves or moves in a keys-only index, not when other attributes change', () => {
    const table: TableDefinition = {
      TableName: 'reviews',
      KeySchema: [{ AttributeName: 'pk' }, { AttributeName: 'sk' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'due',
          KeySchema: [{ AttributeName: 'dueShard' }, { AttributeName: 'dueAt' }],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    };
    const item = { pk: { S: 'REVIEW#1' }, sk: { S: 'META' }, status: { S: 'PENDING' } };
    const due = { ...item, dueShard: { S: 'DUE#1' }, dueAt: { S: '2026-12-02T10:00:00.000Z' } };
    expect(indexWriteUnits(table, undefined, due)).toBe(1);
    expect(indexWriteUnits(table, due, item)).toBe(1);
    expect(indexWriteUnits(table, due, { ...due, dueAt: { S: '2026-12-02T14:00:00.000Z' } })).toBe(2);
    expect(indexWriteUnits(table, due, { ...due, status: { S: 'APPROVED' } })).toBe(0);
    expect(indexWriteUnits(table, item, { ...item, status: { S: 'APPROVED' } })).toBe(0);
  });

  test("an access-log line is the stage's format with the request's values", () => {
    const format = '{"status":"$context.status","routeKey":"$context.routeKey","len":"$context.responseLength"}';
    expect(accessLogBytes(format, 'GET /reviews/{id}', 200, 5120)).toBe(
      Buffer.byteLength('{"status":"200","routeKey":"GET /reviews/{id}","len":"5120"}\n'),
    );
  });
});

describe('prices', () => {
  test('every price the model uses is in the prices file with its source and the date it was read', () => {
    const prices = loadPrices();
    for (const key of PRICE_KEYS) {
      expect(prices.prices[key].source).toMatch(/^https:\/\/aws\.amazon\.com\//);
      expect(prices.prices[key].date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
    expect(prices.prices.standardTransition.usd / prices.prices.standardTransition.per).toBeCloseTo(25e-6, 15);
    expect(prices.prices.durableOperation.usd / prices.prices.durableOperation.per).toBeCloseTo(8e-6, 15);
  });

  test('a prices file without a price the model needs is refused, naming it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hitl-prices-'));
    try {
      const file = join(dir, 'prices.json');
      const { prices, ...rest } = loadPrices(PRICES_FILE);
      const { sesEmail: _, ...others } = prices;
      await writeFile(
        file,
        JSON.stringify({ ...rest, prices: { ...others, expressRequest: { ...others.expressRequest, date: 'today' } } }),
      );
      expect(() => loadPrices(file)).toThrow(/expressRequest\.date must be YYYY-MM-DD; sesEmail is missing/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  const counts = (c: Partial<Counts>): Counts =>
    ({
      proposals: 1,
      humanDecisions: 0,
      expressRequests: 0,
      expressGbSeconds: 0,
      transitions: 0,
      handOffs: 0,
      taskStates: 0,
      lambdaRequests: 0,
      lambdaGbSeconds: 0,
      workflowLambdaRequests: 0,
      workflowLambdaGbSeconds: 0,
      checkpointBytes: 0,
      writeUnits: 0,
      indexWriteUnits: 0,
      readUnits: 0,
      conditionFailedWrites: 0,
      tableWrites: 0,
      tableReads: 0,
      largestItemBytes: 0,
      events: 0,
      archiveBytes: 0,
      apiRequests: 0,
      functionLogBytes: 0,
      platformLogBytes: 0,
      accessLogBytes: 0,
      sqsRequests: 0,
      emails: 0,
      ...c,
    }) as Counts;

  test("hitl-gate pays per Express request; the seed's design per transition, without hand-offs, plus two per decision", () => {
    const prices = loadPrices();
    const c = counts({ expressRequests: 2, transitions: 20, handOffs: 1, humanDecisions: 1 });
    expect(total(billOf('hitl-gate', c, prices))).toBeCloseTo(2e-6, 15);
    const standard = billOf('standard-workflow', c, prices).find((l) => l.item === 'Standard state transitions')!;
    expect(standard.quantity).toBe(20 - 1 + 2);
    expect(standard.usd).toBeCloseTo(21 * 25e-6, 15);
  });

  test('durable functions pay per operation: each Task state but a hand-off is a step, each decision a callback with its context and submitter', () => {
    const prices = loadPrices();
    const c = counts({ taskStates: 7, handOffs: 1, humanDecisions: 2, lambdaRequests: 9, workflowLambdaRequests: 7 });
    const lines = billOf('durable-functions', c, prices);
    expect(lines.find((l) => l.item === 'durable operations')!.quantity).toBe(7 - 1 + 2 * 3);
    // The API's functions stay; the workflow's seven become one invocation and one per decision.
    expect(lines.find((l) => l.service === 'Lambda' && l.item === 'requests')!.quantity).toBe(2 + 1 + 2);
  });
});

describe('npm run cost flags', () => {
  test('defaults to 200 proposals of the 70/20/8/2 mix, approved', () => {
    expect(parseCostFlags([])).toEqual({
      proposals: 200,
      mix: { low: 70, medium: 20, high: 8, critical: 2 },
      decide: 'approve',
      json: false,
    });
    expect(parseCostFlags(['--proposals', '40', '--mix=50/30/15/5', '--decide', 'mixed', '--json'])).toEqual({
      proposals: 40,
      mix: { low: 50, medium: 30, high: 15, critical: 5 },
      decide: 'mixed',
      json: true,
    });
  });

  test.each([
    [['--proposals', '0'], '--proposals must be a whole number from 1 to 5000, got "0".'],
    [['--proposals', '5001'], '--proposals must be a whole number from 1 to 5000, got "5001".'],
    [['--proposals', '2.5'], '--proposals must be a whole number from 1 to 5000, got "2.5".'],
    [['--proposals'], '--proposals needs a value.'],
    [['--mix', '70/20/8'], '--mix must be four whole percentages low/medium/high/critical that add up to 100'],
    [['--mix', '70/20/8/3'], '--mix percentages must add up to 100, got 70/20/8/3 = 101.'],
    [['--decide', 'maybe'], '--decide must be "approve" or "mixed", got "maybe".'],
    [['--proposals', '3'], '--proposals must be at least 4 for this mix (one proposal of each tier it names), got 3.'],
    [['--fast'], 'unknown flag "--fast".'],
  ])('refuses %j with the range it allows', (argv, message) => {
    expect(() => parseCostFlags(argv)).toThrow(message);
  });

  test('a run has at least one proposal of each tier the mix names, and exactly the proposals asked for', () => {
    expect(proposalsPerTier(200, { low: 70, medium: 20, high: 8, critical: 2 })).toEqual({
      low: 140,
      medium: 40,
      high: 16,
      critical: 4,
    });
    expect(proposalsPerTier(20, { low: 70, medium: 20, high: 8, critical: 2 })).toEqual({
      low: 13,
      medium: 4,
      high: 2,
      critical: 1,
    });
    expect(proposalsPerTier(10, { low: 100, medium: 0, high: 0, critical: 0 })).toEqual({
      low: 10,
      medium: 0,
      high: 0,
      critical: 0,
    });
  });
});
