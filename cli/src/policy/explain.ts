// `hitl-gate policy explain <proposal.json | ->`: what the policy does with one proposal, and by when.
import { DetailType } from '../../../events/index.ts';
import { type Explanation, explainProposal } from '../../../functions/domain/policy/explain.ts';
import { PATTERN_TEXT, PolicyError } from '../../../functions/domain/policy.ts';
import {
  checkProposal,
  DEFAULT_POLICY,
  detailOf,
  flags,
  loadPolicy,
  type Out,
  readText,
  refusedPolicy,
  UsageError,
} from './common.ts';

const USAGE =
  'hitl-gate policy explain <proposal.json | -> [--policy policy.yml] [--directory directory.yml] [--now 2026-12-01T09:00:00Z] [--json]';

export function explain(args: string[], io: Out): number {
  const { values, positionals } = flags(
    args,
    {
      policy: { type: 'string' },
      directory: { type: 'string' },
      now: { type: 'string' },
      json: { type: 'boolean' },
    },
    { max: 1, usage: USAGE },
  );
  const source = positionals[0];
  if (source === undefined) throw new UsageError(`name the proposal file, or - for standard input\nusage: ${USAGE}`);
  const now = values.now === undefined ? new Date() : new Date(values.now);
  if (Number.isNaN(now.getTime()))
    throw new UsageError(`--now must be a time such as 2026-12-01T09:00:00Z, not ${JSON.stringify(values.now)}`);
  const text = readText(source, 'proposal');
  const name = source === '-' ? 'standard input' : source;

  let loaded: ReturnType<typeof loadPolicy>;
  try {
    loaded = loadPolicy(values.policy ?? DEFAULT_POLICY, values.directory);
  } catch (err) {
    return refusedPolicy(err, io);
  }

  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    io.out(`${name} is not JSON: ${(err as Error).message}`);
    return 1;
  }
  let event: ReturnType<typeof detailOf>;
  try {
    event = detailOf(value);
  } catch (err) {
    io.out(`${name}: ${(err as Error).message}`);
    return 1;
  }
  if (event.detailType !== undefined && event.detailType !== DetailType.ActionProposed) {
    io.out(`${name} is a "${event.detailType}" event; explain takes an "${DetailType.ActionProposed}" one`);
    return 1;
  }
  const detail = event.detail;
  const checked = checkProposal(detail);
  if ('problems' in checked) {
    io.out(`${name} is not a valid Action Proposed detail (intake would refuse it as invalid):`);
    for (const p of checked.problems) io.out(`  ${p}`);
    return 1;
  }
  let explanation: Explanation;
  try {
    explanation = explainProposal(loaded.compiled, checked.proposal, now);
  } catch (err) {
    // The one refusal classify can give: nobody but the requester could approve it.
    if (!(err instanceof PolicyError)) throw err;
    io.out(`${name}: ${err.message}`);
    return 1;
  }
  io.out(values.json ? JSON.stringify(explanation, null, 2) : describe(explanation));
  return 0;
}

/** `Mon 2026-12-07 12:00 UTC`: the weekday matters when calendars are involved. */
export function when(iso: string): string {
  const day = new Date(iso).toLocaleDateString('en-GB', { weekday: 'short', timeZone: 'UTC' });
  return `${day} ${iso.slice(0, 16).replace('T', ' ')} UTC`;
}

function describe(e: Explanation): string {
  const p = e.proposal;
  const lines = [
    `proposal ${p.proposalId}: ${p.type} "${p.summary}", by agent ${p.agentId} for ${p.requestedBy}`,
    `policy version ${e.policyVersion}, explained at ${when(e.now)}`,
    '',
    `tier:  ${e.tier} (${PATTERN_TEXT[e.pattern]})`,
    `rule:  ${e.rule}`,
    `why:   ${e.reason}`,
    '',
    e.matching.length
      ? `matching rules (${e.matching.length}; the highest tier wins, the first in the file on a tie):`
      : 'matching rules: none, so the default rule applies',
    ...e.matching.map(
      (m) =>
        `  ${m.wins ? '*' : ' '} ${m.rule} (${m.tier})${m.because.length ? `: ${m.because.join(', ')}` : ': matches every action'}`,
    ),
  ];
  if (e.pattern === 'auto') {
    lines.push('', `route: none; ${e.onTimeout.what}`);
  } else {
    const from = e.route.byDefaultRoute
      ? `the default rule's, since every step of rule ${e.rule} needs the requester`
      : `rule ${e.route.from}'s`;
    lines.push('', `route (${from}; ${e.route.quorum} approval${e.route.quorum === 1 ? '' : 's'} per step):`);
    for (const s of e.route.steps) {
      const sla = `${s.sla}${s.calendar ? ` of working time on ${s.calendar}` : ''}`;
      const head = `  ${s.step}. ${s.roles.join(', ')}, ${sla}`;
      if (s.skipped) {
        lines.push(`${head}: skipped (without the requester it cannot reach the quorum)`);
      } else {
        lines.push(`${head}: from ${when(s.starts ?? e.now)}, due ${when(s.due ?? e.now)}`);
        for (const r of s.reminders ?? []) lines.push(`       reminder at ${r.percent}%: ${when(r.at)}`);
      }
      const who = s.approvers.map(
        (a) => `${a.id} (${a.name}${a.onBehalfOf ? `, for ${a.onBehalfOf.id}, away until ${a.onBehalfOf.until}` : ''})`,
      );
      lines.push(`     approvers: ${who.join(', ') || 'nobody'}`);
      if (s.leftOut.length) lines.push(`     left out as the requester: ${s.leftOut.join(', ')}`);
    }
    const t = e.onTimeout;
    const at = t.at ? ` at ${when(t.at)}, step ${t.afterStep}'s deadline,` : '';
    lines.push('', `on timeout (${t.setting}):${at} ${t.what}`);
  }
  if (e.notify.length) lines.push(`notify: ${e.notify.join(', ')}`);
  if (e.editable.length) lines.push(`editable by the approver: ${e.editable.join(', ')}`);
  if (e.standing) {
    const s = e.standing;
    lines.push(
      `standing approval: with the approval, ${s.grantors.join(', ') || 'nobody'} (${s.grantedBy.join(', ')}) may allow later proposals for up to ${s.maxDuration}: ${s.describe}`,
    );
  }
  return lines.join('\n');
}
