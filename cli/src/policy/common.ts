// What the policy tools share: their flags, reading files (an unreadable one is a usage error, exit 2), loading a
// policy with its directory, and reading a proposal with the bus's own schema.
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ActionProposed, describeIssues } from '../../../events/index.ts';
import { readPolicyFiles, type YamlFile } from '../../../functions/domain/policy-yaml.ts';
import type { CompiledPolicy } from '../../../functions/domain/policy/compiled.ts';
import { PolicyError } from '../../../functions/domain/policy.ts';

export const DEFAULT_POLICY = 'policy/default.yml';

/** A mistake in how the command was called, or a file it cannot read: exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Where a command writes; the CLI passes the process's streams. */
export interface Out {
  out(text: string): void;
  err(text: string): void;
}

export const processOut: Out = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

type Options = NonNullable<ParseArgsConfig['options']>;

/** The flags and positionals of a subcommand; an unknown flag or a missing value is a UsageError naming it. */
export function flags<O extends Options>(args: string[], options: O, positionals: { max: number; usage: string }) {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\nusage: ${positionals.usage}`);
  }
  if (parsed.positionals.length > positionals.max)
    throw new UsageError(
      `unexpected argument ${JSON.stringify(parsed.positionals[positionals.max])}\nusage: ${positionals.usage}`,
    );
  return parsed;
}

/** A number flag: absent gives the default; anything but a finite, non-negative number is a UsageError. */
export function numberFlag(values: Record<string, unknown>, name: string, fallback: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
  if (!Number.isFinite(n) || n < 0)
    throw new UsageError(`--${name} must be a number, at least 0, not ${JSON.stringify(raw)}`);
  return n;
}

/** The text of a file, `-` for standard input; a file that cannot be read is a UsageError naming it and why. */
export function readText(file: string, what: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why =
      e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'it is a folder, not a file' : (e.code ?? e.message);
    throw new UsageError(`cannot read the ${what} ${file}: ${why}`);
  }
}

/** The directory file for a policy: `--directory`, or directory.yml beside the policy. */
export function directoryFor(policyFile: string, directory?: string): string {
  return directory ?? join(dirname(policyFile), 'directory.yml');
}

export interface LoadedPolicy {
  compiled: CompiledPolicy;
  policyFile: string;
  directoryFile: string;
  policy: YamlFile;
}

/** A policy and its directory, compiled; throws PolicyError (located) when they do not load, UsageError when unreadable. */
export function loadPolicy(policyFile: string, directory?: string): LoadedPolicy {
  const directoryFile = directoryFor(policyFile, directory);
  const policyText = readText(policyFile, 'policy');
  const directoryText = readText(directoryFile, 'directory');
  const read = readPolicyFiles(policyText, directoryText, { policy: policyFile, directory: directoryFile });
  return { compiled: read.compiled, policyFile, directoryFile, policy: read.policy };
}

/** `x.cases.yml` is the cases of `x.yml` beside it. */
export function policyOfCases(casesFile: string): string | undefined {
  const name = basename(casesFile);
  const m = /^(.*)\.cases\.ya?ml$/.exec(name);
  return m ? join(dirname(casesFile), `${m[1]}.yml`) : undefined;
}

/**
 * The Action Proposed detail in a value: the detail itself, an EventBridge event as a rule's target receives
 * it (`detail-type`, `detail`), or a PutEvents entry as local mode archives it (`DetailType`, `Detail` as text).
 */
export function detailOf(value: unknown): { detailType?: string; detail: unknown; time?: string } {
  if (!isRecord(value)) return { detail: value };
  if ('detail-type' in value || 'detail' in value)
    return { ...textOf('detailType', value['detail-type']), detail: value.detail, ...timeOf(value.time) };
  if ('DetailType' in value || 'Detail' in value) {
    let detail: unknown;
    try {
      detail = typeof value.Detail === 'string' ? JSON.parse(value.Detail) : value.Detail;
    } catch {
      throw new Error('its Detail is not JSON');
    }
    return { ...textOf('detailType', value.DetailType), detail, ...timeOf(value.time ?? value.Time) };
  }
  return { detail: value };
}

function timeOf(t: unknown): { time?: string } {
  return textOf('time', t);
}

function textOf<K extends string>(key: K, v: unknown): { [k in K]?: string } {
  return (typeof v === 'string' ? { [key]: v } : {}) as { [k in K]?: string };
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A proposal checked with the bus's schema: the proposal, or every problem as `path: what is wrong`. */
export function checkProposal(detail: unknown): { proposal: ActionProposed } | { problems: string[] } {
  const parsed = ActionProposed.safeParse(detail);
  return parsed.success ? { proposal: parsed.data } : { problems: describeIssues(parsed.error) };
}

/** Prints a policy that does not load, every problem located; exit 1. */
export function refusedPolicy(err: unknown, io: Out): number {
  if (!(err instanceof PolicyError)) throw err;
  io.out(err.message);
  io.out(`the policy does not load: ${err.problems.length} ${err.problems.length === 1 ? 'problem' : 'problems'}`);
  return 1;
}
