// Every state machine definition in statemachines/ (new files included): valid Amazon States Language
// by asl-validator, JSONPath only, and the house rules on Retry and Catch.
import { globSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parse } from 'yaml';
import { intrinsicName, isObject, type Json, type JsonObject } from './cfn.ts';

interface ValidationResult {
  isValid: boolean;
  errors: { message?: string }[];
  errorsText: (separator?: string) => string;
}
// CommonJS without type declarations: loaded through require, typed from its README.
const aslValidator = createRequire(import.meta.url)('asl-validator') as (
  definition: unknown,
  options?: { checkPaths: boolean; checkArn: boolean },
) => ValidationResult;

const ROOT = join(import.meta.dirname, '../..');
const files = globSync('statemachines/**/*.asl.yml', { cwd: ROOT }).sort();
const definitions = files.map((file) => [file, parse(readFileSync(join(ROOT, file), 'utf8')) as JsonObject] as const);

/** Intrinsics (`{ Fn::GetAtt: [ClassifyLambdaFunction, Arn] }`, `{ Ref: Bus }`) become well-formed placeholder ARNs. */
function withPlaceholders(value: Json): Json {
  if (Array.isArray(value)) return value.map(withPlaceholders);
  if (!isObject(value)) return value;
  const fn = intrinsicName(value);
  if (fn) {
    const arg = value[fn];
    const target =
      Array.isArray(arg) && typeof arg[0] === 'string'
        ? arg[0]
        : typeof arg === 'string'
          ? arg.split('.')[0]!
          : 'value';
    return `arn:aws:cloudformation:eu-west-1:123456789012:${fn.replace('::', '-')}/${target.replace(/[^A-Za-z0-9-]/g, '-')}`;
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withPlaceholders(v)]));
}

/** Every `States` block of a definition: the top level and those of Parallel branches and Map processors. */
function stateBlocks(definition: Json): Record<string, JsonObject>[] {
  if (Array.isArray(definition)) return definition.flatMap(stateBlocks);
  if (!isObject(definition)) return [];
  return Object.entries(definition).flatMap(([key, value]) =>
    key === 'States' && isObject(value)
      ? [value as Record<string, JsonObject>, ...stateBlocks(Object.values(value))]
      : stateBlocks(value),
  );
}

const catchTargets = (state: JsonObject): string[] =>
  (Array.isArray(state.Catch) ? state.Catch : []).map((c) => String((c as JsonObject).Next));

/**
 * Tasks whose own job is reporting a failure: the target of a Catch, or a Task that goes on to a Fail
 * state. Catching their errors would loop back into themselves or hide the failure.
 */
function failureReporters(states: Record<string, JsonObject>): Set<string> {
  const caughtInto = new Set(Object.values(states).flatMap(catchTargets));
  return new Set(
    Object.entries(states)
      .filter(([name, s]) => s.Type === 'Task' && (caughtInto.has(name) || states[String(s.Next)]?.Type === 'Fail'))
      .map(([name]) => name),
  );
}

describe('state machine definitions', () => {
  it('finds the intake and resume definitions in statemachines/', () => {
    expect(files).toEqual(expect.arrayContaining(['statemachines/intake.asl.yml', 'statemachines/resume.asl.yml']));
  });

  it.each(files)('%s is valid Amazon States Language, ARNs and paths included', (file) => {
    const definition = withPlaceholders(structuredClone(definitions.find(([f]) => f === file)![1]));
    const result = aslValidator(definition, { checkPaths: true, checkArn: true });
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it.each(files)('%s uses JSONPath only, never JSONata', (file) => {
    const text = JSON.stringify(definitions.find(([f]) => f === file)![1]);
    const languages = [...text.matchAll(/"QueryLanguage":"([^"]*)"/g)].map((m) => m[1]);
    expect(languages.filter((l) => l !== 'JSONPath')).toEqual([]);
    expect(text).not.toMatch(/\{%/);
  });

  it.each(files)(
    '%s retries every Task, and catches into a visible failure path every Task but those reporting a failure',
    (file) => {
      const problems: string[] = [];
      for (const states of stateBlocks(definitions.find(([f]) => f === file)![1])) {
        const reporters = failureReporters(states);
        for (const [name, state] of Object.entries(states)) {
          if (state.Type !== 'Task') continue;
          if (!Array.isArray(state.Retry) || state.Retry.length === 0) problems.push(`${name} has no Retry`);
          const catches = catchTargets(state);
          if (!reporters.has(name) && catches.length === 0) problems.push(`${name} has no Catch`);
          if (reporters.has(name) && catches.length > 0)
            problems.push(`${name} reports a failure but catches its own errors into ${catches.join(', ')}`);
        }
        // A Catch ends the execution as failed: at a Fail state, directly or after one Task that reports it.
        for (const [name, state] of Object.entries(states)) {
          for (const target of catchTargets(state)) {
            const next = states[target];
            const endsInFail =
              next?.Type === 'Fail' || (next?.Type === 'Task' && states[String(next.Next)]?.Type === 'Fail');
            if (!endsInFail) problems.push(`${name} catches into ${target}, which does not end in a Fail state`);
          }
        }
      }
      expect(problems).toEqual([]);
    },
  );
});
