// `npm run cost` end to end: a small mix through local mode, decided from the emailed links, priced; and a
// flag out of range refused before anything starts.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ROOT } from '../support/local.ts';

const run = promisify(execFile);

test('prices four proposals, one of each tier, for the three designs, with the emails apart', async () => {
  const { stdout } = await run(process.execPath, ['scripts/cost.ts', '--proposals', '4', '--json'], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
  const report = JSON.parse(stdout);
  expect(Object.keys(report.perProposal)).toEqual(['low', 'medium', 'high', 'critical']);
  const { low, critical } = report.perProposal;
  // A low-tier proposal nobody waits on ends in the intake execution itself: classify, open, complete.
  expect(low.counts).toMatchObject({
    proposals: 1,
    expressRequests: 1,
    lambdaRequests: 3,
    humanDecisions: 0,
    emails: 0,
    sqsRequests: 0,
  });
  // Its emails went through the notifications queue: queued, received by Lambda's poller, deleted.
  expect(critical.counts.sqsRequests).toBeGreaterThanOrEqual(3);
  // The critical tier needs two distinct approvers: two pages opened, two decisions.
  expect(critical.counts).toMatchObject({ humanDecisions: 2, apiRequests: 4 });
  const designs = report.perMillionProposals.designs;
  expect(designs['hitl-gate'].usd).toBeGreaterThan(0);
  expect(designs['standard-workflow'].usd).toBeGreaterThan(designs['hitl-gate'].usd);
  expect(designs['durable-functions'].lines.map((l: { service: string }) => l.service)).not.toContain('Step Functions');
  expect(report.perMillionProposals.emails.quantity).toBeGreaterThan(0);
  expect(designs['hitl-gate'].lines.map((l: { service: string }) => l.service)).not.toContain('SES');
  expect(designs['hitl-gate'].lines.map((l: { service: string }) => l.service)).toContain('SQS');
}, 120_000);

test('refuses a flag out of range with its range, before starting local mode', async () => {
  await expect(run(process.execPath, ['scripts/cost.ts', '--mix', '70/20/8/3'], { cwd: ROOT })).rejects.toMatchObject({
    code: 2,
    stderr: '--mix percentages must add up to 100, got 70/20/8/3 = 101.\n',
  });
});
