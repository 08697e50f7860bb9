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
import { AWS_DEFAULT_QUOTAS, type Throttles, UNRESERVED_MINIMUM } from './quotas.ts';

export class FunctionNotFound extends Error {
  override readonly name = 'ResourceNotFoundException';
}

/**
 * Lambda's answer past a concurrency limit (HTTP 429, its `Reason` naming which): Step Functions sees it as
 * `Lambda.TooManyRequestsException`, API Gateway answers 500, an event source mapping retries the batch.
 */
export class LambdaThrottled extends Error {
  override readonly name = 'TooManyRequestsException';
  readonly status = 429;
  readonly reason: 'ConcurrentInvocationLimitExceeded' | 'ReservedFunctionConcurrentInvocationLimitExceeded';
  constructor(reason: LambdaThrottled['reason']) {
    super('Rate Exceeded.');
    this.reason = reason;
  }
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

/** How many timeouts an invocation may run while it shares its thread with others (see Container.invoke). */
const MAX_SHARED_TIMEOUTS = 10;

class Container {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  readonly #timeoutMs: number;
  readonly ready: Promise<void>;
  #next = 0;
  dead = false;
  /** Timed out once: takes no new invocation, and stops when the ones it still runs have ended. */
  retired = false;

  constructor(root: string, f: FunctionWiring, env: FunctionEnvironment, meter?: LocalMeter) {
    const credentials = env.credentials(f.key);
    this.#timeoutMs = f.timeoutSeconds * 1000;
    this.#worker = new Worker(new URL('./lambda-worker.ts', import.meta.url), {
      workerData: {
        module: resolve(root, f.module),
        exportName: f.exportName,
        clockModule: resolve(root, 'functions/adapters/clock.ts'),
        clock: env.clock,
        timeoutMs: this.#timeoutMs,
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
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(f.memoryMb),
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
        this.#settled();
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
      // The function's timeout runs from the handler's start (init has its own): past it, Lambda ends the
      // invocation with Sandbox.Timedout and replaces the sandbox. This one takes no more work; it stops
      // once the invocations it still runs for others have ended (each would be a sandbox of its own in AWS).
      // Local mode runs a function's concurrent invocations on one thread, where each would have a sandbox of its
      // own: while others share the thread with it, an invocation's wall time is not its own, so its timeout is
      // counted again (up to MAX_SHARED_TIMEOUTS times) rather than fired. Alone on the thread, it fires on time.
      let timer: NodeJS.Timeout;
      let shared = 0;
      const arm = () => {
        timer = setTimeout(() => {
          if (!this.#pending.has(id)) return;
          if (this.#pending.size > 1 && ++shared < MAX_SHARED_TIMEOUTS) return arm();
          this.#pending.delete(id);
          this.retired = true;
          this.#settled();
          reject(
            new FunctionError(
              'Sandbox.Timedout',
              `Task timed out after ${(this.#timeoutMs / 1000).toFixed(2)} seconds`,
            ),
          );
        }, this.#timeoutMs);
        timer.unref();
      };
      arm();
      const done =
        <T>(settle: (v: T) => void) =>
        (v: T) => {
          clearTimeout(timer);
          settle(v);
        };
      this.#pending.set(id, { resolve: done(resolve), reject: done(reject) });
      // A JSON round trip, as Lambda's own serialization does: no shared object references.
      this.#worker.postMessage({ id, event: JSON.stringify(event ?? null), context });
    });
  }

  /** A retired container stops when nothing runs in it any more. */
  #settled(): void {
    if (this.retired && this.#pending.size === 0 && !this.dead) void this.terminate();
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
  /** Invocations running now, by function ARN; and of the functions without reserved concurrency, together. */
  readonly #running = new Map<string, number>();
  #runningUnreserved = 0;
  readonly #unreserved: number;
  readonly #throttles: Throttles | undefined;
  invocations = 0;

  constructor(
    root: string,
    env: FunctionEnvironment,
    functions: FunctionWiring[],
    returned: (point: string) => void = () => undefined,
    meter?: LocalMeter,
    limits: { concurrency: number; throttles?: Throttles } = { concurrency: AWS_DEFAULT_QUOTAS.lambdaConcurrency },
  ) {
    this.#root = root;
    this.#meter = meter;
    this.#returned = returned;
    this.#region = env.region;
    this.#env = env;
    this.#throttles = limits.throttles;
    for (const f of functions) this.#byArn.set(f.arn, f);
    // As Lambda refuses a reservation that leaves the account less than 100 unreserved (the deploy fails).
    const reserved = functions.reduce((sum, f) => sum + (f.reservedConcurrency ?? 0), 0);
    this.#unreserved = limits.concurrency - reserved;
    if (reserved > 0 && this.#unreserved < UNRESERVED_MINIMUM)
      throw new Error(
        `serverless.yml: the functions reserve ${reserved} concurrent executions of the account's ${limits.concurrency}, leaving ${this.#unreserved}; Lambda keeps at least ${UNRESERVED_MINIMUM} unreserved (InvalidParameterValueException)`,
      );
  }

  /** Concurrent executions running now, all functions together (the account's ConcurrentExecutions). */
  get concurrentExecutions(): number {
    let n = 0;
    for (const v of this.#running.values()) n += v;
    return n;
  }

  /** Counts an invocation in, or refuses it as Lambda does past the function's or the account's concurrency. */
  #admit(f: FunctionWiring): () => void {
    const running = this.#running.get(f.arn) ?? 0;
    const reserved = f.reservedConcurrency;
    if (reserved !== undefined ? running >= reserved : this.#runningUnreserved >= this.#unreserved) {
      this.#throttles?.count(`Lambda ${f.key}`);
      throw new LambdaThrottled(
        reserved !== undefined
          ? 'ReservedFunctionConcurrentInvocationLimitExceeded'
          : 'ConcurrentInvocationLimitExceeded',
      );
    }
    this.#running.set(f.arn, running + 1);
    if (reserved === undefined) this.#runningUnreserved++;
    return () => {
      this.#running.set(f.arn, (this.#running.get(f.arn) ?? 1) - 1);
      if (reserved === undefined) this.#runningUnreserved--;
    };
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
    if (!c || c.dead || c.retired) {
      c = new Container(this.#root, f, this.#env, this.#meter);
      this.#containers.set(f.arn, c);
    }
    return c;
  }

  /** Invokes a function by ARN, as Lambda's synchronous Invoke would; errors keep their name for Retry/Catch. */
  async invoke(arn: string, event: unknown): Promise<unknown> {
    const f = this.#byArn.get(arn);
    if (!f) throw new FunctionNotFound(`Function not found: ${arn}`);
    const release = this.#admit(f);
    this.invocations++;
    const requestId = randomUUID();
    let result: unknown;
    try {
      result = await this.#container(f).invoke(event, {
        callbackWaitsForEmptyEventLoop: false,
        functionName: f.name,
        functionVersion: '$LATEST',
        invokedFunctionArn: f.arn,
        memoryLimitInMB: String(f.memoryMb),
        awsRequestId: requestId,
        logGroupName: `/aws/lambda/${f.name}`,
        logStreamName: `local/${requestId}`,
      });
    } finally {
      release();
    }
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
