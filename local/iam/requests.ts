// What IAM sees of a call: its action, the resource ARN and the condition keys AWS sets for it, per
// service, from the request's body. One call can need several checks (a BatchWriteItem's tables, a
// PutEvents entry per bus, a Parameter Store reference to a secret).
import { createHash } from 'node:crypto';
import { ACCOUNT } from '../wiring.ts';
import type { Request } from './evaluate.ts';

type Body = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The signing service of a JSON protocol's X-Amz-Target prefix. */
export function serviceOfTarget(target: string): string | undefined {
  const prefix = target.split('.')[0]!;
  if (prefix.startsWith('DynamoDB_')) return 'dynamodb';
  return (
    { AWSEvents: 'events', AWSStepFunctions: 'states', AmazonSSM: 'ssm', AmazonSQS: 'sqs' } as Record<string, string>
  )[prefix];
}

export function requestsOf(target: string, body: Body, region: string): Request[] {
  const [prefix, op] = target.split('.') as [string, string];
  const service = serviceOfTarget(target);
  if (service === 'dynamodb') {
    const table = (name: string) =>
      name.startsWith('arn:') ? name : `arn:aws:dynamodb:${region}:${ACCOUNT}:table/${name}`;
    const tables = body.RequestItems && typeof body.RequestItems === 'object' ? Object.keys(body.RequestItems) : [];
    const names = str(body.TableName) ? [str(body.TableName)!] : tables;
    if (names.length === 0)
      return [{ action: `dynamodb:${op}`, resource: `arn:aws:dynamodb:${region}:${ACCOUNT}:table/*` }];
    return names.map((n) => ({
      action: `dynamodb:${op}`,
      resource: str(body.IndexName) ? `${table(n)}/index/${str(body.IndexName)}` : table(n),
    }));
  }
  if (service === 'events') {
    if (op !== 'PutEvents') return [{ action: `events:${op}`, resource: '*' }];
    const entries = Array.isArray(body.Entries) ? (body.Entries as Body[]) : [];
    return entries.map((e) => {
      const bus = str(e.EventBusName) ?? 'default';
      return {
        action: 'events:PutEvents',
        resource: bus.startsWith('arn:') ? bus : `arn:aws:events:${region}:${ACCOUNT}:event-bus/${bus}`,
        context: { 'events:source': str(e.Source) ?? '', 'events:detail-type': str(e.DetailType) ?? '' },
      };
    });
  }
  if (service === 'states') {
    const resource = str(body.stateMachineArn) ?? str(body.executionArn) ?? '*';
    return [{ action: `states:${op}`, resource }];
  }
  if (service === 'ssm') {
    const names = Array.isArray(body.Names)
      ? (body.Names as unknown[]).map(String)
      : str(body.Name)
        ? [str(body.Name)!]
        : [];
    return names.flatMap((name) => {
      const checks: Request[] = [
        { action: `ssm:${op}`, resource: `arn:aws:ssm:${region}:${ACCOUNT}:parameter/${name.replace(/^\//, '')}` },
      ];
      // A Secrets Manager reference also needs the secret itself, as AWS checks both.
      const secret = /^\/aws\/reference\/secretsmanager\/(.+)$/.exec(name)?.[1];
      if (secret)
        checks.push({
          action: 'secretsmanager:GetSecretValue',
          resource: `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:${secret}`,
        });
      return checks;
    });
  }
  if (service === 'sqs') {
    // The queue is the last segment of its URL (https://sqs.<region>.amazonaws.com/<account>/<name>); a batch
    // call needs the single call's action (SendMessageBatch is sqs:SendMessage).
    const name = str(body.QueueName) ?? str(body.QueueUrl)?.split('/').pop() ?? '*';
    return [{ action: `sqs:${op.replace(/Batch$/, '')}`, resource: `arn:aws:sqs:${region}:${ACCOUNT}:${name}` }];
  }
  return [{ action: `${prefix}:${op}`, resource: '*' }];
}

/** SES v2 SendEmail: the sending identity and the ses:FromAddress condition key. */
export function sesSendEmail(body: Body, region: string): Request {
  const from = str(body.FromEmailAddress) ?? '';
  const address = (/<([^>]+)>\s*$/.exec(from)?.[1] ?? from).trim();
  return {
    action: 'ses:SendEmail',
    resource: `arn:aws:ses:${region}:${ACCOUNT}:identity/${address}`,
    context: { 'ses:FromAddress': address },
  };
}

/**
 * Lambda's durable execution callbacks. IAM checks them against the durable execution the callback belongs to
 * (`function:<name>:<version>/durable-execution/<execution name>/<execution id>`), which Lambda reads from the
 * callback id. Local mode hosts no durable execution to read, so it names one of this account and region,
 * the same for every call with that id.
 */
export function durableCallback(operation: string, callbackId: string, region: string): Request {
  const execution = createHash('sha256').update(callbackId).digest('hex').slice(0, 32);
  return {
    action: `lambda:${operation}`,
    resource: `arn:aws:lambda:${region}:${ACCOUNT}:function:durable-function:$LATEST/durable-execution/local/${execution}`,
  };
}
