// `hitl-gate policy test [cases.yml]`: runs a policy's cases (functions/domain/policy/cases.ts) and reports them
// like a test runner: one line per case, what differs on a failure, exit 1 on any failure.
import { runCases } from '../../../functions/domain/policy/cases.ts';
import { formatLocated, type Problem } from '../../../functions/domain/policy.ts';
import { locateProblems, readYaml } from '../../../functions/domain/policy-yaml.ts';
import { flags, loadPolicy, type Out, policyOfCases, readText, refusedPolicy, UsageError } from './common.ts';

const USAGE = 'hitl-gate policy test [cases.yml] [--policy policy.yml] [--directory directory.yml] [--json]';
export const DEFAULT_CASES = 'policy/default.cases.yml';

export function test(args: string[], io: Out): number {
  const { values, positionals } = flags(
    args,
    { policy: { type: 'string' }, directory: { type: 'string' }, json: { type: 'boolean' } },
    { max: 1, usage: USAGE },
  );
  const file = positionals[0] ?? DEFAULT_CASES;
  const policyFile = values.policy ?? policyOfCases(file);
  if (!policyFile)
    throw new UsageError(`name the policy with --policy: ${file} is not named <policy>.cases.yml\nusage: ${USAGE}`);
  const text = readText(file, 'cases file');

  let loaded: ReturnType<typeof loadPolicy>;
  try {
    loaded = loadPolicy(policyFile, values.directory);
  } catch (err) {
    return refusedPolicy(err, io);
  }
  const problems: Problem[] = [];
  const read = readYaml(text, file, problems);
  const ran = read ? runCases(loaded.compiled, read.value, file) : undefined;
  if (!read || !Array.isArray(ran)) {
    if (ran && !Array.isArray(ran)) problems.push(ran);
    for (const p of read ? locateProblems(problems, { [file]: read }) : problems) io.out(formatLocated(p));
    io.out(`${file}: no case ran`);
    return 1;
  }
  const located = { [file]: read };
  const results = ran.map((r) => ({
    ...r,
    line: read.locate(r.path)?.line,
    problems: locateProblems(r.problems, located).map(formatLocated),
  }));
  const failed = results.filter((r) => !r.passed).length;
  const passed = results.length - failed;
  if (values.json) {
    const summary = { file, policy: policyFile, version: loaded.compiled.version, passed, failed };
    io.out(JSON.stringify({ ...summary, cases: results }, null, 2));
    return failed ? 1 : 0;
  }
  io.out(`${file} against ${policyFile} (version ${loaded.compiled.version})`);
  for (const r of results) {
    const at = r.passed || r.line === undefined ? '' : ` (${file}:${r.line})`;
    io.out(`  ${r.passed ? '✓' : '✗'} ${r.name}${at}`);
    for (const d of [...r.problems, ...r.diffs]) io.out(`      ${d}`);
    if (!r.passed && r.reason) io.out(`      why: ${r.reason}`);
  }
  io.out(`${results.length} cases: ${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}
