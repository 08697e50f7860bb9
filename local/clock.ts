// Local mode's clock: wall time by default, faster with a time scale (HITL_TIME_SCALE=3600 makes an
// hour pass in a second), and movable by hand for tests and demos (POST /_local/clock).
export class LocalClock {
  readonly scale: number;
  readonly #origin = Date.now();
  #offsetMs = 0;

  constructor(scale = 1) {
    if (!(scale > 0) || !Number.isFinite(scale)) throw new Error(`HITL_TIME_SCALE must be a positive number, not ${scale}`);
    this.scale = scale;
  }

  /** Milliseconds since the epoch, in simulated time. */
  now(): number {
    return Math.round(this.#origin + (Date.now() - this.#origin) * this.scale + this.#offsetMs);
  }

  /** Jumps forward (never back: time only moves on, as deadlines expect). */
  advance(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new Error(`the clock only moves forward; got ${ms} ms`);
    this.#offsetMs += ms;
  }
}
