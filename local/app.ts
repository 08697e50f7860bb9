// Local mode: the whole app on one machine, as a small AWS on one port. EventBridge, Step Functions,
// DynamoDB, SES v2 and Lambda's durable execution callbacks speak their own wire protocols here, so the
// functions' adapters (and any agent) use the real AWS SDK clients with only the endpoint changed.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { AwsError } from './errors.ts';
import { checkInput, INPUTS, parseBody, readRequest, type Protocol } from './protocol.ts';
import { ACCOUNT, printServerlessConfig, wiringFrom, type RuleWiring, type Wiring } from './wiring.ts';
import { LambdaHost } from './lambda.ts';
import { LocalStepFunctions, type PutEventsEntry } from './stepfunctions.ts';
import { demandOf, TableBuckets } from './dynamodb-throughput.ts';
import { AWS_DEFAULT_QUOTAS, putEventsThrottled, type Quotas, Throttles, TokenBucket } from './quotas.ts';
import { LocalBus } from './eventbridge/bus.ts';
import { InvalidEventPatternError } from './eventbridge/pattern.ts';
import { dynamoStore, ensureTables } from './dynamodb.ts';
import { LocalMail, PRODUCTION_QUOTA, type SendEmailRequest, type SendingQuota } from './ses.ts';
import { LocalDurableCallbacks, type CallbackError } from './durable-callbacks.ts';
import { LocalParameters } from './parameters.ts';
import { LocalSqs } from './sqs.ts';
import { LocalSlack } from './slack.ts';
import { LocalSchedules } from './schedules.ts';
import { keepReading, LocalClock, readReading } from './clock.ts';
import { useTimeSource } from '../functions/adapters/clock.ts';
import { checkPolicyFiles, compilePolicyFiles, loadPolicyFiles } from './policy-sources.ts';
import { SignatureRejected, verifySigV4, type LocalCredentials } from './iam/sigv4.ts';
import { AccessDenied, LocalIam, type Principal } from './iam/access.ts';
import type { Request as IamRequest } from './iam/evaluate.ts';
import { packagedTemplate, TemplateResolver } from './iam/template.ts';
import { durableCallback, requestsOf, serviceOfTarget, sesSendEmail } from './iam/requests.ts';
import { apiGatewayEvent, httpResponse, MalformedPath, routesFrom, type Route } from './http-api.ts';
import { durableCallbacksPage, eventsPage, homePage, messagePage, outboxPage } from './pages.ts';
import { crashAt } from './crash.ts';
import type { LocalMeter, TableDefinition } from './meter.ts';
import { entrySize } from './eventbridge/bus.ts';

/**
 * The functions' settings for runs whose output is their own (tests, benchmarks, the story): errors only,
 * and no EMF metrics, whose JSON lines would bury that output. Overrides of serverless.yml's settings, so
 * the code runs as in Lambda; the metrics test turns them on again to read them.
 */
export const QUIET_FUNCTIONS: Readonly<Record<string, string>> = {
  POWERTOOLS_LOG_LEVEL: 'ERROR',
  POWERTOOLS_METRICS_DISABLED: 'true',
};

export interface LocalOptions {
  /** Project root (where serverless.yml is). */
  root: string;
  /** 0 picks a free port. */
  port: number;
  host?: string;
  dataDir: string;
  /** Keep DynamoDB on disk under <data>/dynamodb instead of in memory. */
  persist?: boolean;
  stage?: string;
  /** Simulated time runs this many times faster than the wall clock (default 1). */
  timeScale?: number;
  /** Run scheduled functions on timers (default true); tests fire them by hand. */
  schedules?: boolean;
  /** The developer's access key: allowed everything, as an account administrator (default local / local). */
  credentials?: LocalCredentials;
  /** Overrides of the functions' environment from serverless.yml (e.g. POWERTOOLS_LOG_LEVEL). */
  environment?: Record<string, string>;
  /** Crash tests only: SIGKILL at this point (local/crash.ts). main.ts alone sets it, from HITL_CRASH_AT. */
  crashAt?: string;
  /** SES's sending quotas (default: a new production account's, 14 a second and 50,000 a day). */
  sesQuota?: SendingQuota;
  /** Lambda's concurrency, PutEvents' and StartExecution's rates (default: AWS's defaults, local/quotas.ts). */
  quotas?: Partial<Quotas>;
  /** Records what each call would count on an AWS bill (local/meter.ts); `npm run cost` passes one. */
  meter?: LocalMeter;
  log?: (line: string) => void;
}

export interface LocalApp {
  url: string;
  wiring: Wiring;
  bus: LocalBus;
  stepFunctions: LocalStepFunctions;
  lambdas: LambdaHost;
  mail: LocalMail;
  /** SQS's queues of the template, and the functions' event source mappings on them. */
  sqs: LocalSqs;
  /** A small Slack: the Web API the functions' Slack client calls, and its page (/_local/slack) whose buttons sign their clicks as Slack does. */
  slack: LocalSlack;
  /** Lambda's durable execution callbacks: every answer to a durable function, each callback closed once answered. */
  durableCallbacks: LocalDurableCallbacks;
  schedules: LocalSchedules;
  clock: LocalClock;
  /** Local IAM: each function's role from the packaged template, enforced on every call. */
  iam: LocalIam;
  /** Requests a quota refused (Lambda by function, PutEvents, StartExecution; SES's are `mail.throttled`). */
  throttles: Throttles;
  /** Requests served, by AWS operation (`DynamoDB_20120810.UpdateItem`, `AWSEvents.PutEvents`, `SES.SendEmail`, `HTTP POST /reviews/{id}/decision`). */
  requests: Map<string, number>;
  /** Resolves when nothing is in flight: deliveries, executions (except those waiting on a task token). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** The largest body local mode reads, as API Gateway's payload quota (10 MB); every AWS operation served allows less. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Reads what is left of a request's body, unread: an answer sent before it is in would reset the connection. */
async function drain(req: IncomingMessage): Promise<void> {
  for await (const _ of req);
}

/** A request body over MAX_BODY_BYTES: answered 413, as AWS's front ends answer it. */
class BodyTooLarge extends Error {}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Read to the end either way, so the connection stays usable for the answer.
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size <= MAX_BODY_BYTES) chunks.push(c as Buffer);
  }
  if (size > MAX_BODY_BYTES) throw new BodyTooLarge();
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer): void {
  res.writeHead(status, { 'content-length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

function sendJson(res: ServerResponse, contentType: string, value: unknown, status = 200): void {
  send(res, status, { 'content-type': contentType, 'x-amzn-requestid': crypto.randomUUID() }, JSON.stringify(value));
}

/** The error body of each protocol: `{ __type, message }` in the AWS JSON protocols, `{ message }` in SES v2's REST-JSON, `{ Type, Message }` in Lambda's. */
const ERROR_BODY: Record<Protocol, (err: AwsError) => object> = {
  awsJson: (err) => ({ ...err.fields, __type: err.name, message: err.message }),
  restJson: (err) => ({ message: err.message }),
  lambdaRestJson: (err) => ({ Type: err.status >= 500 ? 'Service' : 'User', Message: err.message }),
};

/** An AWS error on the wire, in the protocol's body; the name also in X-Amzn-ErrorType. */
function sendAwsError(res: ServerResponse, contentType: string, err: AwsError, protocol: Protocol = 'awsJson'): void {
  send(
    res,
    err.status,
    { 'content-type': contentType, 'x-amzn-errortype': err.name, 'x-amzn-requestid': crypto.randomUUID() },
    JSON.stringify(ERROR_BODY[protocol](err)),
  );
}

/** Lambda's durable execution callbacks (REST-JSON): the callback id is the path's label. */
const DURABLE_CALLBACK = /^\/2025-12-01\/durable-execution-callbacks\/([^/]*)\/(succeed|fail)$/;
const CALLBACK_OPERATIONS = {
  succeed: 'SendDurableExecutionCallbackSuccess',
  fail: 'SendDurableExecutionCallbackFailure',
} as const;

/** A body read as JSON for IAM's checks only: what is not a JSON object reads as `{}` (the service answers the rest). */
function lenientJson(body: Buffer): Record<string, unknown> {
  try {
    const value = JSON.parse(body.toString()) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** SES bills each recipient of a message as one email. */
function recipientsOf(req: SendEmailRequest): number {
  const d = req.Destination ?? {};
  return (d.ToAddresses?.length ?? 0) + (d.CcAddresses?.length ?? 0) + (d.BccAddresses?.length ?? 0) || 1;
}

function html(res: ServerResponse, body: string, status = 200): void {
  send(res, status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }, body);
}

let running = false;

export async function startLocal(opts: LocalOptions): Promise<LocalApp> {
  // The process environment is the edge every SDK client reads its endpoint from: one app per process.
  if (running) throw new Error('local mode is already running in this process');
  running = true;
  const root = resolve(opts.root);
  const dataDir = resolve(opts.dataDir);
  const log = opts.log ?? (() => undefined);
  await mkdir(join(dataDir, 'outbox'), { recursive: true });

  let router: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | undefined;
  const server = createServer((req, res) => {
    if (!router)
      return sendJson(
        res,
        'application/json',
        { __type: 'ServiceUnavailable', message: 'local mode is starting' },
        503,
      );
    router(req, res).catch((err: Error) => {
      // One failing request never takes the process down.
      log(`error handling ${req.method} ${req.url}: ${err.stack ?? err}`);
      if (!res.headersSent)
        sendJson(
          res,
          'application/json',
          { __type: 'InternalFailure', message: 'internal error in local mode; see its log' },
          500,
        );
      else res.destroy();
    });
  });
  // A request Node's parser cannot read (a malformed target or header) still gets an answer that names it.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    log(`unreadable request (${err.code}): ${err.message}`);
    // Once a response has gone out on the socket, nothing more may follow it (as Node's own handler does).
    const answered = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
    if (!socket.writable || err.code === 'ECONNRESET' || answered) return socket.destroy();
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    const body = JSON.stringify({ message: `Bad Request: the request cannot be read (${err.code}: ${err.message})` });
    socket.end(
      `HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => ok());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${opts.host && opts.host !== '0.0.0.0' ? opts.host : '127.0.0.1'}:${port}`;

  try {
    const config = await printServerlessConfig(root, opts.stage);
    // Slack's Web API is local Slack's, on this port; only its base URL differs from AWS.
    const wiring = wiringFrom(config, {
      environment: { SLACK_API_URL: `${url}/_local/slack/api/`, ...opts.environment, PUBLIC_URL: url },
      endpoint: url,
    });
    const crash = crashAt(opts.crashAt, wiring, log);
    // A broken policy stops the start, with its own errors, as it stops `sls package`.
    const policyProblems = checkPolicyFiles(root, wiring.functions);
    if (policyProblems.length) throw new Error(`the risk policy does not load:\n${policyProblems.join('\n')}`);
    // The functions read it as JSON, compiled here as `sls package` compiles it into their zips.
    compilePolicyFiles(root, join(dataDir, 'policy'), wiring.functions, (compiled) =>
      join(dataDir, 'policy', compiled),
    );

    // The edge: the functions' clock, and every AWS SDK client in this process, belong to local mode.
    // Persisted, the clock goes on from where it was (a jump by POST /_local/clock included), as the data does.
    const clockFile = join(dataDir, 'clock.json');
    const clock = new LocalClock(opts.timeScale ?? 1, opts.persist ? readReading(clockFile) : undefined);
    const clockKeeper = opts.persist ? keepReading(clock, clockFile) : undefined;
    useTimeSource(() => clock.now());
    const credentials = opts.credentials ?? { accessKeyId: 'local', secretAccessKey: 'local' };
    // This process is the developer's shell (tests, scripts): the developer's key, every setting.
    Object.assign(process.env, wiring.environment, {
      AWS_ENDPOINT_URL: url,
      AWS_REGION: wiring.region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: 'true',
      LAMBDA_TASK_ROOT: root,
    });
    // IAM as deployed: the roles of the template `sls deploy` would submit.
    const resolver = new TemplateResolver(
      await packagedTemplate(root, wiring.stage, log),
      wiring.region,
      `${wiring.service}-${wiring.stage}`,
    );
    const iam = new LocalIam(resolver, wiring.functions, credentials, wiring.region);
    // An agent's key, with the policy the stack gives agents: what an agent may do locally, it may do in AWS.
    if (resolver.resource('AgentPolicy')) iam.addUser('agent', 'agent', 'AgentPolicy');
    const idOf = (type: string, arn: string) =>
      resolver.resources.find(([id, r]) => r.Type === type && resolver.arn(id) === arn)?.[0];
    const machineRoles = new Map(
      wiring.stateMachines.map((m) => [
        m.arn,
        iam.track(iam.roleOf(idOf('AWS::StepFunctions::StateMachine', m.arn) ?? m.key, 'RoleArn', m.name)),
      ]),
    );

    const dynamo = dynamoStore(opts.persist ? join(dataDir, 'dynamodb') : undefined, log);
    const mail = new LocalMail(join(dataDir, 'outbox'), opts.sesQuota ?? PRODUCTION_QUOTA, () => clock.now());
    await mail.init();
    const durableCallbacks = new LocalDurableCallbacks(join(dataDir, 'durable-callbacks.jsonl'), () => clock.now());
    await durableCallbacks.open();
    const parameters = new LocalParameters(wiring.region);
    await parameters.init(wiring.secrets, join(dataDir, 'secrets.json'));
    // Slack's people are the directory's with a Slack id; the app's token and signing secret are the stage's secrets.
    const slackEnv = wiring.functions.find((f) => f.environment.SLACK_SIGNING_SECRET_PARAMETER)?.environment ?? {};
    const secret = (name: string | undefined) => () => {
      const value = name ? parameters.getParameters([name]).Parameters[0]?.Value : undefined;
      if (value === undefined) throw new Error(`local mode has no secret ${name} (serverless.yml)`);
      return value;
    };
    const slackPeople = slackEnv.POLICY_FILE
      ? loadPolicyFiles(
          root,
          slackEnv.POLICY_FILE,
          slackEnv.DIRECTORY_FILE ?? 'policy/directory.yml',
        ).directory.people()
      : [];
    const slack = new LocalSlack({
      botToken: secret(slackEnv.SLACK_BOT_TOKEN_PARAMETER),
      signingSecret: secret(slackEnv.SLACK_SIGNING_SECRET_PARAMETER),
      interactionsUrl: `${url}/slack/interactions`,
      now: () => new Date(clock.now()),
      // And a guest the directory does not know: Slack tells them so, and nothing is decided.
      users: [
        ...slackPeople.flatMap((p) => (p.slack ? [{ id: p.slack, name: p.name }] : [])),
        { id: 'U0LOCALGUEST', name: 'A guest (not in the directory)' },
      ],
      ...(opts.persist ? { file: join(dataDir, 'slack.json') } : {}),
      log,
    });
    const quotas: Quotas = { ...AWS_DEFAULT_QUOTAS, ...opts.quotas };
    const throttles = new Throttles();
    const lambdas = new LambdaHost(
      root,
      { endpoint: url, region: wiring.region, credentials: (key) => iam.credentialsFor(key), clock: clock.shared },
      wiring.functions,
      crash,
      opts.meter,
      { concurrency: quotas.lambdaConcurrency, throttles },
    );
    opts.meter?.useTables(wiring.tables as unknown as TableDefinition[]);
    // Each table's on-demand throughput: per partition key, and the table's (its WarmThroughput, if more).
    const tableBuckets = new Map<string, { hashKey: string; buckets: TableBuckets }>();
    for (const t of wiring.tables as unknown as (TableDefinition & {
      WarmThroughput?: { WriteUnitsPerSecond?: number };
    })[]) {
      const hashKey = t.KeySchema.find((k) => (k as { KeyType?: string }).KeyType === 'HASH')?.AttributeName;
      if (!hashKey) continue;
      const warm = Number(t.WarmThroughput?.WriteUnitsPerSecond ?? 0);
      tableBuckets.set(t.TableName, {
        hashKey,
        buckets: new TableBuckets(
          `arn:aws:dynamodb:${wiring.region}:${ACCOUNT}:table/${t.TableName}`,
          {
            partitionWriteUnits: quotas.dynamoPartitionWriteUnits,
            tableWriteUnits: Math.max(quotas.dynamoTableWriteUnits, warm),
          },
          () => clock.now(),
        ),
      });
    }
    /** DynamoDB's throughput for one request: ProvisionedThroughputExceededException past it. */
    const admitDynamo = (target: string, input: Record<string, unknown>) => {
      const table = tableBuckets.get(String(input.TableName));
      const demand = table && demandOf(target.slice(target.indexOf('.') + 1), input, table.hashKey);
      if (!table || !demand) return;
      try {
        table.buckets.admit(demand);
      } catch (err) {
        throttles.count(`DynamoDB ${String(input.TableName)}`);
        throw err;
      }
    };
    const bus = new LocalBus({
      buses: wiring.buses,
      rules: wiring.rules,
      archiveFile: join(dataDir, 'events.jsonl'),
      deadLetterFile: join(dataDir, 'dead-letters.jsonl'),
      region: wiring.region,
      now: () => clock.now(),
      ...(opts.persist ? { journalFile: join(dataDir, 'bus-journal.jsonl') } : {}),
    });
    await bus.open();
    // PutEvents, from any caller (an agent, a function, a workflow's Task), within the account's rate.
    const putEventsRate = new TokenBucket(quotas.putEventsRate, quotas.putEventsRate, () => clock.now());
    const putEvents = (entries: PutEventsEntry[]) => {
      if (!putEventsRate.take()) {
        throttles.count('EventBridge PutEvents');
        throw putEventsThrottled();
      }
      return bus.putEvents(entries);
    };
    const stepFunctions = new LocalStepFunctions(
      wiring.stateMachines,
      lambdas,
      putEvents,
      wiring.region,
      (machineArn, req) => {
        const role = machineRoles.get(machineArn);
        if (!role) throw new AccessDenied(`state machine ${machineArn} has no role in the template`);
        iam.authorize(role, req);
      },
      crash,
      opts.meter,
      {
        startExecution: new TokenBucket(quotas.startExecutionRate, quotas.startExecutionBurst, () => clock.now()),
        throttles,
      },
    );
    const meter = opts.meter;
    if (meter)
      bus.onEvent((e) =>
        meter.event({
          source: e.Source,
          detailType: e.DetailType,
          entryBytes: entrySize({
            Source: e.Source,
            DetailType: e.DetailType,
            Detail: e.Detail,
            Resources: e.Resources,
          }),
          envelopeBytes: Buffer.byteLength(JSON.stringify(bus.envelope(e))),
        }),
      );
    // A rule reaches its target only with the target's permission: its role (a state machine target)
    // or a Lambda permission for events.amazonaws.com (a function target), as in the template.
    // Each local rule's counterpart in the template, found once: its ARN, and the role its target uses.
    const ruleTargets = new Map<string, { ruleArn: string; role?: Principal } | undefined>();
    for (const rule of wiring.rules) {
      const found = resolver.resources.find(([, r]) => {
        if (r.Type !== 'AWS::Events::Rule') return false;
        const p = resolver.value(r.Properties as never) as Record<string, unknown>;
        return (
          (p.EventBusName ?? 'default') === rule.busName &&
          JSON.stringify(p.EventPattern) === JSON.stringify(rule.pattern) &&
          (p.Targets as { Arn: string }[]).some((t) => t.Arn === rule.target.arn)
        );
      });
      if (!found) {
        ruleTargets.set(rule.name, undefined);
        continue;
      }
      const [id, r] = found;
      const target = (r.Properties as { Targets: Record<string, never>[] }).Targets.find(
        (t) => resolver.value(t.Arn) === rule.target.arn,
      )!;
      ruleTargets.set(rule.name, {
        ruleArn: resolver.arn(id),
        ...(target.RoleArn === undefined ? {} : { role: iam.track(iam.rolePrincipal(target.RoleArn, id)) }),
      });
    }
    const ruleTarget = (rule: RuleWiring) => {
      const found = ruleTargets.get(rule.name);
      if (!found) throw new AccessDenied(`no rule of the template matches ${rule.name}; it would not exist in AWS`);
      return found;
    };
    bus.connect({
      startExecution: (arn, input, rule) => {
        const { role } = ruleTarget(rule);
        if (!role) throw new AccessDenied(`rule ${rule.name} has no role to start ${arn}`);
        iam.authorize(role, { action: 'states:StartExecution', resource: arn });
        return stepFunctions.startExecution({ stateMachineArn: arn, input });
      },
      invokeFunction: (arn, event, rule) => {
        const { ruleArn } = ruleTarget(rule);
        if (!iam.lambdaPermits(arn, 'events.amazonaws.com', ruleArn))
          throw new AccessDenied(`no Lambda permission lets events.amazonaws.com invoke ${arn} from ${ruleArn}`);
        return lambdas.invoke(arn, event);
      },
    });
    const sqs = new LocalSqs(wiring.queues, wiring.queueTriggers, wiring.region, () => clock.now(), meter);
    // An event source mapping polls with the function's role: it must grant what Lambda needs of the queue.
    const mappingChecks = (queueArn: string) =>
      ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'].map((action) => ({
        action,
        resource: queueArn,
      }));
    const startMappings = () =>
      sqs.start(async (trigger, event) => {
        const role = iam.principalOf(iam.credentialsFor(trigger.functionKey).accessKeyId);
        for (const check of mappingChecks(trigger.queueArn)) iam.authorize(role, check);
        return lambdas.invoke(trigger.functionArn, event);
      }, log);
    const routes = routesFrom(wiring.functions);
    const schedules = new LocalSchedules(wiring.functions, lambdas, wiring.region, log);

    const requests = new Map<string, number>();
    const count = (op: string) => requests.set(op, (requests.get(op) ?? 0) + 1);
    /** Who signed an AWS request for `service`; an AwsError (with `status`) when the signature is refused. */
    async function signer(
      req: IncomingMessage,
      reqUrl: URL,
      body: Buffer,
      service: string,
      status: number,
    ): Promise<Principal> {
      try {
        return iam.principalOf(await verifySigV4(req, reqUrl, body, iam.secretOf, { region: wiring.region, service }));
      } catch (err) {
        if (err instanceof SignatureRejected) throw new AwsError(err.code, err.message, status);
        throw err;
      }
    }
    /** Whether the signer's policies allow each check; AccessDeniedException (with `status`) when one is not. */
    function allow(principal: Principal, checks: IamRequest[], status: number): void {
      try {
        for (const check of checks) iam.authorize(principal, check);
      } catch (err) {
        if (!(err instanceof AccessDenied)) throw err;
        log(`AccessDeniedException: ${err.message}`);
        throw new AwsError(err.name, err.message, status);
      }
    }
    /** What an operation's own failures are on the wire: AWS errors as they are, a refused pattern as AWS names it. */
    function asAwsError(err: unknown): AwsError | undefined {
      if (err instanceof AwsError) return err;
      if (err instanceof InvalidEventPatternError)
        return new AwsError('InvalidEventPatternException', `Event pattern is not valid. Reason: ${err.message}`);
      return undefined;
    }

    router = async (req, res) => {
      let reqUrl: URL;
      try {
        reqUrl = new URL(req.url ?? '/', url);
      } catch {
        await drain(req);
        return sendJson(
          res,
          'application/json',
          { message: `Bad Request: the request target ${JSON.stringify(req.url)} is not a valid URL path` },
          400,
        );
      }
      try {
        return await route(req, reqUrl, res);
      } catch (err) {
        // A client's mistake in any route, never local mode's: answered as AWS's front ends answer it.
        if (err instanceof BodyTooLarge)
          return sendJson(res, 'application/json', { message: 'Request Entity Too Large' }, 413);
        if (err instanceof MalformedPath) {
          await drain(req);
          return sendJson(res, 'application/json', { message: err.message }, 400);
        }
        throw err;
      }
    };

    async function route(req: IncomingMessage, reqUrl: URL, res: ServerResponse): Promise<void> {
      const target = req.headers['x-amz-target'];
      if (typeof target === 'string' && req.method === 'POST') {
        count(target);
        return awsJson(target, req, reqUrl, res);
      }
      if (req.method === 'POST' && reqUrl.pathname === '/v2/email/outbound-emails') {
        count('SES.SendEmail');
        return sesSendEmailRoute(req, reqUrl, res);
      }
      const callback = req.method === 'POST' ? DURABLE_CALLBACK.exec(reqUrl.pathname) : null;
      if (callback) {
        const operation = CALLBACK_OPERATIONS[callback[2] as keyof typeof CALLBACK_OPERATIONS];
        count(`Lambda.${operation}`);
        return durableCallbackRoute(operation, callback[1]!, req, reqUrl, res);
      }
      if (reqUrl.pathname === '/_local/slack' || reqUrl.pathname.startsWith('/_local/slack/')) {
        count(`Slack ${reqUrl.pathname.replace(/^\/_local\/slack\/?/, '') || 'page'}`);
        if (await slack.handle(req, reqUrl, await readBody(req), res)) return;
      }
      for (const route of routes) {
        const params = route.match(req.method ?? 'GET', reqUrl.pathname);
        if (params) {
          count(`HTTP ${route.method} ${route.path}`);
          return api(route, params, req, reqUrl, res);
        }
      }
      if (req.method === 'POST' && reqUrl.pathname === '/_local/clock') {
        // Demos and tests: {"advanceMs": 14400000} moves simulated time on by four hours.
        try {
          const body = JSON.parse((await readBody(req)).toString() || '{}') as unknown;
          if (!body || typeof body !== 'object' || Array.isArray(body))
            throw new Error('the body must be a JSON object such as {"advanceMs": 14400000}');
          clock.advance((body as { advanceMs?: number }).advanceMs as number);
          clockKeeper?.save();
        } catch (err) {
          if (err instanceof BodyTooLarge) throw err;
          return sendJson(res, 'application/json', { message: (err as Error).message }, 400);
        }
        // What falls due in the jump runs now (e.g. the sweeper), before the answer.
        if (opts.schedules !== false) await schedules.tick();
        return sendJson(res, 'application/json', { now: new Date(clock.now()).toISOString(), scale: clock.scale });
      }
      await drain(req);
      if (req.method === 'GET') return pages(reqUrl, res);
      return sendJson(res, 'application/json', { message: 'Not Found' }, 404);
    }

    /** The AWS JSON protocols (X-Amz-Target): signature, then the body against the operation's shape, then IAM. */
    async function awsJson(target: string, req: IncomingMessage, reqUrl: URL, res: ServerResponse): Promise<void> {
      const contentType = String(req.headers['content-type'] ?? 'application/x-amz-json-1.1');
      const body = await readBody(req);
      const service = serviceOfTarget(target);
      try {
        if (!service) throw new AwsError('UnknownOperationException', `local mode does not implement ${target}`);
        const principal = await signer(req, reqUrl, body, service, 400);
        if (service === 'dynamodb') {
          // IAM reads the tables a call names; dynalite answers, as DynamoDB does, what it cannot read.
          const request = lenientJson(body);
          allow(principal, requestsOf(target, request, wiring.region), 400);
          admitDynamo(target, request);
          return meter ? meter.dynamo(target, req, body, res, dynamo) : dynamo(req, body, res);
        }
        if (!INPUTS[target]) throw new AwsError('UnknownOperationException', `local mode does not implement ${target}`);
        const input = readRequest(target, body, 'awsJson');
        allow(principal, requestsOf(target, input, wiring.region), 400);
        const output = await dispatch(target, input);
        // SQS bills every request, per 64 KB of its payload.
        if (service === 'sqs') meter?.sqs(target.slice(target.indexOf('.') + 1), body.length);
        res.once('finish', () => crash(`answered.${target}`));
        return sendJson(res, contentType, output);
      } catch (err) {
        const answer = asAwsError(err);
        if (answer) return sendAwsError(res, contentType, answer);
        throw err;
      }
    }

    /** SES v2 (REST-JSON): the same steps, with REST-JSON's errors (403 for who may call, BadRequestException for the body). */
    async function sesSendEmailRoute(req: IncomingMessage, reqUrl: URL, res: ServerResponse): Promise<void> {
      const body = await readBody(req);
      try {
        const principal = await signer(req, reqUrl, body, 'ses', 403);
        const input = readRequest('SES.SendEmail', body, 'restJson');
        allow(principal, [sesSendEmail(input, wiring.region)], 403);
        const sent = await mail.sendEmail(input as SendEmailRequest);
        meter?.email(recipientsOf(input as SendEmailRequest), body.length);
        return sendJson(res, 'application/json', sent);
      } catch (err) {
        if (err instanceof AwsError) return sendAwsError(res, 'application/json', err, 'restJson');
        throw err;
      }
    }

    /**
     * SendDurableExecutionCallbackSuccess / Failure (Lambda's REST-JSON): signature, the callback id and the
     * payload against the operation's shape, IAM on the callback's durable execution, then the answer, once.
     */
    async function durableCallbackRoute(
      operation: (typeof CALLBACK_OPERATIONS)[keyof typeof CALLBACK_OPERATIONS],
      label: string,
      req: IncomingMessage,
      reqUrl: URL,
      res: ServerResponse,
    ): Promise<void> {
      const body = await readBody(req);
      try {
        const principal = await signer(req, reqUrl, body, 'lambda', 403);
        let callbackId: string;
        try {
          callbackId = decodeURIComponent(label);
        } catch {
          throw new AwsError(
            'ValidationException',
            `The callback id in the path is not valid percent-encoding: ${label}`,
          );
        }
        const shape = `Lambda.${operation}`;
        const success = operation === 'SendDurableExecutionCallbackSuccess';
        const input = success
          ? checkInput(shape, { CallbackId: callbackId, Result: body.toString('latin1') }, 'lambdaRestJson')
          : checkInput(shape, { CallbackId: callbackId, Error: parseBody(body, 'lambdaRestJson') }, 'lambdaRestJson');
        allow(principal, [durableCallback(operation, callbackId, wiring.region)], 403);
        if (success) await durableCallbacks.succeed(callbackId, body, principal.name);
        else await durableCallbacks.fail(callbackId, input.Error as CallbackError | undefined, principal.name);
        return send(res, 200, { 'content-type': 'application/json', 'x-amzn-requestid': crypto.randomUUID() }, '');
      } catch (err) {
        if (err instanceof AwsError) return sendAwsError(res, 'application/json', err, 'lambdaRestJson');
        throw err;
      }
    }

    async function dispatch(target: string, input: Record<string, unknown>): Promise<unknown> {
      const s = (k: string) => (typeof input[k] === 'string' ? (input[k] as string) : undefined);
      switch (target) {
        case 'AWSEvents.PutEvents':
          return putEvents(input.Entries as never);
        case 'AWSEvents.TestEventPattern':
          return { Result: bus.testEventPattern(s('EventPattern'), s('Event')) };
        case 'AWSStepFunctions.StartExecution': {
          const e = stepFunctions.startExecution({
            stateMachineArn: s('stateMachineArn'),
            input: s('input') ?? '{}',
            ...(s('name') ? { name: s('name') } : {}),
          });
          return { executionArn: e.executionArn, startDate: e.startDate.getTime() / 1000 };
        }
        case 'AWSStepFunctions.DescribeExecution': {
          const e = stepFunctions.describeExecution(s('executionArn') ?? '');
          return {
            executionArn: e.executionArn,
            stateMachineArn: e.stateMachineArn,
            name: e.name,
            status: e.status,
            startDate: e.startDate.getTime() / 1000,
            ...(e.stopDate ? { stopDate: e.stopDate.getTime() / 1000 } : {}),
            input: e.input,
            ...(e.output !== undefined ? { output: e.output } : {}),
            ...(e.error !== undefined ? { error: e.error, cause: e.cause } : {}),
          };
        }
        case 'AWSStepFunctions.SendTaskSuccess':
          stepFunctions.sendTaskSuccess(s('taskToken') ?? '', s('output') ?? 'null');
          return {};
        case 'AWSStepFunctions.SendTaskFailure':
          stepFunctions.sendTaskFailure(s('taskToken') ?? '', s('error'), s('cause'));
          return {};
        case 'AmazonSQS.SendMessage':
          return sqs.sendMessage(input);
        case 'AmazonSQS.SendMessageBatch':
          return sqs.sendMessageBatch(input);
        case 'AmazonSQS.ReceiveMessage':
          return sqs.receiveMessage(input);
        case 'AmazonSQS.DeleteMessage':
          return sqs.deleteMessage(input);
        case 'AmazonSQS.DeleteMessageBatch':
          return sqs.deleteMessageBatch(input);
        case 'AmazonSQS.ChangeMessageVisibility':
          return sqs.changeMessageVisibility(input);
        case 'AmazonSQS.GetQueueAttributes':
          return sqs.getQueueAttributes(input);
        case 'AmazonSQS.GetQueueUrl':
          return sqs.getQueueUrl(input);
        case 'AmazonSSM.GetParameters':
          return parameters.getParameters(Array.isArray(input.Names) ? (input.Names as string[]) : []);
        case 'AmazonSSM.GetParameter': {
          const { Parameters } = parameters.getParameters([s('Name') ?? '']);
          if (!Parameters[0]) throw new AwsError('ParameterNotFound', `Parameter ${s('Name')} not found.`);
          return { Parameter: Parameters[0] };
        }
        case 'AWSStepFunctions.ListStateMachines':
          return {
            stateMachines: stepFunctions.stateMachines.map((m) => ({
              stateMachineArn: m.arn,
              name: m.name,
              type: m.type,
              creationDate: 0,
            })),
          };
      }
      throw new AwsError('UnknownOperationException', `local mode does not implement ${target}`);
    }

    async function api(
      route: Route,
      params: Record<string, string>,
      req: IncomingMessage,
      reqUrl: URL,
      res: ServerResponse,
    ): Promise<void> {
      const body = await readBody(req);
      const event = apiGatewayEvent(req, reqUrl, route, params, body);
      if (route.authorizer === 'aws_iam') {
        try {
          const accessKey = await verifySigV4(req, reqUrl, body, iam.secretOf, {
            region: wiring.region,
            service: 'execute-api',
          });
          const principal = iam.principalOf(accessKey);
          iam.authorize(principal, {
            action: 'execute-api:Invoke',
            resource: `arn:aws:execute-api:${wiring.region}:${ACCOUNT}:local/$default/${req.method}${reqUrl.pathname}`,
          });
          const userId = `AIDALOCAL${accessKey.toUpperCase()}`;
          (event.requestContext as unknown as Record<string, unknown>).authorizer = {
            iam: {
              accessKey,
              accountId: ACCOUNT,
              callerId: userId,
              cognitoIdentity: null,
              principalOrgId: null,
              userArn: principal.arn,
              userId,
            },
          };
        } catch (err) {
          // API Gateway's own answer to an unsigned, badly signed or unauthorized request.
          if (err instanceof SignatureRejected || err instanceof AccessDenied)
            return sendJson(res, 'application/json', { message: err.message }, 403);
          throw err;
        }
      }
      try {
        const out = httpResponse(await lambdas.invoke(route.functionArn, event));
        meter?.api(`${route.method} ${route.path}`, out.status, body.length, out.body.length);
        return send(res, out.status, out.headers, out.body);
      } catch (err) {
        // What API Gateway answers when the integration fails.
        log(`function ${route.functionArn} failed: ${(err as Error).stack ?? err}`);
        return sendJson(res, 'application/json', { message: 'Internal Server Error' }, 500);
      }
    }

    async function pages(reqUrl: URL, res: ServerResponse): Promise<void> {
      const path = reqUrl.pathname;
      if (path === '/' || path === '/_local') {
        return html(
          res,
          homePage(url, {
            functions: wiring.functions.map((f) => f.name),
            stateMachines: wiring.stateMachines.map((m) => `${m.name} (${m.type})`),
            rules: [
              ...wiring.rules.map((r) => `${r.name} on ${r.busName}: ${JSON.stringify(r.pattern)}`),
              ...schedules.list.map((s) => `${s.function}: ${s.rate}`),
            ],
          }),
        );
      }
      if (path === '/_local/outbox') return html(res, outboxPage(await mail.list()));
      const message = /^\/_local\/outbox\/([\w.-]+\.eml)(\/raw)?$/.exec(path);
      if (message) {
        try {
          if (message[2])
            return send(
              res,
              200,
              { 'content-type': 'message/rfc822', 'content-disposition': `attachment; filename="${message[1]}"` },
              await mail.raw(message[1]!),
            );
          return html(res, messagePage(await mail.read(message[1]!)));
        } catch {
          return html(res, '<!doctype html><title>Not found</title><p>No such message.</p>', 404);
        }
      }
      if (path === '/_local/events') return html(res, eventsPage(bus.events));
      if (path === '/_local/durable-callbacks')
        return html(res, durableCallbacksPage(durableCallbacks.answers, durableCallbacks.refused));
      if (path === '/_local/durable-callbacks.json')
        return sendJson(res, 'application/json', {
          answers: durableCallbacks.answers,
          refused: durableCallbacks.refused,
        });
      if (path === '/_local/clock')
        return sendJson(res, 'application/json', { now: new Date(clock.now()).toISOString(), scale: clock.scale });
      if (path === '/_local/events.json') return sendJson(res, 'application/json', bus.events);
      return html(res, '<!doctype html><title>Not found</title><p>Not found.</p>', 404);
    }

    await ensureTables(url, wiring.tables, wiring.region);
    await lambdas.loadAll();
    // What an earlier run accepted and had not delivered when it stopped (HITL_PERSIST=1) is delivered now.
    const owed = bus.resume();
    if (owed) log(`delivering ${owed} event(s) accepted before the last stop and not yet delivered to every rule`);
    if (opts.schedules !== false) schedules.start(() => clock.now());
    startMappings();

    return {
      url,
      wiring,
      bus,
      stepFunctions,
      lambdas,
      mail,
      sqs,
      slack,
      durableCallbacks,
      schedules,
      clock,
      iam,
      throttles,
      requests,
      async idle() {
        for (let i = 0; i < 3; i++) {
          await bus.idle();
          await stepFunctions.idle();
          await sqs.idle();
        }
      },
      async close() {
        schedules.stop();
        sqs.stop();
        clockKeeper?.stop();
        await bus.close();
        await lambdas.close();
        useTimeSource(Date.now);
        await new Promise<void>((ok) => {
          server.close(() => ok());
          server.closeAllConnections();
        });
        running = false;
      },
    };
  } catch (err) {
    server.close();
    running = false;
    throw err;
  }
}
