// Local mode reads request bodies as AWS's protocols do, and answers a client's mistake with the 4xx AWS answers
// (never a 5xx), staying healthy after: issue 13's 500s, each as its class.
import { PutEventsCommand, TestEventPatternCommand } from '@aws-sdk/client-eventbridge';
import { reviewsOf } from '../support/reviews.ts';
import { clients, startHarness, type Harness } from '../support/local.ts';
import { purchaseOrder } from '../support/proposals.ts';
import { routesFrom } from '../../local/http-api.ts';
import { AWS_JSON_OPERATIONS, awsJsonCall, errorName, sesSendEmailCall, wire } from './local-wire.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

const deep = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
const entry = (over: Record<string, unknown> = {}) => ({
  EventBusName: 'hitl-dev',
  Source: 'agent.test',
  DetailType: 'Ping',
  Detail: '{}',
  ...over,
});
const putEvents = (body: unknown) =>
  awsJsonCall(h.app.url, 'AWSEvents.PutEvents', typeof body === 'string' ? body : JSON.stringify(body));

/** A proposal still becomes a review: local mode is healthy. */
async function stillHealthy() {
  const opened = await reviewsOf(h).open(purchaseOrder(5000));
  expect(opened.review.status).toBe('PENDING');
  expect((await fetch(`${h.app.url}/_local/events`)).status).toBe(200);
  expect((await fetch(`${h.app.url}/_local/clock`)).status).toBe(200);
}

describe('request bodies, read as AWS reads them', () => {
  it.each(AWS_JSON_OPERATIONS)(
    '$target refuses a body that is not a JSON object with SerializationException',
    async ({ target }) => {
      for (const body of ['not json', '[]', '5', '"text"', '{"unterminated":']) {
        const a = await awsJsonCall(h.app.url, target, body);
        expect({ body, status: a.status, name: errorName(a) }).toEqual({
          body,
          status: 400,
          name: 'SerializationException',
        });
        expect(a.json.message).toMatch(/not valid JSON|expected an object/);
      }
    },
  );

  it.each(AWS_JSON_OPERATIONS.filter((o) => o.target !== 'AWSStepFunctions.ListStateMachines'))(
    '$target reads a null body as an empty input and names each required member',
    async ({ target }) => {
      const a = await awsJsonCall(h.app.url, target, 'null');
      expect(a.status).toBe(400);
      expect(a.json).toMatchObject({
        __type: 'ValidationException',
        message: expect.stringMatching(
          /^\d validation errors? detected: Value null at '\w+' failed to satisfy constraint: Member must not be null/,
        ),
      });
    },
  );

  it('answers PutEvents bodies of the wrong shape as AWS does', async () => {
    const cases: [unknown, string, RegExp][] = [
      [null, 'ValidationException', /Value null at 'entries' failed to satisfy constraint: Member must not be null/],
      [{ Entries: [null] }, 'ValidationException', /Value null at 'entries.1.member' .*must not be null/],
      [{ Entries: [] }, 'ValidationException', /at 'entries' .*length greater than or equal to 1/],
      [{ Entries: Array.from({ length: 11 }, () => entry()) }, 'ValidationException', /less than or equal to 10/],
      [{ Entries: {} }, 'SerializationException', /^Entries: expected a list, found an object/],
      [
        { Entries: [entry({ EventBusName: 5 })] },
        'SerializationException',
        /Entries\[0\]\.EventBusName: expected a string/,
      ],
      [{ Entries: [entry({ Time: 'garbage' })] }, 'SerializationException', /Entries\[0\]\.Time: expected a timestamp/],
      [
        { Entries: [entry({ Time: 1e20 })] },
        'SerializationException',
        /Entries\[0\]\.Time: timestamp 1\d+ is out of range/,
      ],
      [
        { Entries: [entry({ EventBusName: '' })] },
        'ValidationException',
        /'entries.1.member.eventBusName' .*length greater/,
      ],
      [{ Entries: [entry({ EventBusName: 'has space' })] }, 'ValidationException', /eventBusName' .*pattern/],
    ];
    for (const [body, name, message] of cases) {
      const a = await putEvents(body);
      expect({ body, status: a.status, name: errorName(a) }).toEqual({ body, status: 400, name });
      expect(a.json.message).toMatch(message);
    }
  });

  it('refuses a null SES v2 SendEmail as REST-JSON refuses it: BadRequestException in the header, { message } in the body', async () => {
    for (const body of ['null', '{}', 'not json', '{"Content":5}', '{"Content":{"Raw":{"Data":"***"}}}']) {
      const a = await sesSendEmailCall(h.app.url, body);
      expect({ body, status: a.status, name: errorName(a) }).toEqual({
        body,
        status: 400,
        name: 'BadRequestException',
      });
      expect(Object.keys(a.json)).toEqual(['message']);
      expect(a.json.message).toMatch(/content|JSON|Content|base64/);
    }
  });

  it('refuses a pattern longer than TestEventPattern allows, and an event nested deeper than AWS reads', async () => {
    const { eventBridge } = clients(h.app.url);
    const event = JSON.stringify({
      id: '1',
      account: '000000000000',
      source: 'agent.test',
      time: '2026-11-24T10:00:00Z',
      region: 'eu-west-1',
      resources: [],
      'detail-type': 'Ping',
      detail: {},
    });
    await expect(
      eventBridge.send(new TestEventPatternCommand({ EventPattern: deep(20_000), Event: event })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/length less than or equal to 4096/),
    });
    await expect(
      eventBridge.send(new TestEventPatternCommand({ EventPattern: '{"source":["agent.test"]}', Event: deep(20_000) })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/nests deeper than 1000 levels/),
    });
    // Forty sibling $or double the alternatives forty times: refused, not expanded.
    const bomb = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, { $or: [{ a: [1] }, { b: [2] }] }]));
    await expect(
      eventBridge.send(new TestEventPatternCommand({ EventPattern: JSON.stringify(bomb), Event: event })),
    ).rejects.toMatchObject({ name: 'InvalidEventPatternException', message: expect.stringMatching(/too complex/) });
    await expect(
      eventBridge.send(new TestEventPatternCommand({ EventPattern: '{"source":["agent.test"]}', Event: event })),
    ).resolves.toMatchObject({ Result: true });
  });

  it('fails an event detail nested deeper than 1000 levels as MalformedDetail, and the events page still renders', async () => {
    const { eventBridge } = clients(h.app.url);
    const out = await eventBridge.send(
      new PutEventsCommand({ Entries: [entry({ Detail: deep(20_000) }), entry({ Detail: deep(999) })] }),
    );
    expect(out.FailedEntryCount).toBe(1);
    expect(out.Entries![0]).toEqual({
      ErrorCode: 'MalformedDetail',
      ErrorMessage: 'Detail is malformed: it nests deeper than 1000 levels.',
    });
    expect(out.Entries![1]!.EventId).toBeDefined();
    expect((await fetch(`${h.app.url}/_local/events`)).status).toBe(200);
  });
});

describe('paths and local endpoints', () => {
  it('answers 400 for a path that does not percent-decode, on every HTTP API route with a path parameter', async () => {
    // A route without one (GET /inbox) has no segment to decode: its literal path is the only one it matches.
    const routes = routesFrom(h.app.wiring.functions).filter((r) => r.path.includes('{'));
    expect(routes.length).toBeGreaterThanOrEqual(4);
    for (const route of routes) {
      const path = route.path.replace(/\{\w+\+?\}/g, '%ZZ');
      const a = await wire(h.app.url, {
        method: route.method === '*' ? 'GET' : route.method,
        path,
        ...(route.authorizer === 'aws_iam' ? { service: 'execute-api' } : {}),
        ...(route.method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {}),
      });
      expect({ route: route.path, status: a.status }).toEqual({ route: route.path, status: 400 });
      expect(a.json.message).toContain('%ZZ');
    }
  });

  it('refuses a clock jump past the last date it can show, and keeps its time', async () => {
    const before = (await (await fetch(`${h.app.url}/_local/clock`)).json()) as { now: string };
    for (const body of ['{"advanceMs":1e308}', '{"advanceMs":-1}', '{"advanceMs":"60000"}', 'null', '[]', 'x']) {
      const a = await wire(h.app.url, { path: '/_local/clock', body });
      expect({ body, status: a.status }).toEqual({ body, status: 400 });
      expect(a.json.message).toBeTruthy();
    }
    const after = (await (await fetch(`${h.app.url}/_local/clock`)).json()) as { now: string };
    expect(Date.parse(after.now) - Date.parse(before.now)).toBeLessThan(60_000);
    const moved = await wire(h.app.url, { path: '/_local/clock', body: '{"advanceMs":60000}' });
    expect(moved.status).toBe(200);
  });

  it('answers 413 for a body over 10 MB, on an AWS endpoint and a route alike', async () => {
    const huge = 'x'.repeat(10 * 1024 * 1024 + 1);
    expect((await wire(h.app.url, { headers: { 'x-amz-target': 'AWSEvents.PutEvents' }, body: huge })).status).toBe(
      413,
    );
    expect((await wire(h.app.url, { path: '/reviews/r/decision', body: huge })).status).toBe(413);
  });

  it('answers a request target that is not a URL path with 400, once, whatever its body', async () => {
    for (const body of ['{}', 'x'.repeat(1_000_000)]) {
      const a = await wire(h.app.url, { method: 'OPTIONS', path: '//', body });
      expect(a.status).toBe(400);
      expect(a.json.message).toContain('"//" is not a valid URL path');
    }
  });

  it("reads a null DynamoDB body as an empty input, as DynamoDB does, instead of failing dynalite's reader", async () => {
    for (const op of ['GetItem', 'Query', 'DescribeTable', 'PutItem']) {
      const a = await wire(h.app.url, {
        service: 'dynamodb',
        headers: { 'x-amz-target': `DynamoDB_20120810.${op}`, 'content-type': 'application/x-amz-json-1.0' },
        body: 'null',
      });
      expect({ op, status: a.status }).toEqual({ op, status: 400 });
      expect(a.json.__type).toMatch(/ValidationException$/);
      expect(a.json.message).toMatch(/tableName|TableName/);
    }
  });

  it('refuses a null attribute value in a key, an item or expression values with ValidationException, as DynamoDB does', async () => {
    for (const [op, body] of [
      ['DeleteItem', { TableName: 'hostile-table', Key: { '<{]}*&Q_*': null } }],
      ['PutItem', { TableName: 'hostile-table', Item: { pk: { S: 'a' }, v: null } }],
      [
        'Query',
        { TableName: 'hostile-table', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': null } },
      ],
    ] as const) {
      const a = await wire(h.app.url, {
        service: 'dynamodb',
        headers: { 'x-amz-target': `DynamoDB_20120810.${op}`, 'content-type': 'application/x-amz-json-1.0' },
        body: JSON.stringify(body),
      });
      expect({ op, status: a.status, type: a.json.__type }).toEqual({
        op,
        status: 400,
        type: 'com.amazon.coral.validate#ValidationException',
      });
      expect(a.json.message).toMatch(/Supplied AttributeValue is empty/);
    }
  });

  it('is healthy after all of it', stillHealthy);
});
