// The policy at the edges (`sls package`, local mode's start): the YAML files the functions are given
// (POLICY_FILE / DIRECTORY_FILE in serverless.yml) are validated together, then each is compiled to the
// JSON the functions read, so the functions bundle no YAML parser and never meet a broken file.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parsePolicy, yamlToJson } from '../functions/domain/policy-yaml.ts';

interface FunctionEnv {
  key: string;
  environment: Record<string, unknown>;
}

/** Reads and validates a policy and its directory; throws PolicyError with every problem, by file and rule. */
export function loadPolicyFiles(root: string, policyFile: string, directoryFile: string) {
  return parsePolicy(
    readFileSync(resolve(root, policyFile), 'utf8'),
    readFileSync(resolve(root, directoryFile), 'utf8'),
    { policy: policyFile, directory: directoryFile },
  );
}

const sourcesOf = (environment: Record<string, unknown>) =>
  environment.POLICY_FILE === undefined && environment.DIRECTORY_FILE === undefined
    ? undefined
    : ([
        String(environment.POLICY_FILE ?? 'policy/default.yml'),
        String(environment.DIRECTORY_FILE ?? 'policy/directory.yml'),
      ] as const);

/** Loads every policy/directory pair the functions are given and returns what is wrong, one block per pair naming its readers. */
export function checkPolicyFiles(root: string, functions: FunctionEnv[]): string[] {
  const pairs = new Map<string, { policyFile: string; directoryFile: string; users: string[] }>();
  for (const { key, environment } of functions) {
    const sources = sourcesOf(environment);
    if (!sources) continue;
    const [policyFile, directoryFile] = sources;
    const pair = pairs.get(`${policyFile}\0${directoryFile}`) ?? { policyFile, directoryFile, users: [] };
    pair.users.push(key);
    pairs.set(`${policyFile}\0${directoryFile}`, pair);
  }
  const problems: string[] = [];
  for (const { policyFile, directoryFile, users } of pairs.values()) {
    try {
      loadPolicyFiles(root, policyFile, directoryFile);
    } catch (err) {
      problems.push(
        `${policyFile} with ${directoryFile} (read by ${users.join(', ')}):\n  ${(err as Error).message.split('\n').join('\n  ')}`,
      );
    }
  }
  return problems;
}

/**
 * Compiles each function's policy and directory to JSON under `outDir` (as `<source>.json`) and points
 * the function's POLICY_FILE and DIRECTORY_FILE at them; returns the files written, relative to `outDir`.
 */
export function compilePolicyFiles(
  root: string,
  outDir: string,
  functions: FunctionEnv[],
  pathFor: (compiled: string) => string = (c) => c,
): string[] {
  const written = new Set<string>();
  for (const { environment } of functions) {
    const sources = sourcesOf(environment);
    if (!sources) continue;
    const [policyFile, directoryFile] = sources;
    for (const [name, source] of [
      ['POLICY_FILE', policyFile],
      ['DIRECTORY_FILE', directoryFile],
    ] as const) {
      const compiled = `${source}.json`;
      if (!written.has(compiled)) {
        const target = join(outDir, compiled);
        mkdirSync(dirname(target), { recursive: true });
        // Written whole, then renamed: a package running at the same time never zips half a file.
        writeFileSync(`${target}.${process.pid}.tmp`, yamlToJson(readFileSync(resolve(root, source), 'utf8'), source));
        renameSync(`${target}.${process.pid}.tmp`, target);
        written.add(compiled);
      }
      environment[name] = pathFor(compiled);
    }
  }
  return [...written];
}
