// `npm run smoke` against local mode (`--local`): the same script an operator runs after `sls deploy`
// proposes a low-tier action on the bus and reads its approval through the IAM-signed status route.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ROOT } from '../support/local.ts';
import { startLocalProcess, type LocalProcess } from '../support/process.ts';

let local: LocalProcess;
beforeAll(async () => {
  local = await startLocalProcess();
}, 60_000);
afterAll(() => local?.stop());

describe('the smoke script', () => {
  it('proposes a ticket_priority change and sees the policy approve it, exiting 0', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['scripts/smoke.ts', '--local', local.url, '--timeout-seconds', '20'],
      { cwd: ROOT },
    );
    expect(stdout).toMatch(
      /review rv-[0-9a-f]{32} is (APPROVED|COMPLETED): approved by policy \(tier low, rule ticket-priority\)/,
    );
    expect(stdout).toMatch(/smoke: OK\s*$/);
  }, 60_000);

  it('exits non-zero with a clear message when nothing answers', async () => {
    const failed = await promisify(execFile)(
      process.execPath,
      ['scripts/smoke.ts', '--local', 'http://127.0.0.1:9', '--timeout-seconds', '1'],
      { cwd: ROOT },
    ).then(
      () => undefined,
      (e: Error & { code?: number; stderr?: string }) => e,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/smoke: FAILED: PutEvents on hitl-dev: .*ECONNREFUSED/);
  }, 30_000);
});
