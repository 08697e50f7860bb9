import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { config } from '../config.ts';
import { parsePolicy, type Policy } from '../domain/policy.ts';

let cached: Policy | undefined;

/** The stage's policy and directory, read and validated once per container (a bad file fails the cold start loudly). */
export function policy(): Policy {
  if (cached) return cached;
  const { POLICY_FILE, DIRECTORY_FILE, LAMBDA_TASK_ROOT } = config();
  const root = LAMBDA_TASK_ROOT ?? process.cwd();
  const files = { policy: POLICY_FILE, directory: DIRECTORY_FILE };
  cached = parsePolicy(readFileSync(resolve(root, POLICY_FILE), 'utf8'), readFileSync(resolve(root, DIRECTORY_FILE), 'utf8'), files);
  return cached;
}
