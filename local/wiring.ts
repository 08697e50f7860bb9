// Local mode's view of the deployment: read from serverless.yml as the framework resolves it
// (`sls print`), with CloudFormation references turned into local names and ARNs. Never a hand-kept copy.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { resolve } from 'node:path';
import { resolveIntrinsics, type References } from './intrinsics.ts';
import { cachedBuild } from './build-cache.ts';
import { DEFAULT_MAPPING_CONCURRENCY, QUEUE_DEFAULTS, type QueueTrigger, type QueueWiring } from './sqs.ts';

export const ACCOUNT = '000000000000';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

export interface FunctionWiring {
  /** Key in serverless.yml, e.g. `openReview`. */
  key: string;
  /** Deployed name, e.g. `hitl-gate-dev-openReview`. */
  name: string;
  arn: string;
  /** Module path relative to the project root, e.g. `functions/open-review/handler.ts`. */
  module: string;
  exportName: string;
  /** The function's own environment: provider.environment with its functions.<key>.environment over it. */
  environment: Record<string, string>;
  /** `timeout` (the function's, else the provider's, else Serverless's 6 s): Lambda stops the invocation then. */
  timeoutSeconds: number;
  /** `memorySize` (the function's, else the provider's, else Serverless's 1,024 MB). */
  memoryMb: number;
  /** `reservedConcurrency`, when the function has it: its own share of the account's concurrency, and its cap. */
  reservedConcurrency?: number;
  http: { method: string; path: string; authorizer?: 'aws_iam' }[];
  schedules: { rate: string; input?: Json }[];
}

export interface StateMachineWiring {
  key: string;
  name: string;
  arn: string;
  type: 'STANDARD' | 'EXPRESS';
  definition: Obj;
}

export interface RuleTarget {
  kind: 'stateMachine' | 'function';
  arn: string;
  /** Where undeliverable events go (SQS ARN in AWS; a file locally). */
  deadLetter?: string;
  maxRetries: number;
  /** How long EventBridge keeps trying to deliver an event to the target (retryPolicy.maximumEventAge; 24 h by default). */
  maxEventAgeSeconds: number;
}

export interface RuleWiring {
  name: string;
  busName: string;
  pattern: Obj;
  target: RuleTarget;
}

export interface SecretWiring {
  name: string;
  value?: string;
  generate?: { length: number; excludePunctuation: boolean };
}

export interface Wiring {
  service: string;
  stage: string;
  region: string;
  environment: Record<string, string>;
  functions: FunctionWiring[];
  stateMachines: StateMachineWiring[];
  rules: RuleWiring[];
  buses: string[];
  tables: Obj[];
  secrets: SecretWiring[];
  queues: QueueWiring[];
  /** The functions' `sqs` events: Lambda's event source mappings. */
  queueTriggers: QueueTrigger[];
}

/** `sls print` of the project (offline; seconds), cached by its inputs: the resolved configuration. */
export async function printServerlessConfig(root: string, stage = 'dev'): Promise<Obj> {
  const text = await cachedBuild(root, `print-${stage}`, async () => {
    const sls = resolve(root, 'node_modules/.bin/sls');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [sls, 'print', '--format', 'json', '--stage', stage],
      {
        cwd: root,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
      },
    );
    return stdout.slice(stdout.indexOf('{'));
  });
  return JSON.parse(text) as Obj;
}

const obj = (v: Json | undefined): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? v : {});
const str = (v: Json | undefined, what: string): string => {
  if (typeof v !== 'string')
    throw new Error(`serverless.yml: ${what} must resolve to a string, got ${JSON.stringify(v)}`);
  return v;
};
/** A whole number setting in [min, max], as Lambda's API would accept it. */
const num = (v: Json | undefined, what: string, min: number, max: number): number => {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max)
    throw new Error(`serverless.yml: ${what} must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return n;
};

/** Serverless's logical id of a function: `open-review` -> `OpenDashreviewLambdaFunction`. */
export function functionLogicalId(key: string): string {
  const normalized = key.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
  return `${normalized.charAt(0).toUpperCase() + normalized.slice(1)}LambdaFunction`;
}

/** serverless-step-functions' logical id of a state machine without an `id` (with a `name`, it derives it from that). */
export function stateMachineLogicalId(key: string): string {
  return `${key.charAt(0).toUpperCase() + key.slice(1).replace(/[^A-Za-z0-9]/g, '')}StateMachine`;
}

export function wiringFrom(
  config: Obj,
  overrides: { environment?: Record<string, string>; endpoint?: string } = {},
): Wiring {
  const provider = obj(config.provider);
  const service = str(config.service, 'service');
  const stage = str(provider.stage ?? 'dev', 'provider.stage');
  const region = str(provider.region ?? 'us-east-1', 'provider.region');
  const resources = obj(obj(config.resources).Resources);
  const functionsConfig = obj(config.functions);
  const machinesConfig = obj(obj(config.stepFunctions).stateMachines);

  const functionArn = (name: string) => `arn:aws:lambda:${region}:${ACCOUNT}:function:${name}`;
  const machineArn = (name: string) => `arn:aws:states:${region}:${ACCOUNT}:stateMachine:${name}`;

  // What Ref and Fn::GetAtt mean for each logical id, locally.
  const refs = new Map<string, { ref: string; arn: string }>();
  for (const [key, fn] of Object.entries(functionsConfig)) {
    const name = typeof obj(fn).name === 'string' ? (obj(fn).name as string) : `${service}-${stage}-${key}`;
    refs.set(functionLogicalId(key), { ref: name, arn: functionArn(name) });
  }
  const machineId = (key: string) => {
    const m = obj(machinesConfig[key]);
    if (typeof m.id === 'string') return m.id;
    // serverless-step-functions derives the logical id from `name` when there is no `id`: too fragile to Ref.
    if (m.name !== undefined)
      throw new Error(
        `serverless.yml: stepFunctions.stateMachines.${key} has a name but no id; give it an id so Ref and local mode agree`,
      );
    return stateMachineLogicalId(key);
  };
  for (const [key, m] of Object.entries(machinesConfig)) {
    const name = typeof obj(m).name === 'string' ? (obj(m).name as string) : `${service}-${stage}-${key}`;
    refs.set(machineId(key), { ref: machineArn(name), arn: machineArn(name) });
  }
  for (const [id, res] of Object.entries(resources)) {
    const props = obj(obj(res).Properties);
    switch (obj(res).Type) {
      case 'AWS::Events::EventBus': {
        const name = str(props.Name, `${id}.Properties.Name`);
        refs.set(id, { ref: name, arn: `arn:aws:events:${region}:${ACCOUNT}:event-bus/${name}` });
        break;
      }
      case 'AWS::DynamoDB::Table': {
        const name = str(props.TableName, `${id}.Properties.TableName`);
        refs.set(id, { ref: name, arn: `arn:aws:dynamodb:${region}:${ACCOUNT}:table/${name}` });
        break;
      }
      case 'AWS::SecretsManager::Secret': {
        // Ref of a secret is its ARN.
        const name = str(props.Name, `${id}.Properties.Name`);
        const arn = `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:${name}`;
        refs.set(id, { ref: arn, arn });
        break;
      }
      case 'AWS::SQS::Queue': {
        const name = typeof props.QueueName === 'string' ? props.QueueName : id;
        // A queue's URL is where the SDK sends its calls (it prefers it to the client's endpoint): local mode's own.
        refs.set(id, {
          ref: `${overrides.endpoint ?? `https://sqs.${region}.amazonaws.com`}/${ACCOUNT}/${name}`,
          arn: `arn:aws:sqs:${region}:${ACCOUNT}:${name}`,
        });
        break;
      }
      default:
        refs.set(id, { ref: id, arn: `arn:aws:local:${region}:${ACCOUNT}:${id}` });
    }
  }
  // The framework's own HTTP API (it exists once a function has an httpApi event); local mode serves it itself.
  if (
    Object.values(functionsConfig).some(
      (f) => Array.isArray(obj(f).events) && (obj(f).events as Json[]).some((e) => obj(e).httpApi),
    )
  ) {
    refs.set('HttpApi', { ref: 'local', arn: `arn:aws:apigateway:${region}::/apis/local` });
  }
  const pseudo: Record<string, string> = {
    'AWS::Region': region,
    'AWS::AccountId': ACCOUNT,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': `${service}-${stage}`,
  };

  const lookup = (id: string, attr: 'ref' | 'arn', where: string) => {
    if (attr === 'ref' && pseudo[id]) return pseudo[id];
    const found = refs.get(id);
    if (!found) throw new Error(`serverless.yml: ${where} refers to unknown resource "${id}"`);
    return found[attr];
  };

  // Resolves the intrinsic functions the wiring uses; anything else is an error, not a silent pass-through.
  const wiringRefs: References = {
    ref: (id, where) => lookup(id, 'ref', where),
    attribute: (id, attr, where) => {
      if (attr !== 'Arn') throw new Error(`serverless.yml: ${where}: Fn::GetAtt ${attr} is not supported locally`);
      return lookup(id, 'arn', where);
    },
    unsupported: (fn, where) => {
      throw new Error(`serverless.yml: ${where}: ${fn} is not supported locally`);
    },
  };
  const resolveValue = (v: Json, where: string): Json => resolveIntrinsics(v, wiringRefs, where);
  const resolveString = (v: Json, where: string) => {
    if (overrides.environment && where.startsWith('environment.')) {
      const name = where.slice('environment.'.length);
      if (overrides.environment[name] !== undefined) return overrides.environment[name]!;
    }
    return String(resolveValue(v, where));
  };

  const envOf = (env: Obj): Record<string, string> =>
    Object.fromEntries(Object.entries(env).map(([k, v]) => [k, resolveString(v, `environment.${k}`)]));
  const providerEnv = envOf(obj(provider.environment));
  // Every function's settings together: the developer's shell in local mode (tests, scripts) sees them all.
  const environment: Record<string, string> = { ...providerEnv };

  const functions: FunctionWiring[] = Object.entries(functionsConfig).map(([key, fnJson]) => {
    const fn = obj(fnJson);
    // An override (resolveString) replaces a setting where a function has it, never adds one it lacks.
    const fnEnv = { ...providerEnv, ...envOf(obj(fn.environment)) };
    Object.assign(environment, fnEnv);
    const handler = str(fn.handler, `functions.${key}.handler`);
    const dot = handler.lastIndexOf('.');
    const { ref: name, arn } = refs.get(functionLogicalId(key))!;
    const events = Array.isArray(fn.events) ? fn.events.map(obj) : [];
    return {
      key,
      name,
      arn,
      module: `${handler.slice(0, dot)}.ts`,
      exportName: handler.slice(dot + 1),
      environment: fnEnv,
      timeoutSeconds: num(fn.timeout ?? provider.timeout ?? 6, `functions.${key}.timeout`, 1, 900),
      memoryMb: num(fn.memorySize ?? provider.memorySize ?? 1024, `functions.${key}.memorySize`, 128, 10_240),
      ...(fn.reservedConcurrency === undefined
        ? {}
        : { reservedConcurrency: num(fn.reservedConcurrency, `functions.${key}.reservedConcurrency`, 0, 100_000) }),
      http: events
        .filter((e) => e.httpApi)
        .map((e) => {
          const h = obj(e.httpApi);
          const auth = typeof h.authorizer === 'string' ? h.authorizer : obj(h.authorizer).type;
          if (auth !== undefined && auth !== 'aws_iam')
            throw new Error(
              `serverless.yml: functions.${key}.httpApi.authorizer: local mode supports aws_iam, not ${JSON.stringify(auth)}`,
            );
          return {
            method: str(h.method ?? '*', `functions.${key}.httpApi.method`).toUpperCase(),
            path: str(h.path, `functions.${key}.httpApi.path`),
            ...(auth === 'aws_iam' ? { authorizer: 'aws_iam' as const } : {}),
          };
        }),
      schedules: events
        .filter((e) => e.schedule)
        .flatMap((e) => {
          const s = typeof e.schedule === 'string' ? { rate: e.schedule } : obj(e.schedule);
          if (s.enabled === false) return [];
          const rates = Array.isArray(s.rate) ? s.rate : [s.rate];
          return rates.map((rate) => ({
            rate: str(rate as Json, `functions.${key}.schedule.rate`),
            ...(s.input !== undefined ? { input: s.input } : {}),
          }));
        }),
    };
  });

  const rules: RuleWiring[] = [];
  const buses = [...refs.entries()]
    .filter(([id]) => obj(resources[id]).Type === 'AWS::Events::EventBus')
    .map(([, r]) => r.ref);
  const ruleFrom = (
    e: Obj,
    where: string,
    target: Omit<RuleTarget, 'deadLetter' | 'maxRetries' | 'maxEventAgeSeconds'>,
  ) => {
    const busName = e.eventBus ?? e.eventBusName;
    if (busName === undefined)
      throw new Error(
        `serverless.yml: ${where}: no eventBusName; local mode has no default bus (it would be a mistake in AWS too)`,
      );
    const dlq = e.deadLetterConfig ?? obj(e.deadLetterQueueArn ? { arn: e.deadLetterQueueArn } : {}).arn;
    rules.push({
      name: typeof e.name === 'string' ? e.name : `${where}`,
      busName: String(resolveValue(busName, `${where}.eventBusName`)),
      pattern: obj(resolveValue((e.event ?? e.pattern) as Json, `${where}.event`)),
      target: {
        ...target,
        ...(dlq ? { deadLetter: String(resolveValue(dlq as Json, `${where}.deadLetterConfig`)) } : {}),
        maxRetries:
          typeof obj(e.retryPolicy).maximumRetryAttempts === 'number'
            ? (obj(e.retryPolicy).maximumRetryAttempts as number)
            : 185,
        // serverless-step-functions spells it maximumEventAgeInSeconds, the framework's own events maximumEventAge.
        maxEventAgeSeconds:
          [obj(e.retryPolicy).maximumEventAgeInSeconds, obj(e.retryPolicy).maximumEventAge].find(
            (v): v is number => typeof v === 'number',
          ) ?? 86_400,
      },
    });
  };
  for (const f of functions) {
    const events = Array.isArray(obj(functionsConfig[f.key]).events)
      ? (obj(functionsConfig[f.key]).events as Json[]).map(obj)
      : [];
    events.forEach((e, i) => {
      if (e.eventBridge)
        ruleFrom(obj(e.eventBridge), `functions.${f.key}.events[${i}]`, { kind: 'function', arn: f.arn });
    });
  }

  const stateMachines: StateMachineWiring[] = Object.entries(machinesConfig).map(([key, mJson]) => {
    const m = obj(mJson);
    const { arn } = refs.get(machineId(key))!;
    const events = Array.isArray(m.events) ? m.events.map(obj) : [];
    events.forEach((e, i) => {
      if (e.eventBridge)
        ruleFrom(obj(e.eventBridge), `stepFunctions.${key}.events[${i}]`, { kind: 'stateMachine', arn });
    });
    return {
      key,
      name: arn.split(':').pop()!,
      arn,
      type: m.type === 'EXPRESS' ? 'EXPRESS' : 'STANDARD',
      definition: obj(resolveValue(m.definition ?? null, `stepFunctions.${key}.definition`)),
    };
  });

  const tables = Object.values(resources)
    .map(obj)
    .filter((r) => r.Type === 'AWS::DynamoDB::Table')
    .map((r) => obj(resolveValue(r.Properties ?? null, 'table')));

  const secrets: SecretWiring[] = Object.values(resources)
    .map(obj)
    .filter((r) => r.Type === 'AWS::SecretsManager::Secret')
    .map((r) => {
      const props = obj(resolveValue(r.Properties ?? null, 'secret'));
      const gen = obj(props.GenerateSecretString);
      return {
        name: str(props.Name, 'secret Name'),
        ...(typeof props.SecretString === 'string' ? { value: props.SecretString } : {}),
        ...(props.GenerateSecretString
          ? {
              generate: {
                length: typeof gen.PasswordLength === 'number' ? gen.PasswordLength : 32,
                excludePunctuation: gen.ExcludePunctuation === true,
              },
            }
          : {}),
      };
    });

  const queues: QueueWiring[] = Object.entries(resources)
    .filter(([, r]) => obj(r).Type === 'AWS::SQS::Queue')
    .map(([id, r]) => {
      const props = obj(resolveValue(obj(r).Properties ?? null, `${id}.Properties`));
      const num = (v: Json | undefined, fallback: number) => (typeof v === 'number' ? v : Number(v ?? fallback));
      const redrive = obj(props.RedrivePolicy);
      const { ref: url, arn } = refs.get(id)!;
      return {
        name: arn.split(':').pop()!,
        url,
        arn,
        visibilityTimeoutSeconds: num(props.VisibilityTimeout, QUEUE_DEFAULTS.visibilityTimeoutSeconds),
        maxMessageBytes: num(props.MaximumMessageSize, QUEUE_DEFAULTS.maxMessageBytes),
        retentionSeconds: num(props.MessageRetentionPeriod, QUEUE_DEFAULTS.retentionSeconds),
        delaySeconds: num(props.DelaySeconds, QUEUE_DEFAULTS.delaySeconds),
        ...(redrive.deadLetterTargetArn
          ? {
              redrive: {
                deadLetterTargetArn: str(redrive.deadLetterTargetArn, `${id}.RedrivePolicy.deadLetterTargetArn`),
                maxReceiveCount: num(redrive.maxReceiveCount, 10),
              },
            }
          : {}),
      };
    });

  // The framework's `sqs` event: `arn` (or the event itself, a string), batchSize (10), maximumBatchingWindow,
  // functionResponseType: ReportBatchItemFailures, maximumConcurrency (ScalingConfig).
  const queueTriggers: QueueTrigger[] = functions.flatMap((f) => {
    const events = Array.isArray(obj(functionsConfig[f.key]).events)
      ? (obj(functionsConfig[f.key]).events as Json[]).map(obj)
      : [];
    return events.flatMap((e, i) => {
      if (e.sqs === undefined) return [];
      const where = `functions.${f.key}.events[${i}].sqs`;
      const sqs = typeof e.sqs === 'object' && !Array.isArray(e.sqs) ? obj(e.sqs) : { arn: e.sqs };
      if (sqs.enabled === false) return [];
      const n = (v: Json | undefined, fallback: number) => (typeof v === 'number' ? v : fallback);
      return [
        {
          functionArn: f.arn,
          functionKey: f.key,
          queueArn: str(resolveValue(sqs.arn ?? null, `${where}.arn`), `${where}.arn`),
          batchSize: n(sqs.batchSize, 10),
          maximumBatchingWindowSeconds: n(sqs.maximumBatchingWindow, 0),
          reportBatchItemFailures: sqs.functionResponseType === 'ReportBatchItemFailures',
          maximumConcurrency: n(sqs.maximumConcurrency, DEFAULT_MAPPING_CONCURRENCY),
        },
      ];
    });
  });

  return {
    service,
    stage,
    region,
    environment,
    functions,
    stateMachines,
    rules,
    buses,
    tables,
    secrets,
    queues,
    queueTriggers,
  };
}
