// Local mode's clock: wall time by default, faster with a time scale (HITL_TIME_SCALE=3600 makes an
// hour pass in a second), and movable by hand for tests and demos (POST /_local/clock). Its state lives
// in shared memory, so the functions' worker threads read the same time as local mode.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

/** How far the clock may go: the last year an ISO 8601 date writes with four digits, less a year for deadlines set after it. */
export const LATEST = Date.UTC(9999, 0, 1);

export class LocalClock {
  readonly scale: number;
  /** [origin, scale, offset], shared with the workers (local/lambda-worker.ts computes now() alike). */
  readonly shared = new SharedArrayBuffer(3 * Float64Array.BYTES_PER_ELEMENT);
  readonly #state = new Float64Array(this.shared);

  /** `resume`: a persisted clock's last reading; time goes on from there (the time it was down passes too). */
  constructor(scale = 1, resume?: Reading) {
    if (!(scale > 0) || !Number.isFinite(scale))
      throw new Error(`HITL_TIME_SCALE must be a positive number, not ${scale}`);
    this.scale = scale;
    const origin = Date.now();
    this.#state[0] = origin;
    this.#state[1] = scale;
    this.#state[2] = resume ? Math.min(LATEST, resume.now + Math.max(0, origin - resume.at)) - origin : 0;
  }

  /** What a persisted local mode writes down, so that after a restart simulated time never goes back. */
  reading(): Reading {
    return { now: this.now(), at: Date.now() };
  }

  /** Milliseconds since the epoch, in simulated time. */
  now(): number {
    const [origin, scale, offset] = this.#state as unknown as [number, number, number];
    return Math.round(origin + (Date.now() - origin) * scale + offset);
  }

  /** Jumps forward (never back: time only moves on, as deadlines expect), and never past LATEST. */
  advance(ms: number): void {
    if (typeof ms !== 'number' || !(ms >= 0) || !Number.isFinite(ms))
      throw new RangeError(`the clock only moves forward by a number of milliseconds; got ${JSON.stringify(ms) ?? ms}`);
    const room = LATEST - this.now();
    if (ms > room)
      throw new RangeError(
        `the clock can move at most ${room} ms on (to ${new Date(LATEST).toISOString()}); got ${ms} ms`,
      );
    this.#state[2] = this.#state[2]! + ms;
  }
}

/** A clock's reading: simulated time `now`, read at wall time `at` (both ms since the epoch). */
export interface Reading {
  now: number;
  at: number;
}

/** The reading a persisted local mode left in `file`, if any and if sound (a damaged file starts the clock afresh). */
export function readReading(file: string): Reading | undefined {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as Partial<Reading>;
    return Number.isFinite(r.now) && Number.isFinite(r.at) ? { now: r.now as number, at: r.at as number } : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the clock's reading to `file` now and every second until stopped (atomically: a crash leaves the last one). */
export function keepReading(clock: LocalClock, file: string): { save(): void; stop(): void } {
  const save = () => {
    writeFileSync(`${file}.tmp`, JSON.stringify(clock.reading()));
    renameSync(`${file}.tmp`, file);
  };
  save();
  const timer = setInterval(save, 1000);
  timer.unref();
  return { save, stop: () => clearInterval(timer) };
}
