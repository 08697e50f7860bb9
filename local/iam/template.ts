// The CloudFormation template `sls deploy` would submit, read by local mode for its IAM: `sls package`
// offline, cached by the inputs that shape the template (local/build-cache.ts), so only the first start
// after a change pays for the packaging.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cachedBuild } from '../build-cache.ts';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ACCOUNT } from '../wiring.ts';
import type { Json } from './evaluate.ts';
import { resolveIntrinsics } from '../intrinsics.ts';

export type Obj = { [k: string]: Json };
export interface Resource {
  Type: string;
  Properties?: Obj;
}
export interface Template {
  Resources: Record<string, Resource>;
}

/** The packaged template for a stage, from the cache when serverless.yml and its inputs are unchanged. */
export async function packagedTemplate(
  root: string,
  stage: string,
  log: (line: string) => void = () => undefined,
): Promise<Template> {
  const text = await cachedBuild(root, `template-${stage}`, async () => {
    log(`packaging the ${stage} stage once (sls package) to read its IAM roles; later starts reuse it`);
    const dir = await mkdtemp(join(tmpdir(), 'hitl-local-package-'));
    try {
      await promisify(execFile)(
        process.execPath,
        [resolve(root, 'node_modules/.bin/sls'), 'package', '--stage', stage, '--package', dir],
        {
          cwd: root,
          env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
          maxBuffer: 64 * 1024 * 1024,
        },
      ).catch((e: Error & { stdout?: string; stderr?: string }) => {
        throw new Error(
          `sls package --stage ${stage} failed, so local mode cannot read the IAM roles:\n${e.stdout ?? ''}${e.stderr ?? e.message}`,
        );
      });
      return await readFile(join(dir, 'cloudformation-template-update-stack.json'), 'utf8');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  return JSON.parse(text) as Template;
}

const obj = (v: Json | undefined): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? v : {});

/**
 * What Ref and Fn::GetAtt Arn mean for the template's resources in local mode: the same names and ARNs
 * local mode serves (account 000000000000). Anything it cannot resolve becomes a string that matches
 * no ARN, so an unknown reference can only deny, never allow.
 */
export class TemplateResolver {
  readonly #template: Template;
  readonly #region: string;
  readonly #pseudo: Record<string, string>;

  constructor(template: Template, region: string, stackName: string) {
    this.#template = template;
    this.#region = region;
    this.#pseudo = {
      'AWS::Region': region,
      'AWS::AccountId': ACCOUNT,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': stackName,
    };
  }

  get resources(): [string, Resource][] {
    return Object.entries(this.#template.Resources);
  }

  resource(id: string): Resource | undefined {
    return this.#template.Resources[id];
  }

  /** A role's name: its RoleName, or the one CloudFormation generates (`<stack>-<logical id>-<suffix>`). */
  roleName(id: string): string {
    const given = obj(this.#template.Resources[id]?.Properties).RoleName;
    return given === undefined
      ? `${this.#pseudo['AWS::StackName']}-${id}-LOCAL`.slice(0, 64)
      : String(this.value(given));
  }

  ref(id: string): string {
    if (this.#pseudo[id]) return this.#pseudo[id]!;
    const r = this.#template.Resources[id];
    if (!r) return `<unresolved:${id}>`;
    const p = obj(r.Properties);
    const region = this.#region;
    const name = (key: string) => (typeof p[key] === 'string' ? (p[key] as string) : id);
    switch (r.Type) {
      case 'AWS::Lambda::Function':
        return name('FunctionName');
      case 'AWS::StepFunctions::StateMachine':
      case 'AWS::SecretsManager::Secret':
      case 'AWS::IAM::ManagedPolicy':
      case 'AWS::SNS::Topic':
        return this.arn(id);
      case 'AWS::Events::EventBus':
        return name('Name');
      case 'AWS::Events::Rule':
        return name('Name');
      case 'AWS::DynamoDB::Table':
        return name('TableName');
      case 'AWS::IAM::Role':
        return this.roleName(id);
      case 'AWS::SQS::Queue':
        return `https://sqs.${region}.amazonaws.com/${ACCOUNT}/${name('QueueName')}`;
      case 'AWS::Logs::LogGroup':
        return name('LogGroupName');
      case 'AWS::ApiGatewayV2::Api':
        return 'local';
      default:
        return id;
    }
  }

  arn(id: string): string {
    const r = this.#template.Resources[id];
    if (!r) return `<unresolved:${id}.Arn>`;
    const p = obj(r.Properties);
    const region = this.#region;
    const name = (key: string) => (typeof p[key] === 'string' ? (p[key] as string) : id);
    switch (r.Type) {
      case 'AWS::Lambda::Function':
        return `arn:aws:lambda:${region}:${ACCOUNT}:function:${name('FunctionName')}`;
      case 'AWS::StepFunctions::StateMachine':
        return `arn:aws:states:${region}:${ACCOUNT}:stateMachine:${name('StateMachineName')}`;
      case 'AWS::Events::EventBus':
        return `arn:aws:events:${region}:${ACCOUNT}:event-bus/${name('Name')}`;
      case 'AWS::Events::Rule': {
        const bus = p.EventBusName === undefined ? 'default' : String(this.value(p.EventBusName));
        return `arn:aws:events:${region}:${ACCOUNT}:rule/${bus === 'default' ? '' : `${bus}/`}${name('Name')}`;
      }
      case 'AWS::DynamoDB::Table':
        return `arn:aws:dynamodb:${region}:${ACCOUNT}:table/${name('TableName')}`;
      case 'AWS::SecretsManager::Secret':
        return `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:${name('Name')}`;
      case 'AWS::SQS::Queue':
        return `arn:aws:sqs:${region}:${ACCOUNT}:${name('QueueName')}`;
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${region}:${ACCOUNT}:${name('TopicName')}`;
      case 'AWS::IAM::Role':
        return `arn:aws:iam::${ACCOUNT}:role/${this.roleName(id)}`;
      case 'AWS::IAM::ManagedPolicy':
        return `arn:aws:iam::${ACCOUNT}:policy/${name('ManagedPolicyName')}`;
      case 'AWS::Logs::LogGroup':
        return `arn:aws:logs:${region}:${ACCOUNT}:log-group:${name('LogGroupName')}:*`;
      default:
        return `<unresolved:${id}.Arn>`;
    }
  }

  /** A template value with its intrinsic functions resolved. */
  value(v: Json | undefined): Json {
    return resolveIntrinsics(v, {
      ref: (id) => this.ref(id),
      attribute: (id, attr) => (attr === 'Arn' ? this.arn(id) : `<unresolved:${id}.${attr}>`),
      unsupported: (fn) => `<unresolved:${fn}>`,
    });
  }
}
