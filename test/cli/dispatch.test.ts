// The `hitl-gate` command as a user runs it: through npm's workspace bin link, on the project's Node.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = resolve(ROOT, 'node_modules/.bin/hitl-gate');

function run(...args: string[]) {
  const r = spawnSync(BIN, args, {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, PATH: `${resolve(ROOT, 'node_modules/.bin')}:${process.env.PATH}` },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

it('is linked as a bin by the workspace and prints its usage', () => {
  const r = run('help');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^usage: hitl-gate <command>/);
});

it('refuses an unknown command with exit code 2 and says which', () => {
  const r = run('launch-missiles');
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('unknown command "launch-missiles"');
});

it('answers usage with exit code 2 when no command is given', () => {
  expect(run().code).toBe(2);
});
