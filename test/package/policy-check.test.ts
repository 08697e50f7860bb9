// A broken policy stops `sls package` (and so `sls deploy`) and local mode's start, with the policy's
// own error, instead of packaging fine and failing later as an `Intake Failed` event.
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../support/package.ts';
import { ROOT } from '../support/local.ts';
import { startLocalProcess } from '../support/process.ts';

const TYPO = 'test/fixtures/policy-tier-typo.yml';
// The line and column of the typo in the fixture, as an editor opens it.
const PROBLEM = `${TYPO}:100:5: rules[1] (rule "customer-email").tier: unknown tier "medum"; expected low, medium, high or critical`;

it('stops sls package with the policy error, and packages nothing', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hitl-package-typo-'));
  try {
    const failed = await run(
      process.execPath,
      [
        join(ROOT, 'node_modules/.bin/sls'),
        'package',
        '--stage',
        'dev',
        `--param=policyFile=${TYPO}`,
        '--package',
        dir,
      ],
      {
        cwd: ROOT,
        env: { ...process.env, SLS_TELEMETRY_DISABLED: '1' },
      },
    ).then(
      () => undefined,
      (e: Error & { stdout: string; stderr: string; code: number }) => e,
    );
    expect(failed?.code).toBe(1);
    expect(`${failed?.stdout}${failed?.stderr}`).toContain(PROBLEM);
    await expect(access(join(dir, 'cloudformation-template-update-stack.json'))).rejects.toThrow();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 60_000);

it('stops npm start with the policy error before it listens', async () => {
  const started = startLocalProcess({ POLICY_FILE: TYPO });
  await expect(started).rejects.toThrow(/local mode exited with 1/);
  await expect(started).rejects.toThrow(PROBLEM);
}, 60_000);
