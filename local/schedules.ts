// Local EventBridge schedules: the `schedule` events of serverless.yml's functions, on timers.
import { randomUUID } from 'node:crypto';
import type { LambdaHost } from './lambda.ts';
import { ACCOUNT, type FunctionWiring } from './wiring.ts';

const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** Milliseconds of an EventBridge `rate(...)` expression; anything else is refused with the reason. */
export function rateMs(expression: string): number {
  const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (!m) throw new Error(`schedule "${expression}": local mode runs rate(N minute[s]|hour[s]|day[s]) schedules; cron() is not supported locally`);
  const n = Number(m[1]);
  const unit = m[2]!.replace(/s$/, '');
  if (n < 1 || (n === 1) !== !m[2]!.endsWith('s')) throw new Error(`schedule "${expression}": use "1 ${unit}" or "N ${unit}s", as EventBridge requires`);
  return n * UNIT_MS[unit]!;
}

export class LocalSchedules {
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #lambdas: LambdaHost;
  readonly #region: string;
  readonly #entries: { fn: FunctionWiring; rate: string; ms: number; input?: unknown }[];
  readonly #log: (line: string) => void;

  constructor(functions: FunctionWiring[], lambdas: LambdaHost, region: string, log: (line: string) => void) {
    this.#lambdas = lambdas;
    this.#region = region;
    this.#log = log;
    this.#entries = functions.flatMap((fn) => fn.schedules.map((s) => ({ fn, rate: s.rate, ms: rateMs(s.rate), ...(s.input !== undefined ? { input: s.input } : {}) })));
  }

  get list(): { function: string; rate: string }[] {
    return this.#entries.map((e) => ({ function: e.fn.key, rate: e.rate }));
  }

  /** Starts the timers; `timeScale` 60 makes a minute pass in a second. */
  start(timeScale = 1): void {
    for (const e of this.#entries) {
      const timer = setInterval(() => {
        this.fire(e.fn.key).catch((err: Error) => this.#log(`scheduled ${e.fn.key} failed: ${err.stack ?? err}`));
      }, Math.max(10, e.ms / timeScale));
      this.#timers.push(timer);
    }
  }

  /** Runs a scheduled function now, with the event EventBridge would send (tests and impatient people). */
  async fire(functionKey: string): Promise<unknown> {
    const e = this.#entries.find((x) => x.fn.key === functionKey);
    if (!e) throw new Error(`no schedule for function ${functionKey}`);
    const event = e.input ?? {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: ACCOUNT,
      time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.#region,
      resources: [`arn:aws:events:${this.#region}:${ACCOUNT}:rule/${e.fn.name}-schedule`],
      detail: {},
    };
    return this.#lambdas.invoke(e.fn.arn, event);
  }

  stop(): void {
    for (const t of this.#timers) clearInterval(t);
    this.#timers.length = 0;
  }
}
