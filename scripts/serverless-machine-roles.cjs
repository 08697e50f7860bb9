// Serverless plugin: least privilege for the roles the plugins leave behind.
// - serverless-step-functions grants every Task that starts an execution what the .sync pattern needs as
//   well (describe and stop the child execution, the events rule Step Functions watches it with); a machine
//   with no .sync Task never uses those, so they are removed from its role before the template is written.
// - The framework's shared Lambda role (IamRoleLambdaExecution) stays in the template even when
//   serverless-iam-roles-per-function gave every function its own: a role nothing uses is removed.
const SYNC_ONLY = new Set([
  'states:DescribeExecution',
  'states:StopExecution',
  'events:PutTargets',
  'events:PutRule',
  'events:DescribeRule',
]);

class MachineRoles {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = {
      'before:package:finalize': () => {
        this.trim();
        this.dropUnusedSharedRole();
      },
    };
  }

  dropUnusedSharedRole() {
    const template = this.serverless.service.provider.compiledCloudFormationTemplate;
    const id = 'IamRoleLambdaExecution';
    if (!template.Resources[id]) return;
    const { [id]: _shared, ...others } = template.Resources;
    const rest = JSON.stringify({ others, outputs: template.Outputs ?? {} });
    const used =
      rest.includes(`{"Ref":"${id}"}`) ||
      rest.includes(`["${id}",`) ||
      rest.includes(`"${id}"]`) ||
      rest.includes(`"DependsOn":"${id}"`);
    if (!used) delete template.Resources[id];
  }

  trim() {
    const resources = this.serverless.service.provider.compiledCloudFormationTemplate.Resources;
    for (const machine of Object.values(resources)) {
      if (machine.Type !== 'AWS::StepFunctions::StateMachine') continue;
      if (JSON.stringify(machine.Properties.DefinitionString ?? machine.Properties.Definition ?? '').includes('.sync'))
        continue;
      const roleId = machine.Properties.RoleArn?.['Fn::GetAtt']?.[0];
      const role = roleId && resources[roleId];
      if (role?.Type !== 'AWS::IAM::Role') continue;
      for (const policy of role.Properties.Policies ?? []) {
        const statements = policy.PolicyDocument.Statement;
        policy.PolicyDocument.Statement = statements
          .map((s) => {
            const actions = [].concat(s.Action);
            const kept = actions.filter((a) => !SYNC_ONLY.has(a));
            return kept.length === actions.length ? s : { ...s, Action: kept };
          })
          .filter((s) => [].concat(s.Action).length > 0);
      }
    }
  }
}

module.exports = MachineRoles;
