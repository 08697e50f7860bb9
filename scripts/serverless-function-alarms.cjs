// Serverless plugin: one CloudWatch alarm on AWS/Lambda Errors for every function of the service, with
// the settings every alarm shares (custom.alarms.common in serverless.yml), so a new function is watched
// without anyone remembering to. One alarm per function rather than one over all with metric math: an
// alarm's math may read at most 10 metrics (there are 13 functions), it costs the same per metric, and
// the alarm's name says which function fails.
class FunctionAlarms {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'package:compileEvents': () => this.addAlarms() };
  }

  addAlarms() {
    const { service } = this.serverless;
    const naming = this.serverless.getProvider('aws').naming;
    const common = service.custom?.alarms?.common;
    if (!common)
      throw new this.serverless.classes.Error(
        'custom.alarms.common is missing: the function alarms take their actions from it',
      );
    const resources = service.provider.compiledCloudFormationTemplate.Resources;
    for (const key of Object.keys(service.functions ?? {})) {
      const functionId = naming.getLambdaLogicalId(key);
      resources[`${functionId.replace(/LambdaFunction$/, '')}ErrorsAlarm`] = {
        Type: 'AWS::CloudWatch::Alarm',
        Properties: {
          ...common,
          AlarmName: `${service.service}-${this.serverless.getProvider('aws').getStage()}-${key}-errors`,
          AlarmDescription: `The ${key} function failed (AWS/Lambda Errors)`,
          Namespace: 'AWS/Lambda',
          MetricName: 'Errors',
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId } }],
          Statistic: 'Sum',
        },
      };
    }
  }
}

module.exports = FunctionAlarms;
