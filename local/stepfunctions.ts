// Local Step Functions: the state machines of serverless.yml, run from their real ASL by
// aws-local-stepfunctions, with each Task bound to what the Resource names in AWS: the local
// Lambda functions, the local bus (events:putEvents) and this service itself (states:startExecution).
import { randomBytes, randomUUID } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import { type LambdaHost, LambdaThrottled } from './lambda.ts';
import { startExecutionThrottled, type Throttles, type TokenBucket } from './quotas.ts';
import type { StateMachineWiring } from './wiring.ts';
import { AwsError } from './errors.ts';
import { checkInput } from './protocol.ts';
import type { LocalMeter } from './meter.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

export interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Resources?: string[];
  /** Seconds since the epoch, as the AWS JSON protocols carry a timestamp. */
  Time?: number;
}
export interface PutEventsOutput {
  FailedEntryCount: number;
  Entries: { EventId?: string; ErrorCode?: string; ErrorMessage?: string }[];
}
export type PutEvents = (entries: PutEventsEntry[]) => Promise<PutEventsOutput>;

/** Checks a call a state machine's role makes (local IAM); throws AccessDeniedException when its role does not allow it. */
export type AuthorizeTask = (
  stateMachineArn: string,
  req: { action: string; resource: string; context?: Record<string, string> },
) => void;

export interface Execution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  startDate: Date;
  stopDate?: Date;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  done: Promise<void>;
}

/** A named error, as Step Functions matches it in Retry and Catch. */
class StatesError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

const MAX_KEPT = 20_000;

export class LocalStepFunctions {
  readonly #machines = new Map<string, { wiring: StateMachineWiring; machine: StateMachine }>();
  readonly #executions = new Map<string, Execution>();
  readonly #waiting = new Map<string, { resolve: (v: Json) => void; reject: (e: Error) => void }>();
  readonly #answered = new Set<string>();
  readonly #lambdas: LambdaHost;
  readonly #putEvents: PutEvents;
  readonly #region: string;
  /** Task states run (each a Lambda invocation or a service call). */
  tasks = 0;
  /** States entered, as Step Functions counts state transitions. */
  transitions = 0;

  readonly #authorize: AuthorizeTask;
  /** Told `<machine key>.<state>` when a Task state's work has returned (local/crash.ts). */
  readonly #completed: (point: string) => void;
  readonly #meter: LocalMeter | undefined;
  /** StartExecution's token bucket (the account's, for Express workflows), whoever calls it. */
  readonly #starts: TokenBucket | undefined;
  readonly #throttles: Throttles | undefined;

  constructor(
    machines: StateMachineWiring[],
    lambdas: LambdaHost,
    putEvents: PutEvents,
    region: string,
    authorize: AuthorizeTask = () => undefined,
    completed: (point: string) => void = () => undefined,
    meter?: LocalMeter,
    limits: { startExecution?: TokenBucket; throttles?: Throttles } = {},
  ) {
    this.#meter = meter;
    this.#starts = limits.startExecution;
    this.#throttles = limits.throttles;
    this.#authorize = authorize;
    this.#completed = completed;
    this.#lambdas = lambdas;
    this.#putEvents = putEvents;
    this.#region = region;
    for (const wiring of machines) {
      this.#checkBindings(wiring);
      this.#machines.set(wiring.arn, {
        wiring,
        machine: new StateMachine(wiring.definition as never, { validationOptions: { checkArn: true } }),
      });
    }
  }

  get stateMachines(): StateMachineWiring[] {
    return [...this.#machines.values()].map((m) => m.wiring);
  }

  get executions(): Execution[] {
    return [...this.#executions.values()];
  }

  /** Every Task must have a local peer: an unbound Task would call real AWS. */
  #checkBindings(wiring: StateMachineWiring): void {
    for (const [name, state] of tasks(wiring.definition)) {
      const resource = String(state.Resource);
      const base = resource.replace(/\.waitForTaskToken$/, '');
      const known =
        this.#lambdas.has(resource) ||
        base === 'arn:aws:states:::lambda:invoke' ||
        base === 'arn:aws:states:::events:putEvents' ||
        base === 'arn:aws:states:::states:startExecution';
      if (!known)
        throw new Error(
          `state machine ${wiring.key}: Task "${name}" uses ${resource}, which local mode does not provide`,
        );
    }
  }

  #bindings(wiring: StateMachineWiring, token: string) {
    const handlers: Record<string, (input: Json) => Promise<Json>> = {};
    for (const [name, state] of tasks(wiring.definition)) {
      const resource = String(state.Resource);
      const waits = resource.endsWith('.waitForTaskToken');
      const base = resource.replace(/\.waitForTaskToken$/, '');
      // The machine's role must allow each call its Tasks make, as in AWS; a denial fails the Task.
      const allowed = (
        errorName: string,
        req: { action: string; resource: string; context?: Record<string, string> },
      ) => {
        try {
          this.#authorize(wiring.arn, req);
        } catch (err) {
          throw new StatesError(errorName, (err as Error).message);
        }
      };
      // Lambda's throttle, as Step Functions names it (the same name the ASL's Retry lists).
      const invoke = async (arn: string, payload: unknown) => {
        try {
          return await this.#lambdas.invoke(arn, payload);
        } catch (err) {
          if (!(err instanceof LambdaThrottled)) throw err;
          throw new StatesError(
            'Lambda.TooManyRequestsException',
            `${err.message} (Service: AWSLambda; Status Code: 429; Error Code: TooManyRequestsException; Reason: ${err.reason})`,
          );
        }
      };
      const run = async (input: Json): Promise<Json> => {
        this.tasks++;
        if (this.#lambdas.has(base)) {
          allowed('Lambda.AWSLambdaException', { action: 'lambda:InvokeFunction', resource: base });
          return (await invoke(base, input)) as Json;
        }
        const p = (input ?? {}) as Obj;
        switch (base) {
          case 'arn:aws:states:::lambda:invoke': {
            allowed('Lambda.AWSLambdaException', { action: 'lambda:InvokeFunction', resource: String(p.FunctionName) });
            const payload = await invoke(String(p.FunctionName), p.Payload ?? null);
            return { ExecutedVersion: '$LATEST', Payload: payload as Json, StatusCode: 200 };
          }
          case 'arn:aws:states:::events:putEvents': {
            const entries = (Array.isArray(p.Entries) ? p.Entries : []) as Obj[];
            for (const e of entries) {
              const bus = typeof e.EventBusName === 'string' ? e.EventBusName : 'default';
              allowed('EventBridge.AmazonEventBridgeException', {
                action: 'events:PutEvents',
                resource: bus.startsWith('arn:') ? bus : `arn:aws:events:${this.#region}:000000000000:event-bus/${bus}`,
                context: { 'events:source': String(e.Source ?? ''), 'events:detail-type': String(e.DetailType ?? '') },
              });
            }
            // Step Functions serializes the parameters into the PutEvents call, which EventBridge reads as from any caller.
            let out: PutEventsOutput;
            try {
              const request = checkInput(
                'AWSEvents.PutEvents',
                {
                  Entries: entries.map((e) => ({
                    ...(e as object),
                    Detail: typeof e.Detail === 'string' ? e.Detail : JSON.stringify(e.Detail ?? {}),
                  })),
                },
                'awsJson',
              );
              out = await this.#putEvents(request.Entries as PutEventsEntry[]);
            } catch (err) {
              if (!(err instanceof AwsError)) throw err;
              throw new StatesError('EventBridge.AmazonEventBridgeException', `${err.name}: ${err.message}`);
            }
            if (out.FailedEntryCount > 0) throw new StatesError('EventBridge.FailedEntry', JSON.stringify(out.Entries));
            return out as unknown as Json;
          }
          case 'arn:aws:states:::states:startExecution': {
            allowed('StepFunctions.AWSStepFunctionsException', {
              action: 'states:StartExecution',
              resource: String(p.StateMachineArn),
            });
            const input = typeof p.Input === 'string' ? p.Input : JSON.stringify(p.Input ?? {});
            let e: Execution;
            try {
              e = this.startExecution({
                stateMachineArn: String(p.StateMachineArn),
                input,
                ...(typeof p.Name === 'string' ? { name: p.Name } : {}),
              });
            } catch (err) {
              // A throttle is a service error of the integration, under the SDK's service exception's name.
              if (!(err instanceof AwsError) || err.name !== 'ThrottlingException') throw err;
              throw new StatesError('StepFunctions.AWSStepFunctionsException', `${err.name}: ${err.message}`);
            }
            return { ExecutionArn: e.executionArn, StartDate: e.startDate.toISOString() };
          }
        }
        throw new StatesError('States.Runtime', `no local binding for ${resource}`);
      };
      const work = waits
        ? async (input: Json) => {
            const released = new Promise<Json>((resolve, reject) => this.#waiting.set(token, { resolve, reject }));
            await run(input);
            return released;
          }
        : run;
      handlers[name] = async (input) => {
        const output = await work(input);
        this.#completed(`${wiring.key}.${name}`);
        return output;
      };
    }
    return handlers;
  }

  startExecution(req: { stateMachineArn?: string; input?: string; name?: string }): Execution {
    // Whoever starts it (a client, a bus rule, a Task), an input over 256 KB is refused, as Step Functions refuses it.
    checkInput('AWSStepFunctions.StartExecution', req, 'awsJson');
    const entry = this.#machines.get(String(req.stateMachineArn));
    if (!entry)
      throw new AwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${req.stateMachineArn}'`);
    if (entry.wiring.type === 'EXPRESS' && this.#starts && !this.#starts.take()) {
      this.#throttles?.count('Step Functions StartExecution');
      throw startExecutionThrottled();
    }
    let input: Json;
    try {
      input = JSON.parse(req.input ?? '{}') as Json;
    } catch {
      throw new AwsError('InvalidExecutionInput', 'Invalid State Machine Execution Input: input is not valid JSON');
    }
    const { wiring, machine } = entry;
    const name = req.name ?? randomUUID();
    const kind = wiring.type === 'EXPRESS' ? 'express' : 'execution';
    const executionArn = `arn:aws:states:${this.#region}:${wiring.arn.split(':')[4]}:${kind}:${wiring.name}:${name}${kind === 'express' ? `:${randomUUID()}` : ''}`;
    if (this.#executions.has(executionArn))
      throw new AwsError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    const startDate = new Date();
    // $$.Task.Token: one per execution; each waiting Task re-arms it in turn.
    const token = Buffer.from(`${executionArn}#${randomBytes(12).toString('hex')}`).toString('base64url');
    const execution: Execution = {
      executionArn,
      stateMachineArn: wiring.arn,
      name,
      status: 'RUNNING',
      startDate,
      input: req.input ?? '{}',
      done: Promise.resolve(),
    };
    const run = machine.run(input, {
      overrides: { taskResourceLocalHandlers: this.#bindings(wiring, token) },
      context: {
        Execution: {
          Id: executionArn,
          Input: input as never,
          Name: name,
          StartTime: startDate.toISOString(),
          RoleArn: `arn:aws:iam::000000000000:role/${wiring.name}`,
        },
        StateMachine: { Id: wiring.arn, Name: wiring.name },
        Task: { Token: token },
      } as never,
    });
    const metered = this.#meter?.execution(wiring.key, wiring.type);
    void (async () => {
      for await (const log of run.eventLogs) {
        if (log.type === 'StateEntered') {
          this.transitions++;
          metered?.entered(log.state.name);
        }
        if (log.type === 'StateRetried') metered?.retried();
      }
    })().catch(() => undefined);
    execution.done = run.result.then(
      (output) => {
        metered?.ended('SUCCEEDED');
        Object.assign(execution, { status: 'SUCCEEDED', output: JSON.stringify(output ?? null), stopDate: new Date() });
      },
      (err: Error & { cause?: unknown }) => {
        metered?.ended('FAILED');
        const inner = (err as { cause?: Error }).cause ?? err;
        Object.assign(execution, {
          status: 'FAILED',
          error: inner.name ?? 'States.Runtime',
          cause: inner.message ?? String(inner),
          stopDate: new Date(),
        });
      },
    );
    this.#executions.set(executionArn, execution);
    if (this.#executions.size > MAX_KEPT) this.#executions.delete(this.#executions.keys().next().value!);
    return execution;
  }

  describeExecution(executionArn: string): Execution {
    const e = this.#executions.get(executionArn);
    if (!e) throw new AwsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return e;
  }

  sendTaskSuccess(taskToken: string, output: string): void {
    let value: Json;
    try {
      value = JSON.parse(output) as Json;
    } catch {
      throw new AwsError('InvalidOutput', 'Invalid Output: output is not valid JSON');
    }
    this.#release(taskToken).resolve(value);
  }

  sendTaskFailure(taskToken: string, error = 'States.TaskFailed', cause = ''): void {
    this.#release(taskToken).reject(new StatesError(error, cause));
  }

  #release(token: string) {
    const waiter = this.#waiting.get(token);
    if (!waiter) {
      // Tokens this service issues are base64url of "<executionArn>#<random>".
      const decoded = Buffer.from(token, 'base64url').toString();
      const known = decoded.startsWith('arn:aws:states:') && decoded.includes('#');
      if (!known) throw new AwsError('InvalidToken', 'Invalid Token: the task token is malformed');
      if (this.#answered.has(token))
        throw new AwsError('TaskTimedOut', 'Task Timed Out: the task was already answered');
      throw new AwsError('TaskDoesNotExist', 'Task Does Not Exist: no task is waiting on this token');
    }
    this.#waiting.delete(token);
    this.#answered.add(token);
    return waiter;
  }

  /** Resolves when every execution started so far (and those they started) has finished. */
  async idle(): Promise<void> {
    for (;;) {
      const running = this.executions.filter((e) => e.status === 'RUNNING' && !this.#isWaiting(e));
      if (running.length === 0) return;
      await Promise.race([Promise.all(running.map((e) => e.done)), new Promise((r) => setTimeout(r, 50))]);
    }
  }

  #isWaiting(e: Execution): boolean {
    for (const token of this.#waiting.keys())
      if (Buffer.from(token, 'base64url').toString().startsWith(`${e.executionArn}#`)) return true;
    return false;
  }
}

/** Every Task state of a definition, nested Parallel branches and Map processors included. */
export function* tasks(definition: Obj): Generator<[string, Obj]> {
  for (const [name, s] of Object.entries((definition.States ?? {}) as Record<string, Obj>)) {
    if (s.Type === 'Task') yield [name, s];
    if (s.Type === 'Parallel') for (const b of (s.Branches ?? []) as Obj[]) yield* tasks(b);
    if (s.Type === 'Map') yield* tasks((s.ItemProcessor ?? s.Iterator ?? {}) as Obj);
  }
}
