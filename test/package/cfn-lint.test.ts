// AWS's own CloudFormation linter on the template `sls deploy` would submit, for two stages: an error
// here is a deploy CloudFormation would refuse (e.g. a circular dependency), caught offline.
import { rm } from 'node:fs/promises';
import { run, slsPackage } from '../support/package.ts';

/**
 * Findings accepted, each with its reason; anything else fails. Errors are never accepted.
 * W3005 (redundant DependsOn): serverless-iam-roles-per-function and the framework's HTTP API add a
 * DependsOn next to a GetAtt/Ref to the same resource. Harmless: the order is the same either way.
 */
const ACCEPTED_WARNINGS = new Set(['W3005']);

interface Finding {
  Level: 'Error' | 'Warning' | 'Informational';
  Message: string;
  Rule: { Id: string };
  Location: { Path: (string | number)[] };
}

async function lint(templateFile: string): Promise<Finding[]> {
  // cfn-lint exits non-zero whenever it finds anything; the JSON on stdout is the answer either way.
  const out = await run('cfn-lint', ['--format', 'json', '--', templateFile], { maxBuffer: 16 * 1024 * 1024 }).catch(
    (e: Error & { stdout?: string; code?: number }) => {
      if (e.stdout === undefined || e.stdout === '')
        throw new Error(`cfn-lint did not run (install it: pip install cfn-lint): ${e.message}`);
      return { stdout: e.stdout };
    },
  );
  return JSON.parse(out.stdout) as Finding[];
}

describe.each(['dev', 'prod'])('cfn-lint on the template packaged for stage %s', (stage) => {
  let findings: Finding[] = [];
  let dir: string | undefined;

  beforeAll(async () => {
    const packaged = await slsPackage(stage);
    dir = packaged.dir;
    findings = await lint(packaged.templateFile);
  }, 120_000);

  afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

  const show = (f: Finding) => `${f.Rule.Id} ${f.Location.Path.join('/')}: ${f.Message}`;

  it('reports no errors (CloudFormation would refuse the template)', () => {
    expect(findings.filter((f) => f.Level === 'Error').map(show)).toEqual([]);
  });

  it('reports no warnings but those accepted, with their reason, above', () => {
    expect(findings.filter((f) => f.Level === 'Warning' && !ACCEPTED_WARNINGS.has(f.Rule.Id)).map(show)).toEqual([]);
  });
});
