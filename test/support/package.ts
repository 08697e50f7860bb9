// `sls package` offline into a fresh folder: what `sls deploy` would upload, for the packaging tests.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');

export async function slsPackage(stage: string): Promise<{ dir: string; templateFile: string; template: unknown }> {
  const dir = await mkdtemp(join(tmpdir(), `hitl-package-${stage}-`));
  const sls = join(ROOT, 'node_modules/.bin/sls');
  // The same Node as the tests (24), not whatever `node` is first on PATH.
  await run(process.execPath, [sls, 'package', '--stage', stage, '--package', dir], {
    cwd: ROOT,
    env: { ...process.env, SLS_TELEMETRY_DISABLED: '1' },
    maxBuffer: 16 * 1024 * 1024,
  }).catch((e: Error & { stdout?: string; stderr?: string }) => {
    throw new Error(`sls package --stage ${stage} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  });
  const templateFile = join(dir, 'cloudformation-template-update-stack.json');
  return { dir, templateFile, template: JSON.parse(await readFile(templateFile, 'utf8')) };
}
