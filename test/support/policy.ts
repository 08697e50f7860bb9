import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Policy } from '../../functions/domain/policy.ts';
import { parsePolicy } from '../../functions/domain/policy-yaml.ts';

const dir = join(import.meta.dirname, '../../policy');

/** The shipped default policy with its directory, as the functions load it. */
export const shippedPolicy: Policy = parsePolicy(
  readFileSync(join(dir, 'default.yml'), 'utf8'),
  readFileSync(join(dir, 'directory.yml'), 'utf8'),
  {
    policy: 'policy/default.yml',
    directory: 'policy/directory.yml',
  },
);
