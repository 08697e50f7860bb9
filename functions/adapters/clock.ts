// The time the functions live in. In AWS it is the wall clock. Local mode, at its edge, may run a faster
// clock (HITL_TIME_SCALE) or a test clock, so a 4-hour SLA passes in seconds through the same code.
import type { Clock } from '../app/ports.ts';

let source: () => number = Date.now;

export function now(): Date {
  return new Date(source());
}

/** The Clock port: now(), whatever time source the edge set. */
export const systemClock = (): Clock => ({ now });

/** For the edge only (local mode): where now() reads the time from. */
export function useTimeSource(fn: () => number): void {
  source = fn;
}
