import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { config } from '../config.ts';
import { parsePolicy, type Policy } from '../domain/policy.ts';

/** Reads and validates a policy and its directory; throws PolicyError with every problem, by file and rule. */
export function loadPolicyFiles(root: string, policyFile: string, directoryFile: string): Policy {
  return parsePolicy(readFileSync(resolve(root, policyFile), 'utf8'), readFileSync(resolve(root, directoryFile), 'utf8'), { policy: policyFile, directory: directoryFile });
}

/**
 * Loads every policy/directory pair the functions are given (POLICY_FILE / DIRECTORY_FILE in their
 * environment) and returns what is wrong, one block per pair naming the functions that use it.
 */
export function checkPolicyFiles(root: string, functions: { key: string; environment: Record<string, unknown> }[]): string[] {
  const pairs = new Map<string, { policyFile: string; directoryFile: string; users: string[] }>();
  for (const { key, environment } of functions) {
    if (environment.POLICY_FILE === undefined && environment.DIRECTORY_FILE === undefined) continue;
    const policyFile = String(environment.POLICY_FILE ?? 'policy/default.yml');
    const directoryFile = String(environment.DIRECTORY_FILE ?? 'policy/directory.yml');
    const pair = pairs.get(`${policyFile}\0${directoryFile}`) ?? { policyFile, directoryFile, users: [] };
    pair.users.push(key);
    pairs.set(`${policyFile}\0${directoryFile}`, pair);
  }
  const problems: string[] = [];
  for (const { policyFile, directoryFile, users } of pairs.values()) {
    try {
      loadPolicyFiles(root, policyFile, directoryFile);
    } catch (err) {
      problems.push(`${policyFile} with ${directoryFile} (read by ${users.join(', ')}):\n  ${(err as Error).message.split('\n').join('\n  ')}`);
    }
  }
  return problems;
}

let cached: Policy | undefined;

/**
 * The stage's policy and directory, read and validated once per container. `sls package`/`deploy` and
 * `npm start` load the same files first (scripts/serverless-policy-check.cjs, local mode), so a broken
 * file stops them before a function ever starts with it.
 */
export function policy(): Policy {
  if (cached) return cached;
  const { POLICY_FILE, DIRECTORY_FILE, LAMBDA_TASK_ROOT } = config();
  cached = loadPolicyFiles(LAMBDA_TASK_ROOT ?? process.cwd(), POLICY_FILE, DIRECTORY_FILE);
  return cached;
}
