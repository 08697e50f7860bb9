// What a proposal costs by tier, for `hitl-gate policy replay`'s projection: AWS usage per proposal times list
// prices, and the people's time its review takes. The usage figures are the ones measured in issue 16 until the
// cost model (`npm run cost`) measures them; it can pass its own `Usage` and `Prices` to costPerProposal.
import type { Tier } from '../../../events/index.ts';

/** AWS usage of one proposal, from intake to completion. */
export interface Usage {
  expressRequests: number;
  /** Billed GB-seconds of those executions (64 MB, 100 ms increments). */
  expressGbSeconds: number;
  lambdaRequests: number;
  lambdaGbSeconds: number;
  dynamoWriteUnits: number;
  dynamoReadUnits: number;
  /** Events put on the bus, in 64 KB chunks. */
  events: number;
  emails: number;
  apiRequests: number;
}

/** US dollars per unit, us-east-1 list prices. */
export interface Prices {
  asOf: string;
  expressRequest: number;
  expressGbSecond: number;
  lambdaRequest: number;
  lambdaGbSecond: number;
  dynamoWriteUnit: number;
  dynamoReadUnit: number;
  event: number;
  email: number;
  apiRequest: number;
}

/**
 * us-east-1 list prices: Step Functions Express $1.00 per 1M requests and $0.06 per GB-hour (first 1,000 GB-hours);
 * Lambda arm64 $0.20 per 1M requests and $0.0000133334 per GB-second; DynamoDB on-demand $0.625 per 1M write and
 * $0.125 per 1M read request units; EventBridge $1.00 per 1M custom events; SES $0.10 per 1,000 emails;
 * API Gateway HTTP API $1.00 per 1M requests.
 */
export const US_EAST_1: Prices = {
  asOf: '2026-12-01',
  expressRequest: 1 / 1e6,
  expressGbSecond: 0.06 / 3600,
  lambdaRequest: 0.2 / 1e6,
  lambdaGbSecond: 0.0000133334,
  dynamoWriteUnit: 0.625 / 1e6,
  dynamoReadUnit: 0.125 / 1e6,
  event: 1 / 1e6,
  email: 0.1 / 1000,
  apiRequest: 1 / 1e6,
};

const EXPRESS_RUN_GB_SECONDS = (64 / 1024) * 0.3; // one short Express run: 64 MB for up to 300 ms
const LAMBDA_RUN_GB_SECONDS = (512 / 1024) * 0.1; // one invocation at serverless.yml's 512 MB for about 100 ms

/**
 * Usage per proposal by tier, from issue 16's measurements: an approved review takes 2 Express executions,
 * 6 Lambda invocations, 5 writes of an item of 3-4 KB (4 units each), 3 events, 3 emails and 2 API requests (the
 * page and the decision); a low one, approved automatically, 2 executions, 4 invocations, 2 small writes and
 * 2 events. A critical review takes a second decision (quorum 2): one more write, invocation and page visit.
 */
export const USAGE_BY_TIER: Record<Tier, Usage> = {
  low: {
    expressRequests: 2,
    expressGbSeconds: 2 * EXPRESS_RUN_GB_SECONDS,
    lambdaRequests: 4,
    lambdaGbSeconds: 4 * LAMBDA_RUN_GB_SECONDS,
    dynamoWriteUnits: 2,
    dynamoReadUnits: 1,
    events: 2,
    emails: 0,
    apiRequests: 0,
  },
  medium: reviewed(1),
  high: reviewed(1),
  critical: reviewed(2),
};

function reviewed(decisions: number): Usage {
  return {
    expressRequests: 2,
    expressGbSeconds: 2 * EXPRESS_RUN_GB_SECONDS,
    lambdaRequests: 5 + decisions,
    lambdaGbSeconds: (5 + decisions) * LAMBDA_RUN_GB_SECONDS,
    dynamoWriteUnits: (4 + decisions) * 4,
    dynamoReadUnits: 2 + decisions,
    events: 3,
    emails: 3,
    apiRequests: 2 * decisions,
  };
}

/** US dollars for one proposal of this usage. */
export function costPerProposal(u: Usage, p: Prices = US_EAST_1): number {
  return (
    u.expressRequests * p.expressRequest +
    u.expressGbSeconds * p.expressGbSecond +
    u.lambdaRequests * p.lambdaRequest +
    u.lambdaGbSeconds * p.lambdaGbSecond +
    u.dynamoWriteUnits * p.dynamoWriteUnit +
    u.dynamoReadUnits * p.dynamoReadUnit +
    u.events * p.event +
    u.emails * p.email +
    u.apiRequests * p.apiRequest
  );
}

/** The assumptions of a projection; each is a flag of `replay`. */
export interface Assumptions {
  /** US dollars of AWS per proposal, by tier. */
  awsPerProposal: Record<Tier, number>;
  /** Minutes one approver spends on one approval, by tier (low: none). */
  minutesPerApproval: Record<Exclude<Tier, 'low'>, number>;
  /** US dollars an approver's hour costs. */
  approverHourly: number;
}

export const DEFAULT_ASSUMPTIONS: Assumptions = {
  awsPerProposal: {
    low: costPerProposal(USAGE_BY_TIER.low),
    medium: costPerProposal(USAGE_BY_TIER.medium),
    high: costPerProposal(USAGE_BY_TIER.high),
    critical: costPerProposal(USAGE_BY_TIER.critical),
  },
  minutesPerApproval: { medium: 5, high: 15, critical: 30 },
  approverHourly: 60,
};

/** A month of a policy's proposals: the AWS bill, the approvals (quorum per review), the people's hours and their cost. */
export interface MonthProjection {
  proposals: number;
  approvals: number;
  approverHours: number;
  awsUsd: number;
  peopleUsd: number;
}

/** Projects counted proposals (tier and quorum of each) over `days` to a 30-day month. */
export function projectMonth(
  reviews: readonly { tier: Tier; quorum: number }[],
  days: number,
  a: Assumptions = DEFAULT_ASSUMPTIONS,
): MonthProjection {
  const scale = 30 / days;
  let approvals = 0;
  let minutes = 0;
  let aws = 0;
  for (const r of reviews) {
    aws += a.awsPerProposal[r.tier];
    if (r.tier === 'low') continue;
    approvals += r.quorum;
    minutes += r.quorum * a.minutesPerApproval[r.tier];
  }
  const approverHours = (minutes / 60) * scale;
  return {
    proposals: reviews.length * scale,
    approvals: approvals * scale,
    approverHours,
    awsUsd: aws * scale,
    peopleUsd: approverHours * a.approverHourly,
  };
}
