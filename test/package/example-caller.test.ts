// The example caller is deployed only where the stage's exampleCaller param asks for it (not in prod),
// in the template and in what local mode reads (`sls print`), since both come from the same setting.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { printServerlessConfig } from '../../local/wiring.ts';
import { slsPackage } from '../support/package.ts';
import { resourcesOfType, type Template } from './cfn.ts';

const ROOT = join(import.meta.dirname, '../..');
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

describe.each([
  {
    stage: 'dev',
    machines: ['IntakeStateMachine', 'ResumeStateMachine', 'ProcurementCallerStateMachine'],
    keys: ['intake', 'resume', 'procurementCaller'],
  },
  { stage: 'prod', machines: ['IntakeStateMachine', 'ResumeStateMachine'], keys: ['intake', 'resume'] },
])('stage $stage', ({ stage, machines, keys }) => {
  it(`packages the state machines ${machines.join(', ')} and nothing of the example caller besides`, async () => {
    const packaged = await slsPackage(stage);
    dirs.push(packaged.dir);
    const template = packaged.template as Template;
    expect(
      resourcesOfType(template, 'AWS::StepFunctions::StateMachine')
        .map(([id]) => id)
        .sort(),
    ).toEqual([...machines].sort());
    if (!machines.includes('ProcurementCallerStateMachine'))
      expect(Object.keys(template.Resources).filter((id) => id.includes('ProcurementCaller'))).toEqual([]);
  }, 120_000);

  it(`gives local mode the state machines ${keys.join(', ')}`, async () => {
    const config = (await printServerlessConfig(ROOT, stage)) as {
      stepFunctions: { stateMachines: Record<string, unknown> };
    };
    expect(Object.keys(config.stepFunctions.stateMachines).sort()).toEqual([...keys].sort());
  }, 60_000);
});
