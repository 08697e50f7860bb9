// The AWS quotas local mode applies on the path of a proposal, each refused past its limit with the error AWS
// answers: Lambda's concurrency, EventBridge's PutEvents rate, Step Functions' StartExecution rate, DynamoDB's
// on-demand throughput (local/dynamodb-throughput.ts). (SES's sending quotas are in local/ses.ts, on the same
// token bucket.) Defaults are AWS's defaults for us-east-1;
// flags (HITL_* in the environment, or `quotas` in startLocal's options) lower them to see what throttling does.
import { AwsError } from './errors.ts';

export interface Quotas {
  /**
   * Lambda's concurrent executions for the account (1,000 by default). A function with `reservedConcurrency`
   * in serverless.yml has that many to itself and no more; the others share what is left (Lambda keeps at
   * least 100 unreserved).
   */
  lambdaConcurrency: number;
  /** EventBridge PutEvents requests a second for the account (10,000 in us-east-1, us-west-2 and eu-west-1). */
  putEventsRate: number;
  /** Step Functions StartExecution for Express workflows: a bucket of 6,000, refilled at 6,000 a second. */
  startExecutionRate: number;
  startExecutionBurst: number;
  /** DynamoDB on demand: write units a second per partition key (reads a third each), 1,000 in AWS. */
  dynamoPartitionWriteUnits: number;
  /** DynamoDB on demand: a new table's write units a second (reads a third each), 4,000 in AWS, unless its WarmThroughput says more. */
  dynamoTableWriteUnits: number;
}

/**
 * AWS's defaults, as their quota pages give them (read 2026-12-02): Lambda quotas ("Concurrent executions:
 * 1,000"), EventBridge quotas ("PutEvents throttle limit in transactions per second"), Step Functions quotas
 * ("API action throttling", StartExecution for Express: bucket 6,000, refill 6,000 a second).
 */
export const AWS_DEFAULT_QUOTAS: Quotas = Object.freeze({
  lambdaConcurrency: 1_000,
  putEventsRate: 10_000,
  startExecutionRate: 6_000,
  startExecutionBurst: 6_000,
  dynamoPartitionWriteUnits: 1_000,
  dynamoTableWriteUnits: 4_000,
});

/** Lambda keeps this much of the account's concurrency unreserved (PutFunctionConcurrency's rule). */
export const UNRESERVED_MINIMUM = 100;

const FLAGS: Record<keyof Quotas, { env: string; min: number; max: number }> = {
  lambdaConcurrency: { env: 'HITL_LAMBDA_CONCURRENCY', min: 1, max: 100_000 },
  putEventsRate: { env: 'HITL_PUTEVENTS_RATE', min: 1, max: 1_000_000 },
  startExecutionRate: { env: 'HITL_START_EXECUTION_RATE', min: 1, max: 1_000_000 },
  startExecutionBurst: { env: 'HITL_START_EXECUTION_BURST', min: 1, max: 1_000_000 },
  dynamoPartitionWriteUnits: { env: 'HITL_DYNAMODB_PARTITION_WCU', min: 1, max: 1_000_000 },
  dynamoTableWriteUnits: { env: 'HITL_DYNAMODB_TABLE_WCU', min: 1, max: 10_000_000 },
};

/** Quotas over AWS's defaults from HITL_LAMBDA_CONCURRENCY, HITL_PUTEVENTS_RATE, HITL_START_EXECUTION_RATE and _BURST. */
export function quotasFrom(env: Record<string, string | undefined>): Quotas {
  const out: Quotas = { ...AWS_DEFAULT_QUOTAS };
  for (const [key, flag] of Object.entries(FLAGS) as [keyof Quotas, (typeof FLAGS)[keyof Quotas]][]) {
    const raw = env[flag.env];
    if (raw === undefined || raw === '') continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < flag.min || n > flag.max)
      throw new Error(`${flag.env} must be a whole number from ${flag.min} to ${flag.max}, not ${JSON.stringify(raw)}`);
    out[key] = n;
  }
  // A StartExecution rate lowered alone lowers the bucket with it, as a lower quota would.
  if (env.HITL_START_EXECUTION_RATE && !env.HITL_START_EXECUTION_BURST)
    out.startExecutionBurst = Math.min(out.startExecutionBurst, out.startExecutionRate);
  return out;
}

/** A token bucket: `burst` tokens at most, `rate` more a second, on the clock it is given. */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #at: number;

  constructor(rate: number, burst: number, now: () => number) {
    this.#rate = rate;
    this.#burst = burst;
    this.#now = now;
    this.#tokens = burst;
    this.#at = now();
  }

  /** Takes `n` tokens if there are that many; false (and nothing taken) if not. */
  take(n = 1): boolean {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + (Math.max(0, now - this.#at) / 1000) * this.#rate);
    this.#at = now;
    if (this.#tokens < n) return false;
    this.#tokens -= n;
    return true;
  }

  /** Gives back what a request took that was refused further on. */
  give(n: number): void {
    this.#tokens = Math.min(this.#burst, this.#tokens + n);
  }
}

/** Requests each quota refused, by the quota's name (what the load test reports as throttles per service). */
export class Throttles {
  readonly #counts = new Map<string, number>();
  count(name: string): void {
    this.#counts.set(name, (this.#counts.get(name) ?? 0) + 1);
  }
  get all(): Record<string, number> {
    return Object.fromEntries(this.#counts);
  }
}

/** EventBridge's answer past its PutEvents rate (HTTP 400, as its other throttles). */
export function putEventsThrottled(): AwsError {
  return new AwsError('ThrottlingException', 'Rate exceeded');
}

/** Step Functions' answer past its StartExecution bucket. */
export function startExecutionThrottled(): AwsError {
  return new AwsError('ThrottlingException', 'Rate exceeded');
}
