import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { config } from '../config.ts';
import { compilePolicy, type Directory, type Policy } from '../domain/policy.ts';

let cached: Policy | undefined;

/**
 * The stage's policy and directory, read once per container from the JSON the edges compiled them to
 * (`sls package` into the zip, local mode into its data folder; see local/policy-sources.ts). The YAML
 * was validated there, so a broken file stops the package or the start, never a function.
 */
export function policy(): Policy {
  if (cached) return cached;
  const { POLICY_FILE, DIRECTORY_FILE, LAMBDA_TASK_ROOT } = config();
  const root = LAMBDA_TASK_ROOT ?? process.cwd();
  const read = (file: string) => ({ value: JSON.parse(readFileSync(resolve(root, file), 'utf8')) as unknown });
  cached = compilePolicy(read(POLICY_FILE), read(DIRECTORY_FILE), { policy: POLICY_FILE, directory: DIRECTORY_FILE });
  return cached;
}

/** The stage's people directory: the one the policy's routes were resolved against. */
export const directory = (): Directory => policy().directory;
