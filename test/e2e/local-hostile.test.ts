// Property-based, against `npm start`'s process: arbitrary bodies (arbitrary JSON, values of each operation's
// shape with the wrong types mixed in, non-JSON bytes, null, deep nesting, huge strings), arbitrary paths and
// headers, at every AWS endpoint local mode serves (each X-Amz-Target action, SES v2, SSM, Lambda's durable
// execution callbacks) and every HTTP API
// route, signed where signing is required so they get past SigV4. Whatever comes in: no 5xx, an error body that
// names the problem, and local mode still healthy after the run.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { simpleParser } from 'mailparser';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { clients, eventually } from '../support/local.ts';
import { startLocalProcess, type LocalProcess } from '../support/process.ts';
import { purchaseOrder } from '../support/proposals.ts';
import { reviewIdFor } from '../../functions/domain/ids.ts';
import { INPUTS, type Shape } from '../../local/protocol.ts';
import {
  AWS_JSON_OPERATIONS,
  putProposals,
  wire,
  type WireAnswer,
  type WireRequest,
} from '../integration/local-wire.ts';

let local: LocalProcess;
/** A real pending review and its emailed link's token, so that route inputs also reach a review that exists. */
const real = { id: '', token: '' };
beforeAll(async () => {
  local = await startLocalProcess();
  const p = purchaseOrder(5000);
  await putProposals(local.url, [p]);
  real.id = reviewIdFor(p.agentId, p.proposalId);
  real.token = await eventually(async () => {
    const outbox = join(local.dataDir, 'outbox');
    for (const file of await readdir(outbox)) {
      const { text } = await simpleParser(await readFile(join(outbox, file)));
      const link = text?.includes(`(review ${real.id})`) && /Open the review[^:]*: (\S+)/.exec(text)?.[1];
      if (link) return new URL(link).searchParams.get('t') ?? undefined;
    }
    return undefined;
  }, 'the emailed link of a review opened before the run');
}, 60_000);
afterAll(async () => {
  // A crash is the worst answer of all: show how local mode ended.
  if (local && local.child.exitCode !== null)
    console.log(`local mode exited ${local.child.exitCode}:\n${local.output().slice(-4000)}`);
  await local?.stop();
});

const REGION_ACCOUNT = 'eu-west-1:000000000000';
const MACHINES = ['intake', 'resume', 'example-procurement-caller'].map(
  (m) => `arn:aws:states:${REGION_ACCOUNT}:stateMachine:hitl-gate-dev-${m}`,
);
const TABLE = 'hitl-gate-dev-reviews';

// ---------------------------------------------------------------------------------------------------------------
// What a hostile client sends

/** Text nested `levels` deep, as arrays or objects. */
const nested = fc
  .tuple(fc.integer({ min: 900, max: 25_000 }), fc.boolean())
  .map(([levels, arrays]) =>
    arrays ? `${'['.repeat(levels)}]${']'.repeat(levels - 1)}` : `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`,
  );
/** A long run of one character (up to about 600 KB of UTF-8). */
const huge = fc
  .tuple(fc.integer({ min: 2_000, max: 300_000 }), fc.constantFrom('x', 'é', '"', '\\', '\u0000', '😀'))
  .map(([n, c]) => c.repeat(n));
/** JSON text to splice in where a value goes: a value too deep for JSON.stringify to write. */
class Raw {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}
/** A value as JSON text, Raw parts spliced in as they are. */
function toJson(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_k, v: unknown) =>
    v instanceof Raw ? `\u0000raw${raws.push(v.text) - 1}\u0000` : v,
  );
  return (text ?? '').replace(/"\\u0000raw(\d+)\\u0000"/g, (_m, i: string) => raws[Number(i)]!);
}
/** Any JSON value, now and then a deep or huge one. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: huge },
  { weight: 1, arbitrary: nested.map((t) => new Raw(t)) },
);

/** Plausible values of a member, by name, so that inputs reach past the shape into what each operation does. */
const HINTS: Record<string, fc.Arbitrary<unknown>> = {
  // null reads as absent: members a real caller seldom sends are mostly left out.
  EndpointId: fc.constantFrom(null, null, null, 'abcde.veo'),
  TraceHeader: fc.constantFrom(null, null, 'Root=1-5759e988-bd862e3fe1be46a994272793'),
  Time: fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 4e9 })),
  EventBusName: fc.constantFrom(
    'hitl-dev',
    'default',
    'no-such-bus',
    `arn:aws:events:${REGION_ACCOUNT}:event-bus/hitl-dev`,
  ),
  Source: fc.constantFrom('agent.test', 'hitl.gate', 'aws.ec2', ''),
  DetailType: fc.constantFrom('Action Proposed', 'Ping', 'Review SLA Breached', 'x'.repeat(129)),
  Detail: fc.oneof(fc.json({ maxDepth: 3 }), nested, fc.constant(JSON.stringify(purchaseOrder(5000)))),
  EventPattern: fc.oneof(
    fc.json({ maxDepth: 3 }),
    fc.constantFrom(
      '{"source":["agent.test"]}',
      '{"detail":{"n":[{"numeric":[">",0]}]}}',
      '{"$or":[{"a":[1]},{"b":[2]}]}',
    ),
  ),
  Event: fc.oneof(
    fc.json({ maxDepth: 3 }),
    nested,
    fc.constant(
      JSON.stringify({ id: '1', account: '0', source: 's', time: 't', region: 'r', resources: [], 'detail-type': 'd' }),
    ),
  ),
  stateMachineArn: fc.constantFrom(...MACHINES, 'arn:aws:states:eu-west-1:000000000000:stateMachine:nope'),
  executionArn: fc.constantFrom(`arn:aws:states:${REGION_ACCOUNT}:express:hitl-gate-dev-intake:x:y`, 'not-an-arn'),
  input: fc.oneof(fc.json({ maxDepth: 3 }), nested),
  output: fc.oneof(fc.json({ maxDepth: 3 }), nested),
  taskToken: fc.oneof(
    fc.base64String(),
    fc.string().map((s) => Buffer.from(`arn:aws:states:${REGION_ACCOUNT}:execution:m:${s}#abc`).toString('base64url')),
  ),
  Names: fc.array(fc.constantFrom('/aws/reference/secretsmanager/hitl-gate-dev-link-signing-key', '/nope', ''), {
    maxLength: 12,
  }),
  Name: fc.constantFrom('/aws/reference/secretsmanager/hitl-gate-dev-link-signing-key', '/nope'),
  FromEmailAddress: fc.constantFrom('a@example.com', 'not an address', 'Sam <sam@example.com>'),
  ToAddresses: fc.array(fc.constantFrom('b@example.com', 'bad', ''), { maxLength: 3 }),
  TableName: fc.constantFrom(TABLE, 'hostile-table', ''),
  Data: fc.oneof(fc.string(), fc.base64String()),
};

const stringOf = (s: Extract<Shape, { type: 'string' }>) =>
  s.enum ? fc.constantFrom(...s.enum) : fc.string({ unit: 'grapheme', maxLength: (s.max ?? 60) + 5 });

/**
 * Values of a shape: of the right types mostly (plausible ones where HINTS has some), so that inputs get past the
 * protocol into what the operation does, with a wrong type (any JSON) now and then at any level: one time in six
 * for the whole input, one in forty for each member inside.
 */
function ofShape(shape: Shape, name = '', wrong = 1 / 6): fc.Arbitrary<unknown> {
  const inner = 1 / 40;
  const right = (): fc.Arbitrary<unknown> => {
    switch (shape.type) {
      case 'string':
        return stringOf(shape);
      case 'integer':
        return fc.integer({ min: -10, max: 2000 });
      case 'boolean':
        return fc.boolean();
      case 'timestamp':
        return fc.oneof(
          { weight: 4, arbitrary: fc.integer({ min: 0, max: 4e9 }) },
          { weight: 1, arbitrary: fc.oneof(fc.double(), fc.constantFrom(1e20, -1e20)) },
        );
      case 'blob':
        return fc.oneof(fc.base64String(), fc.string());
      case 'document':
        return anyValue;
      case 'list':
        return fc.oneof(
          { weight: 4, arbitrary: fc.array(ofShape(shape.member, '', inner), { minLength: 1, maxLength: 3 }) },
          { weight: 1, arbitrary: fc.array(ofShape(shape.member, '', inner), { maxLength: 12 }) },
        );
      case 'structure': {
        const members = Object.fromEntries(Object.entries(shape.members).map(([k, m]) => [k, ofShape(m, k, inner)]));
        return fc.oneof(
          { weight: 3, arbitrary: fc.record(members) },
          { weight: 1, arbitrary: fc.record(members, { requiredKeys: [...shape.required] }) },
          { weight: 1, arbitrary: fc.record(members, { requiredKeys: [] }) },
        );
      }
    }
  };
  const hint = HINTS[name];
  const weight = Math.round(1 / wrong) - 1;
  return fc.oneof(
    { weight, arbitrary: hint ? fc.oneof({ weight: 3, arbitrary: hint }, { weight: 1, arbitrary: right() }) : right() },
    { weight: 1, arbitrary: anyValue },
  );
}

/** A request body: the operation's shape (wrong types mixed in), any JSON, null, nothing, or not JSON at all. */
function bodyFor(shape: Shape | undefined): fc.Arbitrary<string | Uint8Array> {
  return fc.oneof(
    ...(shape ? [{ weight: 10, arbitrary: ofShape(shape).map(toJson) }] : []),
    { weight: 2, arbitrary: fc.json({ maxDepth: 4 }) },
    { weight: 1, arbitrary: fc.constantFrom('null', '', '{}', '[]', '"x"', '0', '{"', '\u0000') },
    { weight: 1, arbitrary: nested },
    { weight: 1, arbitrary: huge.map((h) => JSON.stringify({ huge: h })) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary' }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  );
}

/** Headers a client may add (the signer signs them too): odd content types, and any other header. */
const extraHeaders = fc.record(
  {
    'content-type': fc.constantFrom(
      'application/x-amz-json-1.1',
      'application/x-amz-json-1.0',
      'application/json',
      'application/x-www-form-urlencoded',
      'text/plain',
      'multipart/form-data; boundary=x',
      'application/json; charset=utf-16',
    ),
    accept: fc.constantFrom('application/json', 'text/html', '*/*', 'image/png'),
    'x-hostile': fc.string({ unit: fc.constantFrom(...'abc -_./:;=,%'.split('')), maxLength: 40 }),
  },
  { requiredKeys: [] },
);

/** A path segment: plain, percent-encoded text, or a percent sign that does not decode. */
const segment = fc.oneof(
  fc.webSegment(),
  fc.string({ unit: 'grapheme', maxLength: 20 }).map(encodeURIComponent),
  fc.stringMatching(/^%[0-9A-Za-z]{0,2}[a-z]{0,3}$/),
  fc.constantFrom('..', '.', '%00', '%2F', '%E0%A4%A', 'reviews', '_local'),
);

// ---------------------------------------------------------------------------------------------------------------
// What local mode must answer

/** Inputs tried by endpoint, and the answers that broke a rule (every one, not just the first, to list them all). */
const tried = new Map<string, number>();
/** Answers by endpoint: status and error name (`400 ValidationException`), counted. */
const answers = new Map<string, Map<string, number>>();
interface Problem {
  endpoint: string;
  rule: string;
  request: WireRequest;
  status: number;
  body: string;
}
const problems: Problem[] = [];

/** The client's mistake is a 4xx that names it; a 2xx or 3xx is fine; a 5xx never. */
function judge(
  endpoint: string,
  request: WireRequest,
  a: WireAnswer,
  style: 'awsJson' | 'dynamodb' | 'restJson' | 'http',
): true {
  tried.set(endpoint, (tried.get(endpoint) ?? 0) + 1);
  const name =
    a.headers['x-amzn-errortype']?.split(':')[0] ??
    (typeof a.json?.__type === 'string' ? a.json.__type.split('#').pop() : a.json?.error);
  const kind = `${a.status}${a.status >= 400 && name ? ` ${name}` : ''}`;
  const seen = answers.get(endpoint) ?? new Map<string, number>();
  answers.set(endpoint, seen.set(kind, (seen.get(kind) ?? 0) + 1));
  const broke = (rule: string) => {
    const body = request.body instanceof Uint8Array ? `<${request.body.length} bytes>` : String(request.body ?? '');
    problems.push({
      endpoint,
      rule,
      request: { ...request, body: body.slice(0, 300) },
      status: a.status,
      body: a.text.slice(0, 300),
    });
  };
  if (a.status >= 500) broke('no 5xx');
  else if (a.status >= 400 && request.method !== 'HEAD') {
    if (style === 'awsJson' && !(typeof a.json?.__type === 'string' && a.json.__type && namesIt(a.json)))
      broke('an AWS JSON error has __type and message');
    // DynamoDB's own answers (dynalite copies them): a __type, not always a message, and for a content type it
    // does not speak, <UnknownOperationException/>.
    if (style === 'dynamodb' && !(a.json?.__type || /^<UnknownOperationException\/>/.test(a.text)))
      broke('a DynamoDB error names its type');
    if (style === 'restJson' && !(a.headers['x-amzn-errortype'] && namesIt(a.json)))
      broke('a REST-JSON error has X-Amzn-ErrorType and message');
    // An HTTP API route: API Gateway's or the function's own answer, JSON with a message or a page that says it.
    if (style === 'http' && !(a.json ? namesIt(a.json) : /<(title|p)>[^<]+/.test(a.text)))
      broke('an HTTP error says what is wrong');
  }
  return true;
}
const namesIt = (body: any) =>
  typeof (body?.message ?? body?.Message) === 'string' && (body.message ?? body.Message).length > 0;
const problemsOf = (endpoint: string) => problems.filter((p) => p.endpoint === endpoint);

const RUNS = {
  awsJson: 220,
  dynamo: 40,
  unknownTarget: 100,
  ses: 250,
  durableCallback: 200,
  route: 150,
  clock: 100,
  anyPath: 300,
};

/** Runs `send` on `runs` inputs; then the endpoint's problems, if any, fail the test with every input that made one. */
async function property<T>(endpoint: string, arb: fc.Arbitrary<T>, runs: number, send: (input: T) => Promise<true>) {
  await fc.assert(fc.asyncProperty(arb, send), { numRuns: runs });
  expect(problemsOf(endpoint)).toEqual([]);
}

describe('local mode under hostile input', () => {
  it.each(AWS_JSON_OPERATIONS)(
    '$target answers any body without a 5xx, naming the problem',
    async ({ target, service }) => {
      await property(target, fc.tuple(bodyFor(INPUTS[target]), extraHeaders), RUNS.awsJson, async ([body, headers]) => {
        const request = { service, headers: { ...headers, 'x-amz-target': target }, body };
        return judge(target, request, await wire(local.url, request), 'awsJson');
      });
    },
  );

  const DYNAMO = [
    'GetItem',
    'Query',
    'Scan',
    'DescribeTable',
    'BatchGetItem',
    'PutItem',
    'UpdateItem',
    'DeleteItem',
    'BatchWriteItem',
  ];
  it.each(DYNAMO)('DynamoDB_20120810.%s (dynalite) answers any body without a 5xx', async (op) => {
    const target = `DynamoDB_20120810.${op}`;
    // Writes go to a table that does not exist: the fuzz must not change the reviews the routes read.
    const tables =
      op.endsWith('Item') && !op.startsWith('Get') ? fc.constantFrom('hostile-table', '') : HINTS.TableName!;
    const shaped = fc.record(
      { TableName: tables, Key: anyValue, Item: anyValue, KeyConditionExpression: fc.string(), RequestItems: anyValue },
      { requiredKeys: [] },
    );
    const body = fc.oneof({ weight: 3, arbitrary: shaped.map(toJson) }, { weight: 1, arbitrary: bodyFor(undefined) });
    await property(target, fc.tuple(body, extraHeaders), RUNS.dynamo, async ([b, headers]) => {
      if (op.endsWith('Item') && !op.startsWith('Get') && typeof b === 'string' && b.includes(TABLE)) return true;
      const request = { service: 'dynamodb', headers: { ...headers, 'x-amz-target': target }, body: b };
      return judge(target, request, await wire(local.url, request), 'dynamodb');
    });
  });

  it('answers an unknown or malformed X-Amz-Target with UnknownOperationException, signed or not', async () => {
    const target = fc.oneof(
      fc.constantFrom(
        'AWSEvents.PutRule',
        'AWSStepFunctions.StopExecution',
        'AmazonSSM.PutParameter',
        'AWSEvents',
        '.',
        '',
      ),
      fc.string({ unit: fc.constantFrom(...'AWSEvnts.Pu_0'.split('')), maxLength: 30 }),
    );
    await property(
      'unknown X-Amz-Target',
      fc.tuple(target, fc.constantFrom('events', 'states', 'ssm', undefined), bodyFor(undefined)),
      RUNS.unknownTarget,
      async ([t, service, body]) => {
        const request = { ...(service ? { service } : {}), headers: { 'x-amz-target': t }, body };
        return judge('unknown X-Amz-Target', request, await wire(local.url, request), 'awsJson');
      },
    );
  });

  it('SES v2 SendEmail answers any body without a 5xx, as REST-JSON errors', async () => {
    await property(
      'SES.SendEmail',
      fc.tuple(bodyFor(INPUTS['SES.SendEmail']), extraHeaders),
      RUNS.ses,
      async ([body, headers]) => {
        const request = { service: 'ses', path: '/v2/email/outbound-emails', headers, body };
        return judge('SES.SendEmail', request, await wire(local.url, request), 'restJson');
      },
    );
  });

  it.each(['succeed', 'fail'])(
    'Lambda POST /2025-12-01/durable-execution-callbacks/{id}/%s answers any id and body without a 5xx, as REST-JSON errors',
    async (verb) => {
      const endpoint = `Lambda durable callback ${verb}`;
      const failure = INPUTS['Lambda.SendDurableExecutionCallbackFailure'] as Extract<Shape, { type: 'structure' }>;
      // A dot segment is no id: the URL resolves it to another path, which "any method and path" covers.
      const id = fc.oneof(
        segment.filter((x) => x !== '.' && x !== '..'),
        fc.base64String({ minLength: 4, maxLength: 1100 }).map(encodeURIComponent),
        fc.constant(''),
      );
      const body = verb === 'fail' ? bodyFor(failure.members.Error) : bodyFor(undefined);
      await property(endpoint, fc.tuple(id, extraHeaders, body), RUNS.durableCallback, async ([i, headers, b]) => {
        const request = {
          service: 'lambda',
          path: `/2025-12-01/durable-execution-callbacks/${i}/${verb}`,
          headers,
          body: b,
        };
        return judge(endpoint, request, await wire(local.url, request), 'restJson');
      });
    },
  );

  // The HTTP API routes of serverless.yml, {id} filled in by each input.
  const ROUTES = [
    { route: 'GET /reviews/{id}', signed: false },
    { route: 'POST /reviews/{id}/decision', signed: false },
    { route: 'GET /reviews/{id}/status', signed: true },
    { route: 'POST /reviews/{id}/cancel', signed: true },
    { route: 'POST /reviews/{id}/execution', signed: true },
  ].map((r) => ({
    ...r,
    method: r.route.split(' ')[0]!,
    path: (id: string) => r.route.split(' ')[1]!.replace('{id}', id),
  }));
  /** A decision as JSON or a form would carry it, now and then with the real review's token. */
  const decision = () =>
    fc.record(
      {
        token: fc.oneof(fc.string(), fc.constant('eyJhbGciOiJIUzI1NiJ9.e30.x'), fc.constant(real.token)),
        decision: fc.oneof(fc.constantFrom('approve', 'reject'), anyValue),
        reason: fc.oneof(fc.string({ maxLength: 2100 }), anyValue),
        edits: fc.oneof(
          fc.dictionary(fc.constantFrom('amount.value', 'amount.currency', 'summary', 'x.y', '__proto__'), anyValue),
          anyValue,
        ),
      },
      { requiredKeys: [] },
    );
  it.each(ROUTES)('$route answers any id, query, headers and body without a 5xx', async (route) => {
    const body = fc.oneof(
      { weight: 3, arbitrary: decision().map(toJson) },
      {
        weight: 1,
        arbitrary: decision().map((d) =>
          new URLSearchParams(Object.entries(d).map(([k, v]) => [k, typeof v === 'string' ? v : toJson(v)])).toString(),
        ),
      },
      { weight: 2, arbitrary: bodyFor(undefined) },
    );
    const query = fc.option(
      fc.tuple(fc.constantFrom('t', 'x', 't[]'), fc.oneof(fc.string(), fc.constant(real.token))),
      { nil: undefined },
    );
    const id = fc.oneof(segment, fc.constant(real.id));
    await property(route.route, fc.tuple(id, query, extraHeaders, body), RUNS.route, async ([id, q, headers, b]) => {
      const request: WireRequest = {
        method: route.method,
        path: `${route.path(id)}${q ? `?${encodeURIComponent(q[0])}=${encodeURIComponent(q[1])}` : ''}`,
        headers,
        ...(route.method === 'POST' ? { body: b } : {}),
        ...(route.signed ? { service: 'execute-api' } : {}),
      };
      return judge(route.route, request, await wire(local.url, request), 'http');
    });
  });

  it('POST /_local/clock answers any body without a 5xx, and the clock keeps working', async () => {
    const body = fc.oneof(
      fc
        .record(
          { advanceMs: fc.oneof(fc.integer({ min: -1, max: 60_000 }), fc.double(), anyValue) },
          { requiredKeys: [] },
        )
        .map(toJson),
      bodyFor(undefined),
    );
    await property('POST /_local/clock', body, RUNS.clock, async (b) => {
      const request = { path: '/_local/clock', body: b };
      return judge('POST /_local/clock', request, await wire(local.url, request), 'http');
    });
    expect((await wire(local.url, { method: 'GET', path: '/_local/clock' })).status).toBe(200);
  });

  it('answers any method, path and headers without a 5xx, signed or not', async () => {
    const path = fc
      .tuple(fc.array(segment, { maxLength: 5 }), fc.option(fc.string(), { nil: undefined }))
      .map(([segments, q]) => `/${segments.join('/')}${q === undefined ? '' : `?${encodeURIComponent(q)}`}`);
    const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS');
    const service = fc.constantFrom(undefined, 'execute-api', 'events', 'ses', 'lambda');
    await property(
      'any method and path',
      fc.tuple(method, path, service, extraHeaders, bodyFor(undefined)),
      RUNS.anyPath,
      async ([m, p, s, headers, body]) => {
        const request: WireRequest = {
          method: m,
          path: p,
          headers,
          ...(m === 'GET' || m === 'HEAD' ? {} : { body }),
          ...(s ? { service: s } : {}),
        };
        return judge('any method and path', request, await wire(local.url, request), 'http');
      },
    );
  });

  it('is still healthy: a proposal becomes a review, the pages answer, and nothing was a 5xx', async () => {
    expect(local.child.exitCode).toBeNull();
    const aws = clients(local.url);
    const p = purchaseOrder(5000);
    await putProposals(local.url, [p]);
    const review = await eventually(
      async () => {
        const { Item } = await aws.dynamo.send(
          new GetCommand({
            TableName: TABLE,
            Key: { pk: `REVIEW#${reviewIdFor(p.agentId, p.proposalId)}`, sk: 'META' },
          }),
        );
        return Item;
      },
      'the review of a proposal put after the run',
      20_000,
    );
    expect(review.status).toBe('PENDING');
    for (const page of ['/_local/events', '/_local/outbox', '/_local/durable-callbacks', '/_local/clock', '/'])
      expect((await fetch(`${local.url}${page}`)).status).toBe(200);
    // The figures of the run, for the record (npm test prints them).
    const total = [...tried.values()].reduce((a, b) => a + b, 0);
    const fiveXx = (e: string) => problemsOf(e).filter((p) => p.status >= 500).length;
    console.log(
      `hostile inputs: ${total} in all, ${problems.filter((p) => p.status >= 500).length} answered 5xx\n${[...tried]
        .map(
          ([e, n]) =>
            `  ${String(n).padStart(5)}  ${e.padEnd(36)} 5xx: ${fiveXx(e)}  answers: ${[...answers.get(e)!]
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([kind, k]) => `${kind} ×${k}`)
              .join(', ')}`,
        )
        .join('\n')}`,
    );
    expect(problems).toEqual([]);
    // Nothing local mode logs when it fails itself: a request it could not handle, a store that threw, a lost promise.
    expect(local.output()).not.toMatch(/error handling|dynalite failed|unhandled rejection|function .* failed/);
  }, 30_000);
});
