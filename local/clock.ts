// Local mode's clock: wall time by default, faster with a time scale (HITL_TIME_SCALE=3600 makes an
// hour pass in a second), and movable by hand for tests and demos (POST /_local/clock). Its state lives
// in shared memory, so the functions' worker threads read the same time as local mode.
/** How far the clock may go: the last year an ISO 8601 date writes with four digits, less a year for deadlines set after it. */
export const LATEST = Date.UTC(9999, 0, 1);

export class LocalClock {
  readonly scale: number;
  /** [origin, scale, offset], shared with the workers (local/lambda-worker.ts computes now() alike). */
  readonly shared = new SharedArrayBuffer(3 * Float64Array.BYTES_PER_ELEMENT);
  readonly #state = new Float64Array(this.shared);

  constructor(scale = 1) {
    if (!(scale > 0) || !Number.isFinite(scale))
      throw new Error(`HITL_TIME_SCALE must be a positive number, not ${scale}`);
    this.scale = scale;
    this.#state[0] = Date.now();
    this.#state[1] = scale;
    this.#state[2] = 0;
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
