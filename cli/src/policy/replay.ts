// `hitl-gate policy replay --archive <events> --policy <new.yml> [--baseline <old.yml>]`: every past proposal
// classified by both policies: how many move between tiers, whose route changes, and what the change does to a
// month's approvals, approver-hours and cost (assumptions as flags, defaults in costs.ts).
import type { Tier } from '../../../events/index.ts';
import { buildPolicy } from '../../../functions/domain/policy/classify.ts';
import { type Classification, PolicyError, TIERS } from '../../../functions/domain/policy.ts';
import { type Archive, type PastProposal, readArchive } from './archive.ts';
import { type Assumptions, DEFAULT_ASSUMPTIONS, type MonthProjection, projectMonth } from './costs.ts';
import {
  DEFAULT_POLICY,
  flags,
  loadPolicy,
  numberFlag,
  type Out,
  readText,
  refusedPolicy,
  UsageError,
} from './common.ts';

const USAGE =
  'hitl-gate policy replay --archive <events.jsonl | events.json> --policy <new.yml> [--baseline <old.yml>] [--directory <dir.yml>] [--baseline-directory <dir.yml>] [--days N] [--minutes-medium 5] [--minutes-high 15] [--minutes-critical 30] [--approver-rate 60] [--aws-low USD] [--aws-medium USD] [--aws-high USD] [--aws-critical USD] [--limit 20] [--json]';

const DAY_MS = 86_400_000;

interface Routed {
  tier: Tier;
  rule: string;
  quorum: number;
  /** Each step's roles, SLA and approvers: what a changed route changes. */
  route: string;
}

export interface RouteChange {
  where: string;
  proposalId: string;
  agentId: string;
  action: string;
  from: Routed;
  to: Routed;
}

export function replay(args: string[], io: Out): number {
  const { values } = flags(
    args,
    {
      archive: { type: 'string' },
      policy: { type: 'string' },
      baseline: { type: 'string' },
      directory: { type: 'string' },
      'baseline-directory': { type: 'string' },
      days: { type: 'string' },
      'minutes-medium': { type: 'string' },
      'minutes-high': { type: 'string' },
      'minutes-critical': { type: 'string' },
      'approver-rate': { type: 'string' },
      'aws-low': { type: 'string' },
      'aws-medium': { type: 'string' },
      'aws-high': { type: 'string' },
      'aws-critical': { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
    },
    { max: 0, usage: USAGE },
  );
  if (!values.archive) throw new UsageError(`--archive is required: the events to replay\nusage: ${USAGE}`);
  if (!values.policy) throw new UsageError(`--policy is required: the policy to try\nusage: ${USAGE}`);
  const d = DEFAULT_ASSUMPTIONS;
  const assumptions: Assumptions = {
    awsPerProposal: {
      low: numberFlag(values, 'aws-low', d.awsPerProposal.low),
      medium: numberFlag(values, 'aws-medium', d.awsPerProposal.medium),
      high: numberFlag(values, 'aws-high', d.awsPerProposal.high),
      critical: numberFlag(values, 'aws-critical', d.awsPerProposal.critical),
    },
    minutesPerApproval: {
      medium: numberFlag(values, 'minutes-medium', d.minutesPerApproval.medium),
      high: numberFlag(values, 'minutes-high', d.minutesPerApproval.high),
      critical: numberFlag(values, 'minutes-critical', d.minutesPerApproval.critical),
    },
    approverHourly: numberFlag(values, 'approver-rate', d.approverHourly),
  };
  const limit = numberFlag(values, 'limit', 20);
  const daysFlag = values.days === undefined ? undefined : numberFlag(values, 'days', 0);
  if (daysFlag === 0) throw new UsageError('--days must be more than 0');
  const text = readText(values.archive, 'archive');

  const baselineFile = values.baseline ?? DEFAULT_POLICY;
  let before: ReturnType<typeof loadPolicy>;
  let after: ReturnType<typeof loadPolicy>;
  try {
    before = loadPolicy(baselineFile, values['baseline-directory']);
    after = loadPolicy(values.policy, values.directory);
  } catch (err) {
    return refusedPolicy(err, io);
  }

  const archive = readArchive(text);
  const baseline = buildPolicy(before.compiled);
  const candidate = buildPolicy(after.compiled);
  const matrix = Object.fromEntries(TIERS.map((t) => [t, Object.fromEntries(TIERS.map((u) => [u, 0]))])) as Record<
    Tier,
    Record<Tier, number>
  >;
  const changes: RouteChange[] = [];
  const routedBefore: Routed[] = [];
  const routedAfter: Routed[] = [];
  for (const past of archive.proposals) {
    const from = route(baseline, past, baselineFile, archive);
    const to = route(candidate, past, values.policy, archive);
    if (!from || !to) continue;
    routedBefore.push(from);
    routedAfter.push(to);
    matrix[from.tier][to.tier]++;
    if (from.tier !== to.tier || from.rule !== to.rule || from.route !== to.route) {
      const { proposalId, agentId, action } = past.proposal;
      const what = `${action.type}${action.amount ? ` ${action.amount.currency} ${action.amount.value}` : ''}`;
      changes.push({ where: past.where, proposalId, agentId, action: what, from, to });
    }
  }

  const period = periodOf(archive.proposals, daysFlag);
  const month = {
    baseline: projectMonth(routedBefore, period.days, assumptions),
    policy: projectMonth(routedAfter, period.days, assumptions),
  };
  const report = {
    archive: values.archive,
    baseline: { file: baselineFile, version: before.compiled.version },
    policy: { file: values.policy, version: after.compiled.version },
    replayed: routedBefore.length,
    duplicates: archive.duplicates,
    otherEvents: archive.otherEvents,
    bad: archive.bad,
    period,
    matrix,
    moved: routedBefore.filter((r, i) => r.tier !== routedAfter[i]?.tier).length,
    routeChanged: changes.length,
    changes,
    assumptions,
    month,
  };
  if (values.json) io.out(JSON.stringify(report, null, 2));
  else io.out(describe(report, limit));
  return report.replayed === 0 ? 1 : 0;
}

/** The proposal as a policy routes it, or undefined (recorded as a bad entry) when that policy cannot route it. */
function route(
  policy: ReturnType<typeof buildPolicy>,
  past: PastProposal,
  file: string,
  archive: Archive,
): Routed | undefined {
  let c: Classification;
  try {
    c = policy.classify(past.proposal.action, past.proposal);
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    archive.bad.push({ where: past.where, reason: `${file} cannot route it: ${err.message}` });
    return undefined;
  }
  const steps = c.steps.map(
    (s) =>
      `${s.roles.join('+')} ${s.sla.text}${s.sla.calendar ? `@${s.sla.calendar}` : ''} [${s.approvers.map((a) => a.id).join(', ')}]`,
  );
  return { tier: c.tier, rule: c.rule, quorum: c.quorum, route: steps.join(' -> ') || 'none' };
}

/** The days the archive covers: `--days`, else from its first proposal to its last (at least one day). */
function periodOf(proposals: readonly PastProposal[], days: number | undefined) {
  const times = proposals.flatMap((p) => (p.time ? [Date.parse(p.time)] : []));
  const first = times.length ? new Date(Math.min(...times)).toISOString() : undefined;
  const last = times.length ? new Date(Math.max(...times)).toISOString() : undefined;
  const spanned = times.length ? (Math.max(...times) - Math.min(...times)) / DAY_MS : 0;
  const source = days !== undefined ? '--days' : spanned >= 1 ? 'first to last proposal' : 'at least one day';
  return { days: days ?? Math.max(1, spanned), source, ...(first ? { first } : {}), ...(last ? { last } : {}) };
}

type Report = {
  archive: string;
  baseline: { file: string; version: string };
  policy: { file: string; version: string };
  replayed: number;
  duplicates: number;
  otherEvents: number;
  bad: Archive['bad'];
  period: ReturnType<typeof periodOf>;
  matrix: Record<Tier, Record<Tier, number>>;
  moved: number;
  routeChanged: number;
  changes: RouteChange[];
  assumptions: Assumptions;
  month: { baseline: MonthProjection; policy: MonthProjection };
};

/** Dollars to the cent, or to four significant digits under a dollar (a month of AWS is often cents). */
const usd = (n: number) => {
  const abs = Math.abs(n);
  const text =
    abs > 0 && abs < 1
      ? abs.toPrecision(4)
      : abs.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return `${n < 0 ? '-' : ''}$${text}`;
};
const num = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 1 });
const pad = (s: string, n: number) => s.padStart(n);

function describe(r: Report, limit: number): string {
  const lines = [
    `replayed ${r.replayed} proposals of ${r.archive} with ${r.baseline.file} (${r.baseline.version}) and ${r.policy.file} (${r.policy.version})`,
    `  skipped: ${r.otherEvents} other events, ${r.duplicates} duplicate proposals, ${r.bad.length} bad entries`,
  ];
  for (const b of r.bad) lines.push(`  ${b.where}: ${b.reason}`);
  lines.push('', `tiers (rows: ${r.baseline.file}, columns: ${r.policy.file}); ${r.moved} moved`);
  lines.push(`  ${''.padEnd(10)}${TIERS.map((t) => pad(t, 10)).join('')}`);
  for (const from of TIERS)
    lines.push(`  ${from.padEnd(10)}${TIERS.map((to) => pad(String(r.matrix[from][to]), 10)).join('')}`);

  lines.push(
    '',
    `route changed for ${r.routeChanged} proposals${r.routeChanged > limit ? ` (the first ${limit}; --limit shows more)` : ''}`,
  );
  for (const c of r.changes.slice(0, limit)) {
    lines.push(`  ${c.where}: ${c.proposalId} (${c.agentId}, ${c.action})`);
    lines.push(`    from ${c.from.tier} by ${c.from.rule}: ${c.from.route}`);
    lines.push(`    to   ${c.to.tier} by ${c.to.rule}: ${c.to.route}`);
  }

  const a = r.assumptions;
  const { baseline: b, policy: p } = r.month;
  const span = r.period.first ? `; proposals from ${r.period.first} to ${r.period.last}` : '';
  const period = `${num(r.period.days)} days (${r.period.source}${span})`;
  lines.push(
    '',
    `per 30-day month, from an archive of ${period}:`,
    `  ${''.padEnd(22)}${pad('baseline', 16)}${pad('policy', 16)}${pad('change', 16)}`,
  );
  const row = (label: string, x: number, y: number, f: (n: number) => string) =>
    lines.push(`  ${label.padEnd(22)}${pad(f(x), 16)}${pad(f(y), 16)}${pad(`${y - x > 0 ? '+' : ''}${f(y - x)}`, 16)}`);
  row('proposals', b.proposals, p.proposals, num);
  row('approvals', b.approvals, p.approvals, num);
  row('approver-hours', b.approverHours, p.approverHours, num);
  row('AWS', b.awsUsd, p.awsUsd, usd);
  row("approvers' time", b.peopleUsd, p.peopleUsd, usd);
  row('total', b.awsUsd + b.peopleUsd, p.awsUsd + p.peopleUsd, usd);
  lines.push(
    '',
    `assumptions: an approval takes ${a.minutesPerApproval.medium} min (medium), ${a.minutesPerApproval.high} min (high), ${a.minutesPerApproval.critical} min (critical) of one approver, quorum approvals per review, decided at the first step; an approver's hour costs ${usd(a.approverHourly)};`,
    `  AWS per proposal: ${TIERS.map((t) => `${t} $${a.awsPerProposal[t].toPrecision(3)}`).join(', ')} (cli/src/policy/costs.ts; flags --minutes-<tier>, --approver-rate, --aws-<tier>, --days)`,
  );
  return lines.join('\n');
}
