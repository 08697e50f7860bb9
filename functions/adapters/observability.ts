import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logger } from './logger.ts';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'hitl-gate';

/** The product's own metrics (CloudWatch namespace hitl-gate), each counted where its event happens. */
export const Metric = {
  /** open-review: a review created that waits for people (dimension tier); never a duplicate proposal. */
  ReviewsOpened: 'ReviewsOpened',
  /** open-review: a low-tier proposal the policy approved at once. */
  AutoApproved: 'AutoApproved',
  /** decide: an approver's decision recorded (dimension decision: approve | reject). */
  Decisions: 'Decisions',
  /** decide: milliseconds from the review's creation to the decision that closed it. */
  DecisionLatency: 'DecisionLatency',
  /** escalate: a review moved on to its next approvers after an SLA breach. */
  Escalations: 'Escalations',
  /** escalate: a review expired at the end of its route (failed closed). */
  Expiries: 'Expiries',
  /** escalate: a soft review approved at the end of its route, as its tier's onTimeout says. */
  ApprovedOnTimeout: 'ApprovedOnTimeout',
  /** sweep: a pending review past its deadline ("Review SLA Breached" published). */
  SlaBreaches: 'SlaBreaches',
  /** sweep: a decided review whose restart did not complete, re-driven. */
  RestartFailures: 'RestartFailures',
  /** cancel: a pending review withdrawn. */
  Cancellations: 'Cancellations',
  /** send-notifications: milliseconds from an email's queueing to its sending (its wait for its turn). */
  NotificationDelay: 'NotificationDelay',
  /** send-notifications: a send the mail service throttled or paused (retried later, with backoff). */
  NotificationsThrottled: 'NotificationsThrottled',
  /** send-notifications: an email that could not be sent after every retry (it goes to the dead-letter queue). */
  NotificationsNotDelivered: 'NotificationsNotDelivered',
  /** decide: a standing approval granted with an approval. */
  StandingApprovalsGranted: 'StandingApprovalsGranted',
  /** open-review: a proposal approved by a standing approval. */
  StandingApprovalUses: 'StandingApprovalUses',
} as const;
export type MetricName = (typeof Metric)[keyof typeof Metric];

/**
 * Metrics' own warnings go to the structured log, except "No application metrics to publish": most
 * invocations (a page read, a duplicate proposal) count nothing, by design, and would warn each time.
 */
const metricsLog = {
  debug: logger.debug.bind(logger),
  info: logger.info.bind(logger),
  warn: (message: unknown, ...rest: unknown[]) => {
    if (typeof message === 'string' && message.startsWith('No application metrics to publish')) return;
    logger.warn(String(message), ...(rest as []));
  },
  error: logger.error.bind(logger),
};

/** EMF metrics, created once per container; flushed after each invocation by the middleware below. */
export const metrics = new Metrics({
  namespace: 'hitl-gate',
  serviceName,
  defaultDimensions: { stage: process.env.STAGE ?? 'dev' },
  logger: metricsLog,
});

/**
 * X-Ray, created once per container. Outside Lambda (local mode, tests) Powertools disables it by itself:
 * it traces only where AWS_EXECUTION_ENV is set, so nothing tries to reach a daemon there.
 */
export const tracer = new Tracer({ serviceName });

/** Counts one occurrence of a product event; a dimension gets a metric of its own (published at once). */
export function count(name: MetricName, dimensions: Record<string, string> = {}): void {
  if (Object.keys(dimensions).length === 0) {
    metrics.addMetric(name, MetricUnit.Count, 1);
    return;
  }
  const single = metrics.singleMetric();
  for (const [key, value] of Object.entries(dimensions)) single.addDimension(key, value);
  single.addMetric(name, MetricUnit.Count, 1);
}

/** Records a duration in milliseconds. */
export function measure(name: MetricName, milliseconds: number): void {
  metrics.addMetric(name, MetricUnit.Milliseconds, Math.max(0, milliseconds));
}

/**
 * Every handler's observability, first in its middy chain: the trace segment around the whole invocation,
 * the Lambda context on every log line, and the metrics flushed (with a ColdStart count) after it.
 * Responses stay out of the traces: they carry proposals and review pages.
 */
export function observability() {
  return [
    captureLambdaHandler(tracer, { captureResponse: false }),
    injectLambdaContext(logger),
    logMetrics(metrics, { captureColdStartMetric: true }),
  ];
}
