// Local Lambda: the functions of serverless.yml, imported from their TypeScript sources and
// invoked in this process with a Lambda-shaped context. A failing invocation never takes the process down.
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import type { FunctionWiring } from './wiring.ts';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

export class FunctionNotFound extends Error {
  override readonly name = 'ResourceNotFoundException';
}

export class LambdaHost {
  readonly #root: string;
  readonly #byArn = new Map<string, FunctionWiring>();
  readonly #loaded = new Map<string, Promise<Handler>>();
  readonly #region: string;
  invocations = 0;

  constructor(root: string, region: string, functions: FunctionWiring[]) {
    this.#root = root;
    this.#region = region;
    for (const f of functions) this.#byArn.set(f.arn, f);
  }

  get functions(): FunctionWiring[] {
    return [...this.#byArn.values()];
  }

  has(arn: string): boolean {
    return this.#byArn.has(arn);
  }

  /** Imports every handler now, so a broken module fails start-up rather than the first event. */
  async loadAll(): Promise<void> {
    await Promise.all(this.functions.map((f) => this.#handler(f)));
  }

  #handler(f: FunctionWiring): Promise<Handler> {
    let loaded = this.#loaded.get(f.arn);
    if (!loaded) {
      loaded = import(pathToFileURL(resolve(this.#root, f.module)).href).then((mod: Record<string, unknown>) => {
        const fn = mod[f.exportName];
        if (typeof fn !== 'function') throw new Error(`${f.module} has no exported function "${f.exportName}" (functions.${f.key}.handler)`);
        return fn as Handler;
      });
      this.#loaded.set(f.arn, loaded);
    }
    return loaded;
  }

  /** Invokes a function by ARN, as Lambda's synchronous Invoke would; errors keep their name for Retry/Catch. */
  async invoke(arn: string, event: unknown): Promise<unknown> {
    const f = this.#byArn.get(arn);
    if (!f) throw new FunctionNotFound(`Function not found: ${arn}`);
    const handler = await this.#handler(f);
    this.invocations++;
    const requestId = randomUUID();
    const started = Date.now();
    const context: Context = {
      callbackWaitsForEmptyEventLoop: false,
      functionName: f.name,
      functionVersion: '$LATEST',
      invokedFunctionArn: f.arn,
      memoryLimitInMB: '512',
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/${f.name}`,
      logStreamName: `local/${requestId}`,
      getRemainingTimeInMillis: () => Math.max(0, 10_000 - (Date.now() - started)),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
    // A JSON round trip, as Lambda's own serialization does: no shared object references.
    const result = await handler(JSON.parse(JSON.stringify(event ?? null)), context);
    return result === undefined ? null : JSON.parse(JSON.stringify(result));
  }

  get region(): string {
    return this.#region;
  }
}
