// `hitl-gate policy …` as an author runs it: the workspace's bin, on the project's Node, in the checkout.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
const BIN = resolve(ROOT, 'node_modules/.bin/hitl-gate');

/** Runs `hitl-gate policy <args>` with `input` on standard input: its exit code and output. */
export function policyCli(args: string[], input?: string) {
  const r = spawnSync(BIN, ['policy', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    input,
    env: { ...process.env, PATH: `${resolve(ROOT, 'node_modules/.bin')}:${process.env.PATH}` },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
