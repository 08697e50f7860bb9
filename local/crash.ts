// Fault injection for crash tests: with HITL_CRASH_AT (read by main.ts from its own environment, nowhere else)
// local mode kills itself with SIGKILL the first time it reaches the point named, as an OOM kill or a pulled
// plug would, so a test can start it again on the same data folder and check what survived. Off unless set;
// the functions' workers never see the variable, and nothing of it is packaged.
import { writeSync } from 'node:fs';
import { INPUTS } from './protocol.ts';
import { tasks } from './stepfunctions.ts';
import type { Wiring } from './wiring.ts';

/** Told each point local mode passes; kills the process at the one HITL_CRASH_AT names. */
export type CrashCheck = (point: string) => void;

export const NO_CRASH: CrashCheck = () => undefined;

/**
 * Every point local mode can be killed at:
 * - `<state machine key>.<Task state>`: that state's work returned, before the workflow goes on (only a Task
 *   has an effect to crash after: after a Choice, Pass or Succeed the effects are those of the Task before it);
 * - `function.<function key>`: that function's handler returned, before its result is used or answered;
 * - `answered.<X-Amz-Target>`: local mode's successful answer to that call has gone out to the caller.
 */
export function crashPoints(wiring: Pick<Wiring, 'stateMachines' | 'functions'>): string[] {
  return [
    ...wiring.stateMachines.flatMap((m) => [...tasks(m.definition)].map(([state]) => `${m.key}.${state}`)),
    ...wiring.functions.map((f) => `function.${f.key}`),
    ...Object.keys(INPUTS).map((target) => `answered.${target}`),
  ];
}

/** The check for HITL_CRASH_AT's value; a point that does not exist stops the start, with every point that does. */
export function crashAt(
  point: string | undefined,
  wiring: Pick<Wiring, 'stateMachines' | 'functions'>,
  log: (line: string) => void,
): CrashCheck {
  if (!point) return NO_CRASH;
  const known = crashPoints(wiring);
  if (!known.includes(point)) {
    const [machine, state] = point.split('.');
    const type = (
      wiring.stateMachines.find((m) => m.key === machine)?.definition.States as Record<string, { Type?: string }>
    )?.[state ?? '']?.Type;
    const why = type
      ? `${state} is a ${type} state, and only a Task state has an effect to crash after`
      : 'no such point';
    throw new Error(`HITL_CRASH_AT=${point}: ${why}. The crash points are:\n  ${known.join('\n  ')}`);
  }
  log(`HITL_CRASH_AT=${point}: local mode kills itself (SIGKILL) the first time it gets there`);
  return (reached) => {
    if (reached !== point) return;
    // Written synchronously: nothing of this process runs after the kill.
    writeSync(2, `HITL_CRASH_AT=${point} reached: SIGKILL\n`);
    process.kill(process.pid, 'SIGKILL');
  };
}
