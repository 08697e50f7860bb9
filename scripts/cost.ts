// `npm run cost [-- --proposals N --mix 70/20/8/2 --decide approve|mixed --json]`: runs a mix of proposals
// through local mode with its meter on, decides the reviews as approvers do (the emailed link's page, then
// the decision), and prices what AWS would bill: per proposal, per tier, per million proposals of the mix,
// next to the seed's Standard-workflow design and Lambda durable functions. Emails apart. See docs/cost.md.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { startLocal, type LocalApp } from '../local/app.ts';
import { LocalMeter } from '../local/meter.ts';
import { printServerlessConfig } from '../local/wiring.ts';
import { packagedTemplate } from '../local/iam/template.ts';
import { tasks } from '../local/stepfunctions.ts';
import { reviewIdFor } from '../functions/domain/ids.ts';
import {
  addCounts,
  billOf,
  CostFlagError,
  type CostFlags,
  type CountContext,
  type Counts,
  countUsage,
  type Design,
  emailLine,
  type Line,
  loadPrices,
  parseCostFlags,
  reviewItemWithin1Kb,
  type Proposal,
  proposalOf,
  proposalsPerTier,
  scaleCounts,
  TIERS,
  type Tier,
  total,
} from './cost-model.ts';

const root = resolve(import.meta.dirname, '..');
const LINK = /Open the review to approve, edit or reject: (\S+)/;

async function main(flags: CostFlags): Promise<void> {
  const prices = loadPrices();
  const dataDir = await mkdtemp(join(tmpdir(), 'hitl-cost-'));
  const meter = new LocalMeter();
  // The functions' settings as deployed (INFO logs, EMF metrics on): their output is what CloudWatch Logs would bill.
  const app = await startLocal({ root, port: 0, dataDir, schedules: false, meter });
  const progress = (line: string) => {
    if (!flags.json) process.stderr.write(`${line}\n`);
  };

  try {
    const context = await contextOf(app);
    const perTier = proposalsPerTier(flags.proposals, flags.mix);
    const tiers: Partial<Record<Tier, { proposals: number; perProposal: Counts }>> = {};
    let sequence = 0;
    for (const tier of TIERS) {
      const n = perTier[tier];
      if (!n) continue;
      progress(`${tier}: ${n} proposal(s)...`);
      const mark = meter.mark();
      const proposals = Array.from({ length: n }, () =>
        proposalOf(tier, sequence++, `cost-${process.pid}`, 'cost-agent'),
      );
      await propose(app, proposals);
      const humanDecisions = await decideAll(app, dataDir, proposals, flags.decide);
      await app.idle();
      // The last states' log entries arrive a turn after their executions end.
      await new Promise((r) => setTimeout(r, 20));
      checkOutcomes(app, proposals);
      const counts = countUsage(meter.since(mark), { ...context, proposals: n, humanDecisions });
      tiers[tier] = { proposals: n, perProposal: scaleCounts(counts, 1 / n) };
    }

    // The sweeper runs every minute whatever the traffic: one run with nothing due, times a 30-day month.
    const sweepMark = meter.mark();
    await app.schedules.fire('sweep');
    await app.idle();
    const sweep = countUsage(meter.since(sweepMark), { ...context, proposals: 0, humanDecisions: 0 });
    const sweepsPerMonth = 30 * 24 * 60;

    const MILLION = 1_000_000;
    const mixOf = (perTier: (tier: Tier, c: Counts) => Counts) => {
      let mix: Counts | undefined;
      for (const tier of TIERS) {
        const t = tiers[tier];
        if (!t) continue;
        const share = scaleCounts(perTier(tier, t.perProposal), (MILLION * flags.mix[tier]) / 100);
        mix = mix ? addCounts(mix, share) : share;
      }
      return mix;
    };
    const mix = mixOf((_, c) => c);
    const cutMixes = mix && {
      'every review item write within 1 KB (the most a smaller item saves)': mixOf((_, c) => reviewItemWithin1Kb(c))!,
    };
    const designs: Design[] = ['hitl-gate', 'standard-workflow', 'durable-functions'];
    const report = {
      region: prices.region,
      flags: { proposals: flags.proposals, mix: flags.mix, decide: flags.decide },
      pricesFile: 'cost/prices.us-east-1.json',
      perProposal: Object.fromEntries(
        Object.entries(tiers).map(([tier, t]) => [
          tier,
          {
            proposals: t.proposals,
            counts: t.perProposal,
            usd: Object.fromEntries(designs.map((d) => [d, total(billOf(d, t.perProposal, prices))])) as Record<
              Design,
              number
            >,
            emailsUsd: emailLine(t.perProposal, prices).usd,
          },
        ]),
      ),
      perMillionProposals: mix && {
        counts: mix,
        designs: Object.fromEntries(
          designs.map((d) => {
            const lines = billOf(d, mix!, prices);
            return [d, { usd: total(lines), lines }];
          }),
        ) as Record<Design, { usd: number; lines: Line[] }>,
        emails: emailLine(mix, prices),
        projectedCuts: Object.fromEntries(
          Object.entries(cutMixes!).map(([cut, c]) => [cut, { usd: total(billOf('hitl-gate', c, prices)) }]),
        ),
      },
      fixedPerMonth: {
        sweeps: sweepsPerMonth,
        usd: total(billOf('hitl-gate', scaleCounts(sweep, sweepsPerMonth), prices)),
        lines: billOf('hitl-gate', scaleCounts(sweep, sweepsPerMonth), prices),
      },
    };
    if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else process.stdout.write(text(report));
  } finally {
    await app.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** What the model needs to know of the deployment: memory per function, what the workflows invoke, the access-log format. */
async function contextOf(app: LocalApp): Promise<Omit<CountContext, 'proposals' | 'humanDecisions'>> {
  const config = (await printServerlessConfig(root, app.wiring.stage)) as {
    provider?: { memorySize?: number };
    functions?: Record<string, { memorySize?: number }>;
  };
  const memoryMb = Object.fromEntries(
    app.wiring.functions.map((f) => [
      f.key,
      config.functions?.[f.key]?.memorySize ?? config.provider?.memorySize ?? 1024, // Lambda's default is 1024 MB with osls
    ]),
  );
  const keyOfArn = new Map(app.wiring.functions.map((f) => [f.arn, f.key]));
  const workflowFunctions = new Set<string>();
  const handOffStates = new Set<string>();
  const taskStates = new Set<string>();
  for (const machine of app.wiring.stateMachines)
    for (const [name, state] of tasks(machine.definition)) {
      taskStates.add(name);
      const key = keyOfArn.get(String(state.Resource));
      if (key) workflowFunctions.add(key);
      if (String(state.Resource).startsWith('arn:aws:states:::states:startExecution')) handOffStates.add(name);
    }
  const template = await packagedTemplate(root, app.wiring.stage);
  const stage = Object.values(template.Resources).find((r) => r.Type === 'AWS::ApiGatewayV2::Stage');
  const format = (stage?.Properties?.AccessLogSettings as { Format?: string } | undefined)?.Format;
  return {
    memoryMb,
    workflowFunctions,
    handOffStates,
    taskStates,
    ...(format ? { accessLogFormat: format } : {}),
  };
}

/**
 * The agent's PutEvents with the real SDK client, one proposal at a time, each intake finished before the
 * next: the functions' durations are then measured without queueing behind each other on this machine.
 */
async function propose(app: LocalApp, proposals: Proposal[]): Promise<void> {
  const eventBridge = new EventBridgeClient({
    endpoint: app.url,
    region: app.wiring.region,
    credentials: { accessKeyId: 'agent', secretAccessKey: 'agent' },
  });
  for (const p of proposals) {
    const out = await eventBridge.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: app.wiring.buses[0],
            Source: 'agent.cost',
            DetailType: 'Action Proposed',
            Detail: JSON.stringify(p),
          },
        ],
      }),
    );
    if (out.FailedEntryCount) throw new Error(`PutEvents refused a proposal: ${JSON.stringify(out.Entries)}`);
    await app.idle();
  }
  eventBridge.destroy();
}

/**
 * Decides every review an approver was emailed about, as the approver does: opens the link (the review page),
 * then posts the decision. A quorum takes the next approver's link until the review is decided. `mixed`
 * rejects every fifth review. Returns how many decisions people made.
 */
async function decideAll(
  app: LocalApp,
  dataDir: string,
  proposals: Proposal[],
  decide: 'approve' | 'mixed',
): Promise<number> {
  const outbox = join(dataDir, 'outbox');
  const links = new Map<string, string[]>();
  const seen = new Set<string>();
  for (const file of (await readdir(outbox)).filter((f) => f.endsWith('.eml')).sort()) {
    if (seen.has(file)) continue;
    seen.add(file);
    const message = await app.mail.read(file);
    const url = LINK.exec(message.text)?.[1];
    if (!url) continue;
    const id = decodeURIComponent(new URL(url).pathname.split('/')[2] ?? '');
    links.set(id, [...(links.get(id) ?? []), url]);
  }
  let decisions = 0;
  let reviewed = 0;
  for (const p of proposals) {
    const id = reviewIdFor(p.agentId, p.proposalId);
    const urls = links.get(id);
    if (!urls) continue;
    const reject = decide === 'mixed' && ++reviewed % 5 === 0;
    for (const link of urls) {
      const url = new URL(link);
      const page = await fetch(url, { headers: { accept: 'text/html' } });
      if (page.status !== 200) throw new Error(`the review page of ${id} answered ${page.status}`);
      await page.text();
      const res = await fetch(`${url.origin}${url.pathname}/decision`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({
          token: url.searchParams.get('t'),
          decision: reject ? 'reject' : 'approve',
          ...(reject ? { reason: 'Not this quarter' } : {}),
        }),
      });
      const answer = (await res.json()) as { status?: string };
      if (res.status !== 200)
        throw new Error(`the decision on ${id} was refused: ${res.status} ${JSON.stringify(answer)}`);
      decisions++;
      await app.idle();
      if (answer.status !== 'PENDING') break;
    }
  }
  await app.idle();
  return decisions;
}

/** Every proposal of the run ended with an outcome on the bus: a run that lost one prices nothing. */
function checkOutcomes(app: LocalApp, proposals: Proposal[]): void {
  const decided = new Set(
    app.bus.events
      .filter((e) => e.Source === 'hitl.gate' && /^Approval (Granted|Rejected)$/.test(e.DetailType))
      .map((e) => (JSON.parse(e.Detail) as { reviewId: string }).reviewId),
  );
  const open = proposals.filter((p) => !decided.has(reviewIdFor(p.agentId, p.proposalId)));
  if (open.length) throw new Error(`${open.length} proposal(s) ended with no outcome, e.g. ${open[0]!.proposalId}`);
}

const money = (x: number) => (x >= 100 ? `$${x.toFixed(0)}` : x >= 1 ? `$${x.toFixed(2)}` : `$${x.toPrecision(3)}`);
const qty = (x: number) => (Math.abs(x) >= 100 ? Math.round(x).toLocaleString('en-US') : `${+x.toPrecision(3)}`);

function table(lines: Line[]): string {
  return lines
    .map(
      (l) =>
        `    ${`${l.service}: ${l.item}`.padEnd(66)} ${qty(l.quantity).padStart(16)}  ${money(l.usd).padStart(9)}${l.basis === 'estimated' ? '  (estimated)' : ''}`,
    )
    .join('\n');
}

function text(r: {
  flags: { proposals: number; mix: Record<Tier, number>; decide: string };
  perProposal: Record<string, { proposals: number; counts: Counts; usd: Record<Design, number>; emailsUsd: number }>;
  perMillionProposals?: {
    designs: Record<Design, { usd: number; lines: Line[] }>;
    emails: Line;
    counts: Counts;
    projectedCuts: Record<string, { usd: number }>;
  };
  fixedPerMonth: { sweeps: number; usd: number; lines: Line[] };
}): string {
  const out: string[] = [];
  const m = r.flags.mix;
  out.push(
    `hitl-gate cost model (us-east-1 list prices, cost/prices.us-east-1.json): ${r.flags.proposals} proposals, mix ${m.low}/${m.medium}/${m.high}/${m.critical} low/medium/high/critical, decisions: ${r.flags.decide}`,
    '',
    'Per proposal, by tier (emails apart)',
    `  ${'tier'.padEnd(9)}${'n'.padStart(5)}  ${'Express'.padStart(8)} ${'Lambda'.padStart(7)} ${'WRU'.padStart(6)} ${'RRU'.padStart(6)} ${'events'.padStart(7)} ${'API'.padStart(5)} ${'emails'.padStart(7)} ${'log KB'.padStart(7)}  ${'hitl-gate'.padStart(11)} ${'Standard'.padStart(11)} ${'durable'.padStart(11)} ${'emails'.padStart(11)}`,
  );
  for (const [tier, t] of Object.entries(r.perProposal)) {
    const c = t.counts;
    out.push(
      `  ${tier.padEnd(9)}${String(t.proposals).padStart(5)}  ${qty(c.expressRequests).padStart(8)} ${qty(c.lambdaRequests).padStart(7)} ${qty(c.writeUnits).padStart(6)} ${qty(c.readUnits).padStart(6)} ${qty(c.events).padStart(7)} ${qty(c.apiRequests).padStart(5)} ${qty(c.emails).padStart(7)} ${qty((c.functionLogBytes + c.platformLogBytes + c.accessLogBytes) / 1024).padStart(7)}  ${money(t.usd['hitl-gate']).padStart(11)} ${money(t.usd['standard-workflow']).padStart(11)} ${money(t.usd['durable-functions']).padStart(11)} ${money(t.emailsUsd).padStart(11)}`,
    );
  }
  out.push(
    '',
    'What one proposal does, by tier',
    `  ${'tier'.padEnd(9)}${'transitions'.padStart(12)}${'hand-offs'.padStart(10)}${'Tasks'.padStart(7)}${'decisions'.padStart(10)}${'writes'.padStart(8)}${'index WRU'.padStart(10)}${'failed'.padStart(8)}${'reads'.padStart(7)}${'item KB'.padStart(9)}${'Lambda GB-s'.padStart(13)}${'Express GB-s'.padStart(14)}`,
  );
  for (const [tier, t] of Object.entries(r.perProposal)) {
    const c = t.counts;
    out.push(
      `  ${tier.padEnd(9)}${qty(c.transitions).padStart(12)}${qty(c.handOffs).padStart(10)}${qty(c.taskStates).padStart(7)}${qty(c.humanDecisions).padStart(10)}${qty(c.tableWrites).padStart(8)}${qty(c.indexWriteUnits).padStart(10)}${qty(c.conditionFailedWrites).padStart(8)}${qty(c.tableReads).padStart(7)}${qty(c.largestItemBytes / 1024).padStart(9)}${qty(c.lambdaGbSeconds).padStart(13)}${qty(c.expressGbSeconds).padStart(14)}`,
    );
  }
  if (r.perMillionProposals) {
    const d = r.perMillionProposals.designs;
    out.push('', 'Per 1,000,000 proposals of the mix');
    const names: Record<Design, string> = {
      'hitl-gate': 'hitl-gate today (Express runs, reviews wait in DynamoDB)',
      'standard-workflow': "the seed's design (a Standard workflow per proposal on .waitForTaskToken)",
      'durable-functions': 'Lambda durable functions (waitForCallback)',
    };
    for (const design of Object.keys(d) as Design[])
      out.push(`  ${names[design]}: ${money(d[design].usd)}`, table(d[design].lines));
    out.push(
      `  emails, the same in every design: ${money(r.perMillionProposals.emails.usd)} (${qty(r.perMillionProposals.emails.quantity)} emails)`,
      '',
      'hitl-gate per 1,000,000 proposals after the cuts (projected from the measured counts; emails apart)',
      ...Object.entries(r.perMillionProposals.projectedCuts).map(
        ([cut, p]) =>
          `  ${cut}: ${money(p.usd)} (saves ${money(d['hitl-gate'].usd - p.usd)}, ${(((d['hitl-gate'].usd - p.usd) / d['hitl-gate'].usd) * 100).toFixed(0)}%)`,
      ),
    );
  }
  out.push(
    '',
    `Fixed per month, whatever the traffic: the sweeper, ${r.fixedPerMonth.sweeps.toLocaleString('en-US')} runs with nothing due: ${money(r.fixedPerMonth.usd)}`,
    table(r.fixedPerMonth.lines.filter((l) => l.quantity > 0)),
    '',
    'Measured: counts, sizes and durations in local mode (durations on this machine, not in Lambda). Estimated: see docs/cost.md.',
    '',
  );
  return out.join('\n');
}

let flags: CostFlags;
try {
  flags = parseCostFlags(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof CostFlagError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(2);
}
await main(flags);
