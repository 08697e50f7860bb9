// `sls package` offline, then the CloudFormation template and the function zips it would deploy:
// wiring, least privilege and bundles are checked where they end up, not in serverless.yml.
import { existsSync } from 'node:fs';
import { readFile, readdir, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { mapStack } from '../../scripts/stack.ts';
import { run, slsPackage } from '../support/package.ts';
import {
  asList,
  isObject,
  policyStatements,
  referencesIn,
  render,
  type Json,
  type JsonObject,
  type Resource,
  type Template,
} from './cfn.ts';

const ROOT = join(import.meta.dirname, '../..');
/** Issue 16's budget for a function's zip: init and deploys grow with it (docs/cost.md, Bundles and cold starts). */
const MAX_ZIP_BYTES = 150 * 1024;
/** Strings of the AWS SDK's own request code (@aws-sdk/core): present only if a client was bundled. */
const SDK_MARKERS = ['x-amz-user-agent', 'aws-sdk-js'];
/** What serverless-step-functions adds to a machine's role for logging, tracing and startExecution; none takes a resource. */
const MACHINE_ROLE_COMPANIONS = new Set([
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  // Not states:DescribeExecution/StopExecution nor events:PutTargets/PutRule/DescribeRule: the plugin adds
  // them for .sync Tasks, which no workflow here has, and scripts/serverless-machine-roles.cjs removes them.
]);
/** What every function's role needs for X-Ray active tracing (provider.tracing.lambda), and nothing more. */
const FUNCTION_TRACING_ACTIONS = ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'];

interface Bundle {
  zip: string;
  bytes: number;
  entries: string[];
  /** The file the Handler names, `.cjs` added. */
  handlerFile: string;
  /** Its text, or undefined when the zip lacks it. */
  code: string | undefined;
}

let dir: string;
let template: Template;
const bundles = new Map<string, Bundle>();

beforeAll(async () => {
  const packaged = await slsPackage('test');
  dir = packaged.dir;
  template = packaged.template as Template;

  for (const [id, fn] of ofType('AWS::Lambda::Function')) {
    const zip = basename(String((props(fn).Code as JsonObject).S3Key));
    const path = join(dir, zip);
    const entries = (await run('unzip', ['-Z1', path])).stdout.split('\n').filter(Boolean);
    const handlerFile = `${String(props(fn).Handler).replace(/\.[^./]+$/, '')}.cjs`;
    const code = entries.includes(handlerFile)
      ? (await run('unzip', ['-p', path, handlerFile], { maxBuffer: 64 * 1024 * 1024 })).stdout
      : undefined;
    bundles.set(id, { zip, bytes: (await stat(path)).size, entries, handlerFile, code });
  }
}, 120_000);

afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

function ofType(type: string): [string, Resource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}
const props = (r: Resource | undefined): JsonObject => r?.Properties ?? {};
const the = (type: string): string => {
  const found = ofType(type);
  if (found.length !== 1)
    throw new Error(`expected one ${type}, found ${found.map(([id]) => id).join(', ') || 'none'}`);
  return found[0]![0];
};
/** `{ id: f(resource) }` for every resource of a type: one expectation shows every offender by name. */
const each = <T>(type: string, f: (r: Resource, id: string) => T): Record<string, T> =>
  Object.fromEntries(ofType(type).map(([id, r]) => [id, f(r, id)]));
const sameForAll = <T>(type: string, value: T): Record<string, T> => each(type, () => value);
const env = (fn: Resource): JsonObject =>
  ((props(fn).Environment as JsonObject | undefined)?.Variables ?? {}) as JsonObject;
const actionsOf = (s: JsonObject): string[] => asList(s.Action).map(String);
const isRefTo = (v: Json | undefined, id: string) => isObject(v) && v.Ref === id;
const isArnOf = (v: Json | undefined, id: string) =>
  isObject(v) && JSON.stringify(v['Fn::GetAtt']) === JSON.stringify([id, 'Arn']);
const busArns = (bus: string) => [
  `\${${bus}.Arn}`,
  `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:event-bus/\${${bus}}`,
];
/** The logical id of a state machine's role. */
const roleOf = (machine: Resource) => String((props(machine).RoleArn as { 'Fn::GetAtt': Json[] })['Fn::GetAtt'][0]);
/** The logical id of a function's role. */
const functionRoleOf = (fn: Resource) => String((props(fn).Role as { 'Fn::GetAtt': Json[] })['Fn::GetAtt'][0]);
const statementsOfRole = (role: string) =>
  policyStatements({ Resources: { [role]: template.Resources[role]! } })
    .filter(({ at }) => !at.includes('AssumeRolePolicyDocument'))
    .map(({ statement }) => statement);

describe('the packaged template', () => {
  it('resolves every Ref, Fn::GetAtt, Fn::Sub variable and DependsOn to a resource or parameter of the template', () => {
    const known = new Set([...Object.keys(template.Resources), ...Object.keys(template.Parameters ?? {})]);
    const dependsOn = Object.entries(template.Resources).flatMap(([id, r]) =>
      asList(r.DependsOn).map((d) => ({ id: String(d), at: `${id}.DependsOn` })),
    );
    const references = [
      ...referencesIn(template.Resources as unknown as Json, 'Resources'),
      ...referencesIn((template.Outputs ?? {}) as Json, 'Outputs'),
      ...dependsOn,
    ];
    expect(references.length).toBeGreaterThan(0);
    expect(references.filter((r) => !known.has(r.id))).toEqual([]);
  });

  it("points the approvers' links (PUBLIC_URL) at the HTTP API of the same stack", () => {
    const urls = Object.entries(each('AWS::Lambda::Function', (fn) => env(fn).PUBLIC_URL)).filter(
      ([, url]) => url !== undefined,
    );
    const api = the('AWS::ApiGatewayV2::Api');
    expect(urls.length).toBeGreaterThan(0);
    expect(Object.fromEntries(urls.map(([id, url]) => [id, render(url)]))).toEqual(
      Object.fromEntries(urls.map(([id]) => [id, `https://\${${api}}.execute-api.\${AWS::Region}.\${AWS::URLSuffix}`])),
    );
  });
});

describe('state machines', () => {
  it('gives each state machine the logical id its definitions and local mode refer to', () => {
    expect(
      Object.fromEntries(
        ofType('AWS::StepFunctions::StateMachine').map(([id, m]) => [id, String(props(m).StateMachineName)]),
      ),
    ).toEqual({
      IntakeStateMachine: 'hitl-gate-test-intake',
      ResumeStateMachine: 'hitl-gate-test-resume',
      ProcurementCallerStateMachine: 'hitl-gate-test-example-procurement-caller',
    });
  });

  it("runs hitl-gate's own workflows as Express that log errors without execution data to a log group of the stack and trace with X-Ray; the example caller is Standard", () => {
    const logGroups = new Set(ofType('AWS::Logs::LogGroup').map(([id]) => id));
    const observed = each('AWS::StepFunctions::StateMachine', (m) => {
      const logging = props(m).LoggingConfiguration as JsonObject | undefined;
      if (logging === undefined)
        return {
          type: props(m).StateMachineType,
          logging: 'none',
          tracing: (props(m).TracingConfiguration as JsonObject | undefined)?.Enabled,
        };
      const destinations = asList(logging.Destinations).map(
        (d) => ((d as JsonObject).CloudWatchLogsLogGroup as JsonObject).LogGroupArn as { 'Fn::GetAtt'?: Json[] },
      );
      return {
        type: props(m).StateMachineType,
        level: logging.Level,
        includeExecutionData: logging.IncludeExecutionData,
        logsToStackLogGroup:
          destinations.length > 0 &&
          destinations.every((d) => logGroups.has(String(d['Fn::GetAtt']?.[0])) && d['Fn::GetAtt']?.[1] === 'Arn'),
        tracing: (props(m).TracingConfiguration as JsonObject | undefined)?.Enabled,
      };
    });
    // ALL with data would copy every proposal into the logs, at a cost above the executions' own.
    const express = {
      type: 'EXPRESS',
      level: 'ERROR',
      includeExecutionData: false,
      logsToStackLogGroup: true,
      tracing: true,
    };
    expect(observed).toEqual({
      IntakeStateMachine: express,
      ResumeStateMachine: express,
      // A caller's workflow waits for days: Standard, whose execution history Step Functions keeps (90 days).
      ProcurementCallerStateMachine: { type: 'STANDARD', logging: 'none', tracing: true },
    });
  });
});

describe('event bus', () => {
  it('declares exactly one bus, and every pattern rule listens on it rather than on the default bus', () => {
    const bus = the('AWS::Events::EventBus');
    const patternRules = ofType('AWS::Events::Rule').filter(([, r]) => props(r).EventPattern !== undefined);
    expect(patternRules.length).toBeGreaterThan(0);
    expect(Object.fromEntries(patternRules.map(([id, r]) => [id, props(r).EventBusName ?? 'default']))).toEqual(
      Object.fromEntries(patternRules.map(([id]) => [id, { Ref: bus }])),
    );
  });

  it('starts intake for every Action Proposed event not sent by the gate itself, with retries and a dead-letter queue', () => {
    const rules = ofType('AWS::Events::Rule').filter(([, r]) =>
      asList(props(r).Targets).some((t) => isRefTo((t as JsonObject).Arn, 'IntakeStateMachine')),
    );
    expect(rules).toHaveLength(1);
    const rule = props(rules[0]![1]);
    expect(rule.EventPattern).toEqual({
      'detail-type': ['Action Proposed'],
      source: [{ 'anything-but': ['hitl.gate'] }],
    });
    expect(rule.State ?? 'ENABLED').toBe('ENABLED');
    const [target, ...others] = asList(rule.Targets) as JsonObject[];
    expect(others).toEqual([]);
    const dlq = 'IntakeDeadLetterQueue';
    expect(isArnOf((target!.DeadLetterConfig as JsonObject | undefined)?.Arn, dlq)).toBe(true);
    expect(target!.RetryPolicy).toEqual({
      MaximumEventAgeInSeconds: expect.any(Number),
      MaximumRetryAttempts: expect.any(Number),
    });
    // The rule's own role may start intake and nothing else.
    const role = String((target!.RoleArn as { 'Fn::GetAtt': Json[] })['Fn::GetAtt'][0]);
    expect(
      statementsOfRole(role).map((s) => ({ actions: actionsOf(s), resources: asList(s.Resource).map(render) })),
    ).toEqual([{ actions: ['states:StartExecution'], resources: ['${IntakeStateMachine}'] }]);
  });

  it.each(['IntakeDeadLetterQueue', 'EscalationDeadLetterQueue'])(
    "lets EventBridge, for the rules on the gate's bus only, send undeliverable events to %s",
    (dlq) => {
      expect(template.Resources[dlq]?.Type).toBe('AWS::SQS::Queue');
      const busName = String(props(template.Resources[the('AWS::Events::EventBus')]).Name);
      const ruleOnBus = `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:rule/${busName}/SomeRule`;
      const policies = ofType('AWS::SQS::QueuePolicy').filter(([, p]) =>
        asList(props(p).Queues).some((q) => isRefTo(q, dlq)),
      );
      expect(policies).toHaveLength(1);
      const grants = asList((props(policies[0]![1]).PolicyDocument as JsonObject).Statement)
        .map((s) => s as JsonObject)
        .filter(
          (s) =>
            s.Effect === 'Allow' &&
            JSON.stringify(s.Principal) === JSON.stringify({ Service: 'events.amazonaws.com' }) &&
            actionsOf(s).includes('sqs:SendMessage') &&
            asList(s.Resource).some((r) => isArnOf(r, dlq)),
        );
      expect(grants).toHaveLength(1);
      // A condition naming another bus (or a typo) would make every dead letter fail silently.
      const sourceArn = ((grants[0]!.Condition as JsonObject | undefined)?.ArnEquals as JsonObject | undefined)?.[
        'aws:SourceArn'
      ];
      if (sourceArn !== undefined) {
        const glob = new RegExp(
          `^${render(sourceArn)
            .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
            .replace(/\*/g, '.*')}$`,
        );
        expect(ruleOnBus).toMatch(glob);
      }
    },
  );
});

describe('SLAs and escalation', () => {
  it('runs the sweeper on a schedule rule targeting the sweep function', () => {
    const schedules = ofType('AWS::Events::Rule').filter(([, r]) => props(r).ScheduleExpression !== undefined);
    expect(
      schedules.map(([, r]) => ({
        expression: props(r).ScheduleExpression,
        targets: asList(props(r).Targets).map((t) => (t as JsonObject).Arn),
      })),
    ).toEqual([{ expression: 'rate(1 minute)', targets: [{ 'Fn::GetAtt': ['SweepLambdaFunction', 'Arn'] }] }]);
  });

  it('sends "Review SLA Breached" from the gate to the escalate function, with retries and a dead-letter queue', () => {
    const rules = ofType('AWS::Events::Rule').filter(([, r]) =>
      asList(props(r).Targets).some((t) => isArnOf((t as JsonObject).Arn, 'EscalateLambdaFunction')),
    );
    expect(rules).toHaveLength(1);
    const rule = props(rules[0]![1]);
    expect(rule.EventBusName).toEqual({ Ref: the('AWS::Events::EventBus') });
    expect(rule.EventPattern).toEqual({ source: ['hitl.gate'], 'detail-type': ['Review SLA Breached'] });
    const [target] = asList(rule.Targets) as JsonObject[];
    expect(isArnOf((target!.DeadLetterConfig as JsonObject | undefined)?.Arn, 'EscalationDeadLetterQueue')).toBe(true);
    expect(target!.RetryPolicy).toEqual({
      MaximumEventAgeInSeconds: expect.any(Number),
      MaximumRetryAttempts: expect.any(Number),
    });
  });

  it("protects cancel and the agents' status route with IAM, and leaves the approver routes to their signed links", () => {
    const routes = Object.fromEntries(
      ofType('AWS::ApiGatewayV2::Route').map(([, r]) => [
        String(props(r).RouteKey),
        props(r).AuthorizationType ?? 'NONE',
      ]),
    );
    expect(routes).toEqual({
      'GET /reviews/{id}': 'NONE',
      'POST /reviews/{id}/decision': 'NONE',
      'GET /inbox': 'NONE',
      'POST /inbox': 'NONE',
      // Slack's request signature, checked by the function.
      'POST /slack/interactions': 'NONE',
      'POST /reviews/{id}/cancel': 'AWS_IAM',
      'POST /reviews/{id}/execution': 'AWS_IAM',
      'POST /grants/{id}/revoke': 'AWS_IAM',
      'GET /reviews/{id}/status': 'AWS_IAM',
      'GET /agents/{agentId}/proposals/{proposalId}/status': 'AWS_IAM',
    });
  });
});

describe('reviews table', () => {
  it('keeps the reviews, the secrets and the archive when the stack is deleted or they are replaced', () => {
    const kept = [
      the('AWS::DynamoDB::Table'),
      ...ofType('AWS::SecretsManager::Secret').map(([id]) => id),
      the('AWS::Events::Archive'),
    ];
    expect(kept).toEqual(expect.arrayContaining(['LinkSigningKey', 'SlackBotToken', 'SlackSigningSecret']));
    expect(
      Object.fromEntries(
        kept.map((id) => [id, [template.Resources[id]!.DeletionPolicy, template.Resources[id]!.UpdateReplacePolicy]]),
      ),
    ).toEqual(Object.fromEntries(kept.map((id) => [id, ['Retain', 'Retain']])));
  });

  it('keeps reviews in one on-demand table keyed by pk/sk, with the sparse due index, TTL, point-in-time recovery and encryption', () => {
    const table = props(template.Resources[the('AWS::DynamoDB::Table')]);
    expect(table.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(table.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.GlobalSecondaryIndexes).toEqual([
      expect.objectContaining({
        IndexName: 'due',
        KeySchema: [
          { AttributeName: 'dueShard', KeyType: 'HASH' },
          { AttributeName: 'dueAt', KeyType: 'RANGE' },
        ],
      }),
      {
        IndexName: 'inbox',
        KeySchema: [
          { AttributeName: 'inboxOf', KeyType: 'HASH' },
          { AttributeName: 'inboxDue', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['row'] },
      },
    ]);
    expect(table.AttributeDefinitions).toEqual(
      expect.arrayContaining(
        ['pk', 'sk', 'dueShard', 'dueAt', 'inboxOf', 'inboxDue'].map((AttributeName) => ({
          AttributeName,
          AttributeType: 'S',
        })),
      ),
    );
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect({
      deletion: template.Resources[the('AWS::DynamoDB::Table')]!.DeletionPolicy,
      replace: template.Resources[the('AWS::DynamoDB::Table')]!.UpdateReplacePolicy,
    }).toEqual({ deletion: 'Retain', replace: 'Retain' });
    expect(table.PointInTimeRecoverySpecification).toEqual(
      expect.objectContaining({ PointInTimeRecoveryEnabled: true }),
    );
    expect(table.SSESpecification).toEqual(expect.objectContaining({ SSEEnabled: true }));
  });
});

describe('functions', () => {
  it('runs every function on nodejs24.x and arm64', () => {
    expect(
      each('AWS::Lambda::Function', (fn) => ({ runtime: props(fn).Runtime, architectures: props(fn).Architectures })),
    ).toEqual(sameForAll('AWS::Lambda::Function', { runtime: 'nodejs24.x', architectures: ['arm64'] }));
  });

  it('gives each function only the settings it reads, the table and the bus of the same stack', () => {
    const table = { Ref: the('AWS::DynamoDB::Table') };
    const bus = { Ref: the('AWS::Events::EventBus') };
    const settings = each('AWS::Lambda::Function', (fn) =>
      Object.keys(env(fn))
        .filter(
          (k) =>
            !['STAGE', 'POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_LOG_LEVEL', 'POWERTOOLS_METRICS_DISABLED'].includes(k),
        )
        .sort(),
    );
    const policy = ['DIRECTORY_FILE', 'POLICY_FILE'];
    const mail = ['MAIL_FROM', 'PUBLIC_URL'];
    const slack = ['SLACK_API_URL', 'SLACK_BOT_TOKEN_PARAMETER'];
    const sorted = (m: Record<string, string[]>) =>
      Object.fromEntries(Object.entries(m).map(([id, names]) => [id, [...names].sort()]));
    expect(settings).toEqual(
      sorted({
        ClassifyLambdaFunction: policy,
        OpenReviewLambdaFunction: [...policy, 'REVIEWS_TABLE'],
        ReportExecutionLambdaFunction: ['REVIEWS_TABLE'],
        NotifyApproversLambdaFunction: [...policy, 'NOTIFICATION_QUEUE_URL', 'REVIEWS_TABLE'],
        SendNotificationsLambdaFunction: [
          ...policy,
          'LINK_KEY_PARAMETER',
          ...mail,
          'MAIL_MAX_RECEIVES',
          'MAIL_SEND_RATE',
          'MAIL_SENDERS',
          'NOTIFICATION_QUEUE_URL',
          'REVIEWS_TABLE',
          ...slack,
        ],
        LoadOutcomeLambdaFunction: ['REVIEWS_TABLE'],
        ReportToCallerLambdaFunction: [],
        ExecuteActionLambdaFunction: [...mail, 'REVIEWS_TABLE'],
        CompleteReviewLambdaFunction: ['NOTIFICATION_QUEUE_URL', 'RETENTION_DAYS', 'REVIEWS_TABLE'],
        SweepLambdaFunction: [
          ...policy,
          'EVENT_BUS_NAME',
          'NOTIFICATION_QUEUE_URL',
          'RESUME_STATE_MACHINE_ARN',
          'REVIEWS_TABLE',
        ],
        EscalateLambdaFunction: [
          ...policy,
          'EVENT_BUS_NAME',
          'NOTIFICATION_QUEUE_URL',
          'RESUME_STATE_MACHINE_ARN',
          'REVIEWS_TABLE',
        ],
        CancelLambdaFunction: ['RESUME_STATE_MACHINE_ARN', 'REVIEWS_TABLE'],
        ReviewStatusLambdaFunction: ['REVIEWS_TABLE'],
        ReviewPageLambdaFunction: [...policy, 'LINK_KEY_PARAMETER', 'REVIEWS_TABLE'],
        DecideLambdaFunction: [
          ...policy,
          'LINK_KEY_PARAMETER',
          'RESUME_STATE_MACHINE_ARN',
          'RETENTION_DAYS',
          'REVIEWS_TABLE',
        ],
        InboxLambdaFunction: [...policy, 'LINK_KEY_PARAMETER', 'REVIEWS_TABLE'],
        InboxDecideLambdaFunction: [...policy, 'LINK_KEY_PARAMETER', 'RESUME_STATE_MACHINE_ARN', 'REVIEWS_TABLE'],
        RevokeGrantLambdaFunction: ['REVIEWS_TABLE'],
        SlackInteractionsLambdaFunction: [
          ...policy,
          'RESUME_STATE_MACHINE_ARN',
          'REVIEWS_TABLE',
          ...slack,
          'SLACK_SIGNING_SECRET_PARAMETER',
        ],
      }),
    );
    for (const [, fn] of ofType('AWS::Lambda::Function')) {
      if (env(fn).REVIEWS_TABLE !== undefined) expect(env(fn).REVIEWS_TABLE).toEqual(table);
      if (env(fn).EVENT_BUS_NAME !== undefined) expect(env(fn).EVENT_BUS_NAME).toEqual(bus);
    }
  });

  it('names the resume workflow by its ARN built from its name, so no function depends on the machine (no cycle)', () => {
    const arns = each('AWS::Lambda::Function', (fn) => env(fn).RESUME_STATE_MACHINE_ARN);
    const machineName = (props(template.Resources.ResumeStateMachine) as JsonObject).StateMachineName;
    for (const [id, arn] of Object.entries(arns)) {
      if (arn === undefined) continue;
      expect({ id, refs: referencesIn(arn).map((r) => r.id) }).toEqual({ id, refs: [] });
      expect(render(arn)).toBe(
        `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:${String(machineName)}`,
      );
    }
  });

  it('packages each function individually, one zip of its own per function', async () => {
    const zips = (await readdir(dir)).filter((f) => f.endsWith('.zip')).sort();
    const functions = ofType('AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThan(0);
    expect([...bundles.values()].map((b) => b.zip).sort()).toEqual(zips);
    expect(zips).toHaveLength(functions.length);
  });

  it("points every Handler at a .cjs bundle inside the function's zip", () => {
    expect(Object.fromEntries([...bundles].map(([id, b]) => [id, b.entries.includes(b.handlerFile)]))).toEqual(
      sameForAll('AWS::Lambda::Function', true),
    );
  });

  it('leaves the AWS SDK out of every bundle and requires it from the Lambda runtime instead', () => {
    const found = Object.fromEntries(
      [...bundles].map(([id, b]) => [
        id,
        {
          sdkInZip: b.entries.filter((e) => e.includes('node_modules/@aws-sdk/')),
          sdkCodeInBundle: SDK_MARKERS.filter((m) => b.code?.includes(m)),
        },
      ]),
    );
    expect(found).toEqual(sameForAll('AWS::Lambda::Function', { sdkInZip: [], sdkCodeInBundle: [] }));
    // The check above means something only if the functions do use the SDK: at run time, by require.
    const required = new Set(
      [...bundles.values()].flatMap((b) =>
        [...(b.code ?? '').matchAll(/require\("(@aws-sdk\/[^"]+)"\)/g)].map((m) => m[1]),
      ),
    );
    expect([...required]).toEqual(expect.arrayContaining(['@aws-sdk/client-dynamodb']));
  });

  it('requires in each function only the AWS SDK clients of the services its role lets it call', () => {
    // Each client loaded costs init time whether it is called or not; its role says what the function calls.
    // Secrets Manager is read through Parameter Store's reference path (the SSM client); logs and X-Ray are
    // Lambda's own (the runtime writes the logs, the tracer's daemon the segments).
    const SERVICE_OF_CLIENT: Record<string, string> = {
      '@aws-sdk/client-dynamodb': 'dynamodb',
      '@aws-sdk/client-eventbridge': 'events',
      '@aws-sdk/client-lambda': 'lambda',
      '@aws-sdk/client-sesv2': 'ses',
      '@aws-sdk/client-sfn': 'states',
      '@aws-sdk/client-sqs': 'sqs',
      '@aws-sdk/client-ssm': 'ssm',
    };
    const notClients = new Set(['logs', 'xray', 'secretsmanager']);
    const fromClients = Object.fromEntries(
      [...bundles].map(([id, b]) => [
        id,
        [
          ...new Set(
            [...(b.code ?? '').matchAll(/require\("(@aws-sdk\/client-[^"]+)"\)/g)].map(
              (m) => SERVICE_OF_CLIENT[m[1]!] ?? m[1]!,
            ),
          ),
        ].sort(),
      ]),
    );
    const fromRoles = Object.fromEntries(
      ofType('AWS::Lambda::Function').map(([id, fn]) => [
        id,
        [
          ...new Set(
            statementsOfRole(functionRoleOf(fn))
              .flatMap((s) => asList(s.Action).map((a) => String(a).split(':')[0]!))
              .filter((service) => !notClients.has(service)),
          ),
        ].sort(),
      ]),
    );
    expect(Object.values(fromClients).some((services) => services.length > 0)).toBe(true);
    expect(fromClients).toEqual(fromRoles);
  });

  it('ships the risk policy and the approver directory compiled to JSON, as named by POLICY_FILE and DIRECTORY_FILE, in the zip of every function that reads them', async () => {
    const readers = ofType('AWS::Lambda::Function').filter(([, fn]) => env(fn).POLICY_FILE !== undefined);
    expect(readers.length).toBeGreaterThan(0);
    const files = Object.fromEntries(readers.map(([id, fn]) => [id, [env(fn).POLICY_FILE, env(fn).DIRECTORY_FILE]]));
    expect(files).toEqual(
      Object.fromEntries(
        readers.map(([id]) => [
          id,
          ['.hitl-build/test/policy/policy/default.yml.json', '.hitl-build/test/policy/policy/directory.yml.json'],
        ]),
      ),
    );
    for (const [id] of readers) {
      const bundle = bundles.get(id)!;
      for (const [compiled, source] of [
        [files[id]![0], 'policy/default.yml'],
        [files[id]![1], 'policy/directory.yml'],
      ] as const) {
        expect({ id, compiled, inZip: bundle.entries.includes(String(compiled)) }).toEqual({
          id,
          compiled,
          inZip: true,
        });
        const json = JSON.parse(
          (await run('unzip', ['-p', join(dir, bundle.zip), String(compiled)])).stdout,
        ) as unknown;
        expect(json).toEqual(parseYaml(await readFile(join(ROOT, source), 'utf8')));
      }
    }
  });

  it('bundles no YAML parser: the functions read the policy as JSON', () => {
    const withYaml = [...bundles.entries()]
      .filter(([, b]) => /YAMLParseError|LineCounter/.test(b.code ?? ''))
      .map(([id]) => id);
    expect(withYaml).toEqual([]);
  });

  it('keeps the source maps out of every zip and beside the zips, in sourcemaps/', () => {
    const found = Object.fromEntries(
      [...bundles].map(([id, b]) => [
        id,
        {
          mapsInZip: b.entries.filter((e) => e.endsWith('.map')),
          linksAMap: /sourceMappingURL/.test(b.code ?? ''),
          mapBeside: existsSync(join(dir, 'sourcemaps', `${b.handlerFile}.map`)),
        },
      ]),
    );
    expect(found).toEqual(sameForAll('AWS::Lambda::Function', { mapsInZip: [], linksAMap: false, mapBeside: true }));
  });

  it("maps a position in a function's bundle back to its source with the maps kept beside the zips (npm run stack)", () => {
    const [, decide] = [...bundles].find(([id]) => id === 'DecideLambdaFunction')!;
    const code = decide.code ?? '';
    const at = code.indexOf('the link-signing key is missing');
    expect(at).toBeGreaterThan(0);
    const lines = code.slice(0, at).split('\n');
    const frame = `    at linkKeyFrom (/var/task/${decide.handlerFile}:${lines.length}:${lines.at(-1)!.length + 1})`;
    expect(mapStack(frame, join(dir, 'sourcemaps'))).toMatch(
      /^ {4}at linkKeyFrom \(functions\/adapters\/link-key\.ts:\d+:\d+\)$/,
    );
  });

  it('keeps every zip under 150 KB', () => {
    const sizes = Object.fromEntries([...bundles].map(([id, b]) => [id, b.bytes]));
    expect(Object.values(sizes).every((bytes) => bytes > 0)).toBe(true);
    expect(Object.entries(sizes).filter(([, bytes]) => bytes >= MAX_ZIP_BYTES)).toEqual([]);
  });
});

describe('agents', () => {
  it('offers agents a managed policy that proposes actions but never speaks as hitl-gate, and reads, cancels or reports on reviews', () => {
    const policy = template.Resources[the('AWS::IAM::ManagedPolicy')]!;
    const statements = asList((props(policy).PolicyDocument as JsonObject).Statement) as JsonObject[];
    expect(
      statements.map((s) => ({ action: s.Action, resource: asList(s.Resource).map(render), condition: s.Condition })),
    ).toEqual([
      {
        action: 'events:PutEvents',
        resource: ['${Bus.Arn}'],
        condition: {
          StringEquals: { 'events:detail-type': 'Action Proposed' },
          StringNotLike: { 'events:source': 'hitl.*' },
        },
      },
      {
        action: 'execute-api:Invoke',
        resource: [
          'arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${HttpApi}/*/GET/reviews/*/status',
          'arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${HttpApi}/*/GET/agents/*/proposals/*/status',
          'arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${HttpApi}/*/POST/reviews/*/cancel',
          'arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${HttpApi}/*/POST/reviews/*/execution',
        ],
        condition: undefined,
      },
    ]);
  });

  it("denies any principal but the gate's own publishers an event with a source hitl.* on the bus", () => {
    const policy = props(template.Resources[the('AWS::Events::EventBusPolicy')]);
    expect(policy.EventBusName).toEqual({ Ref: the('AWS::Events::EventBus') });
    expect(policy.Statement).toEqual({
      Effect: 'Deny',
      Principal: '*',
      Action: 'events:PutEvents',
      Resource: { 'Fn::GetAtt': [the('AWS::Events::EventBus'), 'Arn'] },
      Condition: {
        StringLike: { 'events:source': 'hitl.*' },
        ArnNotEquals: {
          'aws:PrincipalArn': [
            'SweepIamRoleLambdaExecution',
            'EscalateIamRoleLambdaExecution',
            'IntakeStateMachineRole',
            'ResumeStateMachineRole',
          ].map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] })),
        },
      },
    });
    // The publishers named are exactly the gate's roles allowed events:PutEvents on the bus (the example
    // caller is an agent: it proposes, and the policy above keeps it from speaking as the gate).
    const publishers = Object.entries(template.Resources)
      .filter(
        ([id, r]) =>
          r.Type === 'AWS::IAM::Role' &&
          id !== 'ProcurementCallerStateMachineRole' &&
          JSON.stringify(r.Properties).includes('"events:PutEvents"'),
      )
      .map(([id]) => id)
      .sort();
    expect(publishers).toEqual([
      'EscalateIamRoleLambdaExecution',
      'IntakeStateMachineRole',
      'ResumeStateMachineRole',
      'SweepIamRoleLambdaExecution',
    ]);
  });

  it('outputs what an operator and an agent need: the API URL, the bus, the table, the agent policy and the alarm topic', () => {
    const values = Object.fromEntries(
      Object.entries(template.Outputs ?? {}).map(([name, o]) => [name, render(o.Value)]),
    );
    const bus = the('AWS::Events::EventBus');
    expect(values).toEqual(
      expect.objectContaining({
        // The same URL as the approvers' links (publicUrl's default).
        ApiUrl: `https://\${${the('AWS::ApiGatewayV2::Api')}}.execute-api.\${AWS::Region}.\${AWS::URLSuffix}`,
        BusName: `\${${bus}}`,
        BusArn: `\${${bus}.Arn}`,
        ReviewsTableName: `\${${the('AWS::DynamoDB::Table')}}`,
        AgentPolicyArn: `\${${the('AWS::IAM::ManagedPolicy')}}`,
        AlarmTopicArn: `\${${the('AWS::SNS::Topic')}}`,
      }),
    );
  });
});

describe('least privilege', () => {
  const allows = () => policyStatements(template).filter(({ statement }) => statement.Effect === 'Allow');

  it("creates no IAM role that nothing assumes: every role is a function's or a state machine's", () => {
    const roles = Object.entries(template.Resources)
      .filter(([, r]) => r.Type === 'AWS::IAM::Role')
      .map(([id]) => id);
    // Assumed where a resource names it as its role: a function's Role, a machine's or a rule target's RoleArn.
    const assumed = new Set<string>();
    const walk = (node: Json): void => {
      if (Array.isArray(node)) {
        for (const n of node) walk(n);
        return;
      }
      if (!isObject(node)) return;
      for (const [key, value] of Object.entries(node)) {
        const getAtt = isObject(value) ? value['Fn::GetAtt'] : undefined;
        if ((key === 'Role' || key === 'RoleArn') && Array.isArray(getAtt)) assumed.add(String(getAtt[0]));
        walk(value);
      }
    };
    walk(template.Resources as unknown as Json);
    expect(roles.filter((id) => !assumed.has(id))).toEqual([]);
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
  });

  it('gives every function a role of its own with only the actions it needs (besides its logs and its traces)', () => {
    const granted = each('AWS::Lambda::Function', (fn) => {
      return statementsOfRole(functionRoleOf(fn))
        .flatMap(actionsOf)
        .filter((a) => !a.startsWith('logs:'))
        .sort();
    });
    const linkKey = ['secretsmanager:GetSecretValue', 'ssm:GetParameters'];
    const read = ['dynamodb:GetItem'];
    const update = ['dynamodb:GetItem', 'dynamodb:UpdateItem'];
    const need: Record<string, string[]> = {
      ClassifyLambdaFunction: [],
      // Standing approvals: the active grants of a type (Query) and the conditional count of a use (UpdateItem).
      OpenReviewLambdaFunction: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      NotifyApproversLambdaFunction: [...update, 'sqs:SendMessage'],
      // Its event source mapping's grants (the framework adds them), its backoff, and the emails themselves.
      SendNotificationsLambdaFunction: [
        ...update,
        'ses:SendEmail',
        'sqs:ChangeMessageVisibility',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:ReceiveMessage',
        ...linkKey,
        // The Slack bot token, a secret read as the link key is.
        ...linkKey,
      ],
      LoadOutcomeLambdaFunction: update,
      ReportToCallerLambdaFunction: [
        'lambda:SendDurableExecutionCallbackFailure',
        'lambda:SendDurableExecutionCallbackSuccess',
        'states:SendTaskFailure',
        'states:SendTaskSuccess',
      ],
      ExecuteActionLambdaFunction: [...update, 'ses:SendEmail'],
      // The queue: the update of the review's Slack messages once it ended.
      CompleteReviewLambdaFunction: [...update, 'sqs:SendMessage'],
      SweepLambdaFunction: [
        ...update,
        'dynamodb:Query',
        'events:PutEvents',
        'sqs:SendMessage',
        'states:StartExecution',
      ],
      EscalateLambdaFunction: [...update, 'events:PutEvents', 'sqs:SendMessage', 'states:StartExecution'],
      CancelLambdaFunction: [...update, 'states:StartExecution'],
      ReportExecutionLambdaFunction: update,
      ReviewStatusLambdaFunction: read,
      ReviewPageLambdaFunction: [...read, 'dynamodb:Query', ...linkKey],
      DecideLambdaFunction: [...update, 'dynamodb:PutItem', 'states:StartExecution', ...linkKey],
      // The inbox reads the approver index and nothing else of the table; its batch decides as decide does.
      // And the granter's partition, for the standing approvals they made (and the inbox's revoke of one).
      InboxLambdaFunction: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Query', ...linkKey],
      InboxDecideLambdaFunction: [...update, 'dynamodb:Query', 'states:StartExecution', ...linkKey],
      RevokeGrantLambdaFunction: ['dynamodb:Query', 'dynamodb:UpdateItem'],
      // Decides as decide does; the bot token (to update the message) and the signing secret, each a secret.
      SlackInteractionsLambdaFunction: [...update, 'states:StartExecution', ...linkKey, ...linkKey],
    };
    expect(granted).toEqual(
      Object.fromEntries(
        Object.entries(need).map(([id, actions]) => [id, [...actions, ...FUNCTION_TRACING_ACTIONS].sort()]),
      ),
    );
  });

  it('traces every function with X-Ray (active), its role putting traces on "*" (X-Ray actions take no resource)', () => {
    expect(each('AWS::Lambda::Function', (fn) => props(fn).TracingConfig)).toEqual(
      sameForAll('AWS::Lambda::Function', { Mode: 'Active' }),
    );
    const tracing = each('AWS::Lambda::Function', (fn) =>
      statementsOfRole(functionRoleOf(fn))
        .filter((s) => actionsOf(s).some((a) => a.startsWith('xray:')))
        .map((s) => ({ actions: actionsOf(s).sort(), resources: asList(s.Resource).map(render) })),
    );
    expect(tracing).toEqual(
      sameForAll('AWS::Lambda::Function', [{ actions: FUNCTION_TRACING_ACTIONS, resources: ['*'] }]),
    );
  });

  it('grants no wildcard action ("*", "dynamodb:*", "dynamodb:Get*") and no NotAction', () => {
    const wide = allows().filter(
      ({ statement }) => statement.NotAction !== undefined || actionsOf(statement).some((a) => a.includes('*')),
    );
    expect(allows().length).toBeGreaterThan(0);
    expect(wide).toEqual([]);
  });

  it('scopes DynamoDB actions to the reviews table and its indexes', () => {
    const table = the('AWS::DynamoDB::Table');
    const allowed = new RegExp(`^\\$\\{${table}\\.Arn\\}(/index/[^/]+)?$`);
    const statements = allows().filter(({ statement }) => actionsOf(statement).some((a) => a.startsWith('dynamodb:')));
    expect(statements.length).toBeGreaterThan(0);
    expect(
      statements.flatMap(({ at, statement }) =>
        asList(statement.Resource)
          .map(render)
          .filter((r) => !allowed.test(r))
          .map((r) => `${at}: ${r}`),
      ),
    ).toEqual([]);
  });

  it("lets only the inbox query the approver index, and the inbox query nothing else but the table's partitions (its person's grants)", () => {
    const table = the('AWS::DynamoDB::Table');
    const queries = each('AWS::Lambda::Function', (fn) =>
      statementsOfRole(functionRoleOf(fn))
        .filter((st) => actionsOf(st).includes('dynamodb:Query'))
        .flatMap((st) => asList(st.Resource).map(render)),
    );
    const inboxIndex = `\${${table}.Arn}/index/inbox`;
    expect(Object.entries(queries).filter(([, resources]) => resources.includes(inboxIndex))).toEqual([
      ['InboxLambdaFunction', [inboxIndex, `\${${table}.Arn}`]],
    ]);
  });

  it("scopes durable functions' callbacks to durable executions in the stack's account and region, never a function", () => {
    const statements = allows().filter(({ statement }) =>
      actionsOf(statement).some((a) => a.startsWith('lambda:SendDurableExecutionCallback')),
    );
    expect(statements.map(({ statement }) => asList(statement.Resource).map(render))).toEqual([
      ['arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:*:*/durable-execution/*/*'],
    ]);
  });

  it("scopes events:PutEvents to the gate's bus", () => {
    const arns = busArns(the('AWS::Events::EventBus'));
    const statements = allows().filter(({ statement }) => actionsOf(statement).includes('events:PutEvents'));
    expect(statements.length).toBeGreaterThan(0);
    expect(
      statements.flatMap(({ at, statement }) =>
        asList(statement.Resource)
          .map(render)
          .filter((r) => !arns.includes(r))
          .map((r) => `${at}: ${r}`),
      ),
    ).toEqual([]);
  });

  it('lets each state machine invoke only the functions its definition names, publish only to the bus and start only resume', () => {
    const functions = new Set(ofType('AWS::Lambda::Function').map(([id]) => id));
    const bus = busArns(the('AWS::Events::EventBus'));
    const observed = each('AWS::StepFunctions::StateMachine', (machine) => {
      const definitionVars =
        (props(machine).DefinitionString as { 'Fn::Sub'?: [string, JsonObject] })['Fn::Sub']?.[1] ?? {};
      const named = referencesIn(definitionVars)
        .map((r) => r.id)
        .filter((id) => functions.has(id));
      const invocable = new Set<string>();
      const problems: string[] = [];
      for (const s of statementsOfRole(roleOf(machine))) {
        const resources = asList(s.Resource).map(render);
        for (const action of actionsOf(s)) {
          if (action === 'lambda:InvokeFunction') {
            for (const r of resources) {
              const m = /^\$\{(\w+)\.Arn\}(:\*)?$/.exec(r);
              if (m && functions.has(m[1]!)) invocable.add(m[1]!);
              else problems.push(`${action} on ${r}`);
            }
          } else if (action === 'events:PutEvents')
            problems.push(...resources.filter((r) => !bus.includes(r)).map((r) => `${action} on ${r}`));
          else if (action === 'states:StartExecution')
            problems.push(...resources.filter((r) => r !== '${ResumeStateMachine}').map((r) => `${action} on ${r}`));
          else if (!MACHINE_ROLE_COMPANIONS.has(action)) problems.push(`unexpected ${action}`);
        }
      }
      return { invocable: [...invocable].sort(), problems, named: [...new Set(named)].sort() };
    });
    for (const [id, { invocable, problems, named }] of Object.entries(observed)) {
      expect({ id, problems }).toEqual({ id, problems: [] });
      expect({ id, invocable }).toEqual({ id, invocable: named });
    }
    expect(Object.keys(observed).length).toBeGreaterThan(0);
  });
});
