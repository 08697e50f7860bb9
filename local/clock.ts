// Local mode's clock: wall time by default, faster with a time scale (HITL_TIME_SCALE=3600 makes an
// hour pass in a second), and movable by hand for tests and demos (POST /_local/clock). Its state lives
// in shared memory, so the functions' worker threads read the same time as local mode.
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

  /** Jumps forward (never back: time only moves on, as deadlines expect). */
  advance(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new Error(`the clock only moves forward; got ${ms} ms`);
    this.#state[2] = this.#state[2]! + ms;
  }
}
