// Local Lambda: each function of serverless.yml in a worker thread of its own, with its own environment
// (its settings from serverless.yml, and an access key for its own role, which local mode's IAM checks),
// invoked with a Lambda-shaped context. A failing invocation never takes the process down; a crashed
// worker is replaced on the next invocation, as Lambda replaces a container.
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Context } from 'aws-lambda';
import type { FunctionWiring } from './wiring.ts';
import type { LocalMeter } from './meter.ts';

export class FunctionNotFound extends Error {
  override readonly name = 'ResourceNotFoundException';
}

/** An error thrown by a handler, with the name Step Functions' Retry and Catch match on. */
export class FunctionError extends Error {
  constructor(name: string, message: string, stack?: string) {
    super(message);
    this.name = name;
    if (stack) this.stack = stack;
  }
}

export interface FunctionEnvironment {
  /** Where the functions' SDK clients send their requests: local mode itself. */
  endpoint: string;
  region: string;
  /** The function's own credentials, by its serverless.yml key. */
  credentials(key: string): { accessKeyId: string; secretAccessKey: string };
  /** Local mode's clock, shared with every worker: [origin, scale, offset]. */
  clock: SharedArrayBuffer;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

const TIMEOUT_MS = 10_000;

class Container {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  readonly ready: Promise<void>;
  #next = 0;
  dead = false;

  constructor(root: string, f: FunctionWiring, env: FunctionEnvironment, meter?: LocalMeter) {
    const credentials = env.credentials(f.key);
    this.#worker = new Worker(new URL('./lambda-worker.ts', import.meta.url), {
      workerData: {
        module: resolve(root, f.module),
        exportName: f.exportName,
        clockModule: resolve(root, 'functions/adapters/clock.ts'),
        clock: env.clock,
        timeoutMs: TIMEOUT_MS,
      },
      // Lambda's environment: the function's settings and its role's credentials, nothing of the shell's.
      env: {
        PATH: process.env.PATH ?? '',
        ...(process.env.HOME ? { HOME: process.env.HOME } : {}),
        TZ: 'UTC',
        ...f.environment,
        AWS_REGION: env.region,
        AWS_DEFAULT_REGION: env.region,
        AWS_ENDPOINT_URL: env.endpoint,
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
        LAMBDA_TASK_ROOT: root,
      },
      // Metered, the function's output is read here to count what CloudWatch Logs would ingest.
      stdout: meter !== undefined,
      stderr: meter !== undefined,
    });
    if (meter) {
      this.#worker.stdout.on('data', (chunk: Buffer) => {
        meter.log(f.key, chunk);
        if (meter.echoLogs) process.stdout.write(chunk);
      });
      this.#worker.stderr.on('data', (chunk: Buffer) => {
        meter.log(f.key, chunk);
        if (meter.echoLogs) process.stderr.write(chunk);
      });
    }
    this.#worker.unref();
    this.ready = new Promise<void>((ok, fail) => {
      const onMessage = (m: { ready?: boolean }) => {
        if (m.ready) {
          this.#worker.off('message', onMessage);
          ok();
        }
      };
      this.#worker.on('message', onMessage);
      this.#worker.once('error', (err) =>
        fail(new Error(`functions.${f.key} (${f.module}) failed to load: ${err.stack ?? err}`)),
      );
    });
    this.ready.catch(() => undefined);
    this.#worker.on(
      'message',
      (m: {
        id?: number;
        ok?: boolean;
        result?: string;
        error?: { name: string; message: string; stack?: string };
        durationMs?: number;
      }) => {
        if (m.id === undefined) return;
        const p = this.#pending.get(m.id);
        if (!p) return;
        this.#pending.delete(m.id);
        if (m.durationMs !== undefined) meter?.invocation(f.key, m.durationMs, Buffer.byteLength(m.result ?? ''));
        if (m.ok) p.resolve(JSON.parse(m.result ?? 'null'));
        else p.reject(new FunctionError(m.error!.name, m.error!.message, m.error!.stack));
      },
    );
    const die = (err: Error) => {
      this.dead = true;
      for (const p of this.#pending.values())
        p.reject(new FunctionError('Runtime.ExitError', `the function's container stopped: ${err.message}`));
      this.#pending.clear();
    };
    this.#worker.on('error', die);
    this.#worker.on('exit', (code) => die(new Error(`exit code ${code}`)));
  }

  async invoke(
    event: unknown,
    context: Omit<Context, 'getRemainingTimeInMillis' | 'done' | 'fail' | 'succeed'>,
  ): Promise<unknown> {
    await this.ready;
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      // A JSON round trip, as Lambda's own serialization does: no shared object references.
      this.#worker.postMessage({ id, event: JSON.stringify(event ?? null), context });
    });
  }

  terminate(): Promise<number> {
    this.dead = true;
    return this.#worker.terminate();
  }
}

export class LambdaHost {
  readonly #root: string;
  readonly #byArn = new Map<string, FunctionWiring>();
  readonly #containers = new Map<string, Container>();
  readonly #region: string;
  readonly #env: FunctionEnvironment;
  /** Told `function.<key>` when a handler has returned, before its result is handed on (local/crash.ts). */
  readonly #returned: (point: string) => void;
  readonly #meter: LocalMeter | undefined;
  invocations = 0;

  constructor(
    root: string,
    env: FunctionEnvironment,
    functions: FunctionWiring[],
    returned: (point: string) => void = () => undefined,
    meter?: LocalMeter,
  ) {
    this.#root = root;
    this.#meter = meter;
    this.#returned = returned;
    this.#region = env.region;
    this.#env = env;
    for (const f of functions) this.#byArn.set(f.arn, f);
  }

  get functions(): FunctionWiring[] {
    return [...this.#byArn.values()];
  }

  has(arn: string): boolean {
    return this.#byArn.has(arn);
  }

  /** Starts every function's container now, so a broken module fails start-up rather than the first event. */
  async loadAll(): Promise<void> {
    await Promise.all(this.functions.map((f) => this.#container(f).ready));
  }

  #container(f: FunctionWiring): Container {
    let c = this.#containers.get(f.arn);
    if (!c || c.dead) {
      c = new Container(this.#root, f, this.#env, this.#meter);
      this.#containers.set(f.arn, c);
    }
    return c;
  }

  /** Invokes a function by ARN, as Lambda's synchronous Invoke would; errors keep their name for Retry/Catch. */
  async invoke(arn: string, event: unknown): Promise<unknown> {
    const f = this.#byArn.get(arn);
    if (!f) throw new FunctionNotFound(`Function not found: ${arn}`);
    this.invocations++;
    const requestId = randomUUID();
    const result = await this.#container(f).invoke(event, {
      callbackWaitsForEmptyEventLoop: false,
      functionName: f.name,
      functionVersion: '$LATEST',
      invokedFunctionArn: f.arn,
      memoryLimitInMB: '512',
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/${f.name}`,
      logStreamName: `local/${requestId}`,
    });
    this.#returned(`function.${f.key}`);
    return result;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#containers.values()].map((c) => c.terminate()));
    this.#containers.clear();
  }

  get region(): string {
    return this.#region;
  }
}
