// The cost model: AWS's billing rules applied to what local mode's meter recorded (local/meter.ts), priced
// from cost/prices.us-east-1.json. Pure: no I/O but reading the prices file. `npm run cost` drives it.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Usage } from '../local/meter.ts';

export const PRICE_KEYS = [
  'lambdaRequest',
  'lambdaArmGbSecond',
  'durableOperation',
  'durableDataWrittenGb',
  'durableDataRetainedGbMonth',
  'expressRequest',
  'expressGbSecond',
  'standardTransition',
  'dynamoWriteRequestUnit',
  'dynamoReadRequestUnit',
  'eventBridgeCustomEvent',
  'eventBridgeArchiveGb',
  'httpApiRequest',
  'logsIngestedGb',
  'sqsRequest',
  'sesEmail',
] as const;
export type PriceKey = (typeof PRICE_KEYS)[number];

export interface Price {
  usd: number;
  per: number;
  unit: string;
  source: string;
  date: string;
  checked: 'page' | 'secondary' | 'issue';
}
export interface Prices {
  region: string;
  currency: string;
  prices: Record<PriceKey, Price>;
}

export const PRICES_FILE = resolve(import.meta.dirname, '../cost/prices.us-east-1.json');

/** The prices file, with every price the model uses present and well formed. */
export function loadPrices(file = PRICES_FILE): Prices {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Prices;
  const problems = PRICE_KEYS.flatMap((k) => {
    const p = parsed.prices?.[k];
    if (!p) return [`${k} is missing`];
    return [
      ...(typeof p.usd === 'number' && p.usd >= 0 ? [] : [`${k}.usd must be a number >= 0`]),
      ...(typeof p.per === 'number' && p.per > 0 ? [] : [`${k}.per must be a number > 0`]),
      ...(/^\d{4}-\d{2}-\d{2}$/.test(p.date ?? '') ? [] : [`${k}.date must be YYYY-MM-DD`]),
      ...(p.source ? [] : [`${k}.source is missing`]),
    ];
  });
  if (problems.length) throw new Error(`${file}: ${problems.join('; ')}`);
  return parsed;
}

export const usd = (prices: Prices, key: PriceKey, quantity: number) =>
  (quantity * prices.prices[key].usd) / prices.prices[key].per;

// Billing units, by each service's own rules.

/** Express duration: rounded up to 100 ms, at the workflow's memory in 64 MB chunks (64 MB for small workflows). */
export function expressGbSeconds(durationMs: number, memoryMb = 64): number {
  return ((Math.max(1, Math.ceil(durationMs / 100)) * 100) / 1000) * ((Math.ceil(memoryMb / 64) * 64) / 1024);
}

/** Lambda duration: rounded up to 1 ms, at the function's configured memory. */
export function lambdaGbSeconds(durationMs: number, memoryMb: number): number {
  return (Math.max(1, Math.ceil(durationMs)) / 1000) * (memoryMb / 1024);
}

/** EventBridge bills each 64 KB chunk of an entry as one event. */
export const eventChunks = (entryBytes: number) => Math.max(1, Math.ceil(entryBytes / (64 * 1024)));

/** HTTP API meters a request in 512 KB increments. */
/** SQS bills each 64 KB chunk of a request's payload as one request. */
export const sqsRequests = (bytes: number) => Math.max(1, Math.ceil(bytes / (64 * 1024)));
export const httpApiRequests = (bytes: number) => Math.max(1, Math.ceil(bytes / (512 * 1024)));

const GB = 1024 ** 3;

/**
 * Lambda's own lines per invocation in CloudWatch Logs (START, END, REPORT with the X-Ray trace id, as active
 * tracing writes it), at their real lengths: estimated, since local mode does not print them.
 */
export function platformLogBytes(durationMs: number, memoryMb: number): number {
  const id = '00000000-0000-4000-8000-000000000000';
  const ms = Math.max(1, Math.ceil(durationMs));
  return [
    `START RequestId: ${id} Version: $LATEST\n`,
    `END RequestId: ${id}\n`,
    `REPORT RequestId: ${id}\tDuration: ${durationMs.toFixed(2)} ms\tBilled Duration: ${ms} ms\tMemory Size: ${memoryMb} MB\tMax Memory Used: ${Math.round(memoryMb / 4)} MB\t\nXRAY TraceId: 1-00000000-000000000000000000000000\tSegmentId: 0000000000000000\tSampled: true\t\n`,
  ].reduce((n, line) => n + Buffer.byteLength(line), 0);
}

/** One access-log line of the HTTP API for a request, in the stage's own format (`$context.*` filled in). */
export function accessLogBytes(format: string, route: string, status: number, responseBytes: number): number {
  const [method] = route.split(' ');
  const values: Record<string, string> = {
    requestId: 'AbCdEfGhIjKlMnO=',
    'identity.sourceIp': '203.0.113.10',
    requestTime: '02/Dec/2026:04:24:00 +0000',
    httpMethod: method ?? 'GET',
    routeKey: route,
    status: String(status),
    protocol: 'HTTP/1.1',
    responseLength: String(responseBytes),
  };
  return Buffer.byteLength(`${format.replace(/\$context\.([\w.]+)/g, (_, k: string) => values[k] ?? '-')}\n`);
}

/** What one run of proposals used, in billing units, with the design facts the comparison needs. */
export interface Counts {
  proposals: number;
  /** Decisions people made (each a POST /reviews/{id}/decision). */
  humanDecisions: number;
  expressRequests: number;
  expressGbSeconds: number;
  /** States entered and retried in every execution, as a Standard workflow would count them. */
  transitions: number;
  /** States that exist only to hand a review from one Express execution to the next (StartExecution Tasks). */
  handOffs: number;
  /** Task states run: the steps a durable function would checkpoint. */
  taskStates: number;
  lambdaRequests: number;
  lambdaGbSeconds: number;
  /** Of those, the functions the workflows invoke (a durable function would run them as steps). */
  workflowLambdaRequests: number;
  workflowLambdaGbSeconds: number;
  /** What a durable function would checkpoint: each workflow step's result and each outcome a callback carries. */
  checkpointBytes: number;
  writeUnits: number;
  /** Of the write units, those of index writes. */
  indexWriteUnits: number;
  readUnits: number;
  conditionFailedWrites: number;
  tableWrites: number;
  tableReads: number;
  largestItemBytes: number;
  events: number;
  archiveBytes: number;
  apiRequests: number;
  functionLogBytes: number;
  platformLogBytes: number;
  accessLogBytes: number;
  /** The notifications queue: the functions' sends and visibility changes, Lambda's receives and deletes. */
  sqsRequests: number;
  emails: number;
}

export interface CountContext {
  proposals: number;
  humanDecisions: number;
  /** Each function's configured memory (serverless.yml), by its key. */
  memoryMb: Record<string, number>;
  /** The functions the state machines invoke, by key. */
  workflowFunctions: Set<string>;
  /** The Task states that start another execution. */
  handOffStates: Set<string>;
  /** Every Task state of the state machines. */
  taskStates: Set<string>;
  /** The HTTP API stage's access-log format. */
  accessLogFormat?: string;
}

const OUTCOMES = new Set(['Approval Granted', 'Approval Rejected', 'Approval Expired', 'Approval Cancelled']);

const sum = <T>(xs: T[], f: (x: T) => number) => xs.reduce((n, x) => n + f(x), 0);

export function countUsage(usage: Usage, ctx: CountContext): Counts {
  if (usage.unmetered.length)
    throw new Error(
      `the run used DynamoDB operations the meter does not price: ${[...new Set(usage.unmetered)].join(', ')}`,
    );
  const memory = (fn: string) => {
    const mb = ctx.memoryMb[fn];
    if (mb === undefined) throw new Error(`no configured memory for function ${fn}`);
    return mb;
  };
  const express = usage.executions.filter((e) => e.type === 'EXPRESS');
  const workflow = usage.invocations.filter((i) => ctx.workflowFunctions.has(i.function));
  const states = usage.executions.flatMap((e) => e.states);
  return {
    proposals: ctx.proposals,
    humanDecisions: ctx.humanDecisions,
    expressRequests: express.length,
    expressGbSeconds: sum(express, (e) => expressGbSeconds(e.durationMs)),
    transitions: states.length + sum(usage.executions, (e) => e.retries),
    handOffs: states.filter((s) => ctx.handOffStates.has(s)).length,
    taskStates: states.filter((s) => ctx.taskStates.has(s)).length,
    lambdaRequests: usage.invocations.length,
    lambdaGbSeconds: sum(usage.invocations, (i) => lambdaGbSeconds(i.durationMs, memory(i.function))),
    workflowLambdaRequests: workflow.length,
    workflowLambdaGbSeconds: sum(workflow, (i) => lambdaGbSeconds(i.durationMs, memory(i.function))),
    checkpointBytes:
      sum(workflow, (i) => i.resultBytes) +
      sum(
        usage.events.filter((e) => OUTCOMES.has(e.detailType)),
        (e) => e.entryBytes,
      ),
    writeUnits: sum(usage.table, (t) => t.writeUnits),
    indexWriteUnits: sum(usage.table, (t) => t.indexUnits),
    readUnits: sum(usage.table, (t) => t.readUnits),
    conditionFailedWrites: usage.table.filter((t) => t.conditionFailed).length,
    tableWrites: usage.table.filter((t) => t.writeUnits > 0).length,
    tableReads: usage.table.filter((t) => t.readUnits > 0).length,
    largestItemBytes: Math.max(0, ...usage.table.map((t) => t.itemBytes)),
    events: sum(usage.events, (e) => eventChunks(e.entryBytes)),
    archiveBytes: sum(usage.events, (e) => e.envelopeBytes),
    apiRequests: sum(usage.api, (a) => httpApiRequests(a.requestBytes + a.responseBytes)),
    functionLogBytes: sum(usage.logs, (l) => l.bytes),
    platformLogBytes: sum(usage.invocations, (i) => platformLogBytes(i.durationMs, memory(i.function))),
    accessLogBytes: ctx.accessLogFormat
      ? sum(usage.api, (a) => accessLogBytes(ctx.accessLogFormat!, a.route, a.status, a.responseBytes))
      : 0,
    sqsRequests: sum(usage.sqs, (r) => sqsRequests(r.bytes)),
    emails: sum(usage.emails, (e) => e.recipients),
  };
}

/** Counts divided by `n` (per proposal) or multiplied (per million): every quantity scales alike. */
export function scaleCounts(c: Counts, factor: number): Counts {
  return Object.fromEntries(
    Object.entries(c).map(([k, v]) => [k, k === 'largestItemBytes' ? v : v * factor]),
  ) as unknown as Counts;
}

export function addCounts(a: Counts, b: Counts): Counts {
  return Object.fromEntries(
    Object.entries(a).map(([k, v]) => [
      k,
      k === 'largestItemBytes' ? Math.max(v, b[k as keyof Counts]) : v + b[k as keyof Counts],
    ]),
  ) as unknown as Counts;
}

export interface Line {
  service: string;
  item: string;
  quantity: number;
  unit: string;
  usd: number;
  basis: 'measured' | 'estimated';
}

export type Design = 'hitl-gate' | 'standard-workflow' | 'durable-functions';

/** Days a durable execution's data is kept after it closes (Lambda's default retention). */
export const DURABLE_RETENTION_DAYS = 14;
/**
 * Durable operations one `waitForCallback` takes: its context, the callback and the step that submits the
 * proposal (as AWS's durable execution test runner records them; test/integration/meter-durable.test.ts).
 * A step is one operation.
 */
export const OPERATIONS_PER_CALLBACK = 3;
/** Transitions a Standard workflow takes per human decision: the `.waitForTaskToken` Task and a Choice on the answer. */
export const TRANSITIONS_PER_DECISION = 2;

/**
 * The bill of one design, emails apart, from the same counts. hitl-gate: as measured. The seed's design: one
 * Standard workflow per proposal running the same states in one execution (no hand-off between executions),
 * and per human decision a Task waiting on a token and a Choice on the answer. Durable functions: one durable
 * function per proposal running the workflows' Tasks as steps (but the hand-offs), resumed by each human decision.
 * Everything else (the API, the table, the bus, the functions' logs) is the same in the three.
 */
export function billOf(design: Design, c: Counts, prices: Prices): Line[] {
  const line = (
    service: string,
    item: string,
    quantity: number,
    key: PriceKey,
    basis: Line['basis'] = 'measured',
  ): Line => ({ service, item, quantity, unit: prices.prices[key].unit, usd: usd(prices, key, quantity), basis });
  const shared: Line[] = [
    line('DynamoDB', 'write request units', c.writeUnits, 'dynamoWriteRequestUnit'),
    line('DynamoDB', 'read request units', c.readUnits, 'dynamoReadRequestUnit'),
    line('EventBridge', 'custom events', c.events, 'eventBridgeCustomEvent'),
    line('EventBridge', 'archive (GB)', c.archiveBytes / GB, 'eventBridgeArchiveGb'),
    line('API Gateway', 'HTTP API requests', c.apiRequests, 'httpApiRequest'),
    // Every design must pace its emails at SES's rate: the queue is hitl-gate's way, counted in all three.
    line('SQS', 'requests', c.sqsRequests, 'sqsRequest'),
    line('CloudWatch Logs', 'function output (GB)', c.functionLogBytes / GB, 'logsIngestedGb'),
    line(
      'CloudWatch Logs',
      'Lambda START/END/REPORT and API access logs (GB)',
      (c.platformLogBytes + c.accessLogBytes) / GB,
      'logsIngestedGb',
      'estimated',
    ),
  ];
  // Both designs that run hitl-gate's functions pay for them the same way.
  const lambdaAndShared: Line[] = [
    line('Lambda', 'requests', c.lambdaRequests, 'lambdaRequest'),
    line('Lambda', 'duration (GB-s)', c.lambdaGbSeconds, 'lambdaArmGbSecond'),
    ...shared,
  ];
  if (design === 'hitl-gate')
    return [
      line('Step Functions', 'Express requests', c.expressRequests, 'expressRequest'),
      line('Step Functions', 'Express duration (GB-s)', c.expressGbSeconds, 'expressGbSecond'),
      ...lambdaAndShared,
    ];
  if (design === 'standard-workflow')
    return [
      line(
        'Step Functions',
        'Standard state transitions',
        c.transitions - c.handOffs + TRANSITIONS_PER_DECISION * c.humanDecisions,
        'standardTransition',
        'estimated',
      ),
      ...lambdaAndShared,
    ];
  // One durable invocation per proposal, and one more per callback answered (the function resumes and replays).
  const durableInvocations = c.proposals + c.humanDecisions;
  const written = c.checkpointBytes;
  return [
    line(
      'Lambda durable functions',
      'durable operations',
      c.taskStates - c.handOffs + OPERATIONS_PER_CALLBACK * c.humanDecisions,
      'durableOperation',
      'estimated',
    ),
    line('Lambda durable functions', 'data written (GB)', written / GB, 'durableDataWrittenGb', 'estimated'),
    line(
      'Lambda durable functions',
      `data retained ${DURABLE_RETENTION_DAYS} days (GB-month)`,
      ((written / GB) * DURABLE_RETENTION_DAYS) / 30,
      'durableDataRetainedGbMonth',
      'estimated',
    ),
    line(
      'Lambda',
      'requests',
      c.lambdaRequests - c.workflowLambdaRequests + durableInvocations,
      'lambdaRequest',
      'estimated',
    ),
    line('Lambda', 'duration (GB-s)', c.lambdaGbSeconds, 'lambdaArmGbSecond', 'estimated'),
    ...shared,
  ];
}

export const emailLine = (c: Counts, prices: Prices): Line => ({
  service: 'SES',
  item: 'emails',
  quantity: c.emails,
  unit: prices.prices.sesEmail.unit,
  usd: usd(prices, 'sesEmail', c.emails),
  basis: 'measured',
});

export const total = (lines: Line[]) => lines.reduce((n, l) => n + l.usd, 0);

// The cuts the figures point to (issue 16, item 4), projected from the measured counts.

/** The most a smaller review item saves: every write of it within 1 KB (one unit, and its index writes). */
export function reviewItemWithin1Kb(c: Counts): Counts {
  return { ...c, writeUnits: c.tableWrites + c.indexWriteUnits };
}

// Flags of `npm run cost`.

export const TIERS = ['low', 'medium', 'high', 'critical'] as const;
export type Tier = (typeof TIERS)[number];

export interface CostFlags {
  proposals: number;
  mix: Record<Tier, number>;
  decide: 'approve' | 'mixed';
  json: boolean;
}

export const MAX_PROPOSALS = 5000;
const USAGE =
  'usage: npm run cost -- [--proposals N] [--mix low/medium/high/critical] [--decide approve|mixed] [--json]';

export class CostFlagError extends Error {
  override readonly name = 'CostFlagError';
}

/** One flag of a command line: `--name value` or `--name=value`; `value()` takes the value, or refuses its absence. */
export interface Flag {
  arg: string;
  name: string;
  inline?: string;
  value(): string;
}

/** Walks a script's command line flag by flag; `fail` makes the refusal of a flag without its value. */
export function eachFlag(argv: string[], fail: (message: string) => Error, handle: (flag: Flag) => void): void {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    const inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    handle({
      arg,
      name,
      ...(inline === undefined ? {} : { inline }),
      value: () => {
        const v = inline ?? argv[++i];
        if (v === undefined || v.startsWith('--')) throw fail(`${name} needs a value.`);
        return v;
      },
    });
  }
}

/** A `--mix low/medium/high/critical` of whole percentages that add up to 100; `fail` makes the refusal. */
export function parseMix(v: string, fail: (message: string) => Error): Record<Tier, number> {
  const parts = v.split('/');
  if (parts.length !== 4 || !parts.every((p) => /^\d+$/.test(p)))
    throw fail(
      `--mix must be four whole percentages low/medium/high/critical that add up to 100 (e.g. 70/20/8/2), got "${v}".`,
    );
  const [low, medium, high, critical] = parts.map(Number) as [number, number, number, number];
  if (low + medium + high + critical !== 100)
    throw fail(`--mix percentages must add up to 100, got ${v} = ${low + medium + high + critical}.`);
  return { low, medium, high, critical };
}

/** The command line of `npm run cost`; a flag out of its range is refused with the range it allows. */
export function parseCostFlags(argv: string[]): CostFlags {
  const flags: CostFlags = {
    proposals: 200,
    mix: { low: 70, medium: 20, high: 8, critical: 2 },
    decide: 'approve',
    json: false,
  };
  eachFlag(
    argv,
    (m) => new CostFlagError(`${m} ${USAGE}`),
    ({ arg, name, inline, value }) => {
      switch (name) {
        case '--proposals': {
          const v = value();
          const n = Number(v);
          if (!/^\d+$/.test(v) || n < 1 || n > MAX_PROPOSALS)
            throw new CostFlagError(`--proposals must be a whole number from 1 to ${MAX_PROPOSALS}, got "${v}".`);
          flags.proposals = n;
          break;
        }
        case '--mix':
          flags.mix = parseMix(value(), (m) => new CostFlagError(m));
          break;
        case '--decide': {
          const v = value();
          if (v !== 'approve' && v !== 'mixed')
            throw new CostFlagError(`--decide must be "approve" or "mixed", got "${v}".`);
          flags.decide = v;
          break;
        }
        case '--json':
          if (inline !== undefined) throw new CostFlagError('--json takes no value.');
          flags.json = true;
          break;
        default:
          throw new CostFlagError(`unknown flag "${arg}". ${USAGE}`);
      }
    },
  );
  proposalsPerTier(flags.proposals, flags.mix);
  return flags;
}

/**
 * How many proposals of each tier a run of `n` makes for a mix: by largest remainders, so they add up to n,
 * then at least one of every tier the mix names (the model prices each tier from its own runs), taken from
 * the largest tier.
 */
export function proposalsPerTier(n: number, mix: Record<Tier, number>): Record<Tier, number> {
  const named = TIERS.filter((t) => mix[t] > 0);
  if (n < named.length)
    throw new CostFlagError(
      `--proposals must be at least ${named.length} for this mix (one proposal of each tier it names), got ${n}.`,
    );
  const exact = TIERS.map((t) => ({ t, x: (n * mix[t]) / 100 }));
  const out = Object.fromEntries(exact.map(({ t, x }) => [t, Math.floor(x)])) as Record<Tier, number>;
  let left = n - TIERS.reduce((s, t) => s + out[t], 0);
  for (const { t } of [...exact].sort((a, b) => (b.x % 1) - (a.x % 1))) {
    if (left-- <= 0) break;
    out[t]++;
  }
  for (const t of named.filter((t) => out[t] === 0)) {
    const largest = TIERS.reduce((a, b) => (out[b] > out[a] ? b : a));
    out[largest]--;
    out[t] = 1;
  }
  return out;
}

export interface Proposal {
  proposalId: string;
  agentId: string;
  requestedBy: string;
  action: Record<string, unknown>;
}

/** One proposal of each tier of the shipped policy (policy/default.yml): the seed's examples. */
export function proposalOf(tier: Tier, n: number, run: string, agentId: string): Proposal {
  const base = { proposalId: `${run}-${n}`, agentId, requestedBy: 'sam.rivera' };
  switch (tier) {
    case 'low':
      return {
        ...base,
        action: { type: 'ticket_priority', summary: `Raise ticket ${n} to P2`, target: `ticket/${n}` },
      };
    case 'medium':
      return {
        ...base,
        action: { type: 'purchase_order', summary: `12 laptops (${n})`, amount: { value: 5000, currency: 'USD' } },
      };
    case 'high':
      return {
        ...base,
        action: { type: 'purchase_order', summary: `Servers (${n})`, amount: { value: 50000, currency: 'USD' } },
      };
    case 'critical':
      return {
        ...base,
        action: { type: 'db_schema_change', summary: `Add a column (${n})`, target: 'production/orders' },
      };
  }
}
