// Local EventBridge schedules: the `schedule` events of serverless.yml's functions, on timers.
import { randomUUID } from 'node:crypto';
import type { LambdaHost } from './lambda.ts';
import { ACCOUNT, type FunctionWiring } from './wiring.ts';

const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** Milliseconds of an EventBridge `rate(...)` expression; anything else is refused with the reason. */
export function rateMs(expression: string): number {
  const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (!m)
    throw new Error(
      `schedule "${expression}": local mode runs rate(N minute[s]|hour[s]|day[s]) schedules; cron() is not supported locally`,
    );
  const n = Number(m[1]);
  const unit = m[2]!.replace(/s$/, '');
  if (n < 1 || (n === 1) !== !m[2]!.endsWith('s'))
    throw new Error(`schedule "${expression}": use "1 ${unit}" or "N ${unit}s", as EventBridge requires`);
  return n * UNIT_MS[unit]!;
}

export class LocalSchedules {
  #timer: NodeJS.Timeout | undefined;
  #now: () => number = Date.now;
  readonly #nextAt = new Map<string, number>();
  readonly #lambdas: LambdaHost;
  readonly #region: string;
  readonly #entries: { fn: FunctionWiring; rate: string; ms: number; input?: unknown }[];
  readonly #log: (line: string) => void;

  constructor(functions: FunctionWiring[], lambdas: LambdaHost, region: string, log: (line: string) => void) {
    this.#lambdas = lambdas;
    this.#region = region;
    this.#log = log;
    this.#entries = functions.flatMap((fn) =>
      fn.schedules.map((s) => ({
        fn,
        rate: s.rate,
        ms: rateMs(s.rate),
        ...(s.input !== undefined ? { input: s.input } : {}),
      })),
    );
  }

  get list(): { function: string; rate: string }[] {
    return this.#entries.map((e) => ({ function: e.fn.key, rate: e.rate }));
  }

  /**
   * Runs the schedules on local mode's clock: each fires when its period has passed in simulated time,
   * checked four times a real second and whenever the clock is moved on (a long jump fires it once, as
   * a late EventBridge schedule does, not once per missed period).
   */
  start(now: () => number): void {
    this.#now = now;
    for (const e of this.#entries) this.#nextAt.set(e.fn.key, now() + e.ms);
    this.#timer = setInterval(() => void this.tick(), 250);
  }

  /** Fires every schedule that is due now; resolves when their functions have returned. */
  async tick(): Promise<void> {
    const now = this.#now();
    const due = this.#entries.filter((e) => (this.#nextAt.get(e.fn.key) ?? Infinity) <= now);
    for (const e of due) this.#nextAt.set(e.fn.key, Math.max((this.#nextAt.get(e.fn.key) ?? now) + e.ms, now + 1));
    await Promise.all(
      due.map((e) =>
        this.fire(e.fn.key).catch((err: Error) => this.#log(`scheduled ${e.fn.key} failed: ${err.stack ?? err}`)),
      ),
    );
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
      time: new Date(this.#now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.#region,
      resources: [`arn:aws:events:${this.#region}:${ACCOUNT}:rule/${e.fn.name}-schedule`],
      detail: {},
    };
    return this.#lambdas.invoke(e.fn.arn, event);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
