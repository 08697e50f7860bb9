// What an operator is told about, checked in the template `sls deploy` would submit: every alarm
// notifies the alarm topic and watches a resource of this stack, and Intake Failed has its consumer.
import { rm } from 'node:fs/promises';
import { slsPackage } from '../support/package.ts';
import { asList, render, resourcesOfType, type Json, type JsonObject, type Resource, type Template } from './cfn.ts';

let dir: string;
let template: Template;
beforeAll(async () => {
  const packaged = await slsPackage('test');
  dir = packaged.dir;
  template = packaged.template as Template;
}, 120_000);
afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

const props = (r: Resource | undefined): JsonObject => r?.Properties ?? {};
const alarms = () =>
  Object.fromEntries(resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([id, a]) => [id, props(a)]));
/** What an alarm watches, in one comparable line: `AWS/SQS ApproximateNumberOfMessagesVisible QueueName=${IntakeDeadLetterQueue.QueueName} Maximum > 0`. */
const watched = (a: JsonObject) => {
  const dimensions = asList(a.Dimensions).map(
    (d) => `${String((d as JsonObject).Name)}=${render((d as JsonObject).Value)}`,
  );
  const op =
    { GreaterThanThreshold: '>', LessThanThreshold: '<' }[String(a.ComparisonOperator)] ?? String(a.ComparisonOperator);
  return `${String(a.Namespace)} ${String(a.MetricName)} ${dimensions.join(' ')} ${String(a.Statistic)}/${String(a.Period)}s ${op} ${String(a.Threshold)} missing:${String(a.TreatMissingData)}`;
};

describe('alarms', () => {
  it('notifies the alarm topic from every alarm, when it fires and when it clears', () => {
    const all = alarms();
    expect(Object.keys(all).length).toBeGreaterThan(0);
    const topic = { Ref: 'AlarmTopic' };
    expect(template.Resources.AlarmTopic?.Type).toBe('AWS::SNS::Topic');
    expect(
      Object.fromEntries(Object.entries(all).map(([id, a]) => [id, { alarm: a.AlarmActions, ok: a.OKActions }])),
    ).toEqual(Object.fromEntries(Object.keys(all).map((id) => [id, { alarm: [topic], ok: [topic] }])));
  });

  it('watches the dead-letter queues, the Express workflows, Intake Failed events and the sweeper', () => {
    const all = alarms();
    expect({
      IntakeDeadLetterQueueAlarm: watched(all.IntakeDeadLetterQueueAlarm!),
      EscalationDeadLetterQueueAlarm: watched(all.EscalationDeadLetterQueueAlarm!),
      IntakeFailedExecutionsAlarm: watched(all.IntakeFailedExecutionsAlarm!),
      ResumeFailedExecutionsAlarm: watched(all.ResumeFailedExecutionsAlarm!),
      IntakeFailedEventsAlarm: watched(all.IntakeFailedEventsAlarm!),
      SweeperNotRunningAlarm: watched(all.SweeperNotRunningAlarm!),
    }).toEqual({
      IntakeDeadLetterQueueAlarm:
        'AWS/SQS ApproximateNumberOfMessagesVisible QueueName=${IntakeDeadLetterQueue.QueueName} Maximum/300s > 0 missing:notBreaching',
      EscalationDeadLetterQueueAlarm:
        'AWS/SQS ApproximateNumberOfMessagesVisible QueueName=${EscalationDeadLetterQueue.QueueName} Maximum/300s > 0 missing:notBreaching',
      IntakeFailedExecutionsAlarm:
        'AWS/States ExecutionsFailed StateMachineArn=${IntakeStateMachine} Sum/300s > 0 missing:notBreaching',
      ResumeFailedExecutionsAlarm:
        'AWS/States ExecutionsFailed StateMachineArn=${ResumeStateMachine} Sum/300s > 0 missing:notBreaching',
      IntakeFailedEventsAlarm:
        'AWS/Events MatchedEvents EventBusName=${Bus} RuleName=hitl-gate-test-intake-failed Sum/300s > 0 missing:notBreaching',
      // No invocation in 10 minutes, or no data at all, is the sweeper stopped.
      SweeperNotRunningAlarm:
        'AWS/Lambda Invocations FunctionName=${SweepLambdaFunction} Sum/600s < 1 missing:breaching',
    });
  });

  it('watches the errors of every function of the stack, one alarm each', () => {
    const functions = resourcesOfType(template, 'AWS::Lambda::Function').map(([id]) => id);
    expect(functions.length).toBeGreaterThan(0);
    const errorAlarms = Object.values(alarms()).filter(
      (a) => a.Namespace === 'AWS/Lambda' && a.MetricName === 'Errors',
    );
    expect(errorAlarms.map(watched).sort()).toEqual(
      functions.map((id) => `AWS/Lambda Errors FunctionName=\${${id}} Sum/300s > 0 missing:notBreaching`).sort(),
    );
  });

  it('sends every Intake Failed event on the bus to its log group, which lets EventBridge write', () => {
    const rule = props(template.Resources.IntakeFailedRule);
    expect(rule.EventBusName).toEqual({ Ref: 'Bus' });
    expect(rule.Name).toBe('hitl-gate-test-intake-failed');
    expect(rule.EventPattern).toEqual({ source: ['hitl.gate'], 'detail-type': ['Intake Failed'] });
    expect(asList(rule.Targets).map((t) => render((t as JsonObject).Arn))).toEqual(['${IntakeFailedLogGroup.Arn}']);
    expect(props(template.Resources.IntakeFailedLogGroup).LogGroupName).toBe(
      '/aws/events/hitl-gate-test-intake-failed',
    );

    const [policyId, ...others] = resourcesOfType(template, 'AWS::Logs::ResourcePolicy').map(([id]) => id);
    expect(others).toEqual([]);
    const doc = JSON.parse(render(props(template.Resources[policyId!]).PolicyDocument)) as { Statement: JsonObject[] };
    expect(doc.Statement.map((s) => ({ principal: s.Principal, action: s.Action, resource: s.Resource }))).toEqual([
      {
        principal: { Service: ['events.amazonaws.com', 'delivery.logs.amazonaws.com'] },
        action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resource: '${IntakeFailedLogGroup.Arn}',
      },
    ]);
    expect(asList(template.Resources.IntakeFailedRule!.DependsOn)).toContain(policyId);
  });

  it("subscribes the stage's alarmEmail to the topic only when it is set", () => {
    const subscriptions = resourcesOfType(template, 'AWS::SNS::Subscription');
    expect(
      subscriptions.map(([id, s]) => ({
        id,
        condition: (s as Resource & { Condition?: string }).Condition,
        props: props(s),
      })),
    ).toEqual([
      {
        id: 'AlarmEmailSubscription',
        condition: 'HasAlarmEmail',
        props: { TopicArn: { Ref: 'AlarmTopic' }, Protocol: 'email', Endpoint: { Ref: 'AlarmEmail' } },
      },
    ]);
    const conditions = (template as Template & { Conditions?: Record<string, Json> }).Conditions;
    expect(conditions?.HasAlarmEmail).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'AlarmEmail' }, ''] }] });
    // The test stage sets no alarmEmail: the default is no subscription.
    expect(template.Parameters?.AlarmEmail).toEqual(expect.objectContaining({ Type: 'String', Default: '' }));
  });

  it('outputs the alarm topic for operators to subscribe to', () => {
    expect(template.Outputs?.AlarmTopicArn?.Value).toEqual({ Ref: 'AlarmTopic' });
  });
});
