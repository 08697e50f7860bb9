// What a policy that loads may still get wrong: rules that can never match or never win, amount ranges of one
// action type with gaps or overlaps, approver steps that hang on one person. Warnings, not errors: each may be
// meant, but an author should see it before it ships (`hitl-gate policy validate`).
import { formatMoney, MAX_AMOUNT_CENTS } from '../money.ts';
import { describeRange } from './compiled.ts';
import type { Bounds, CompiledMatch, CompiledPolicy, CompiledRule } from './compiled.ts';
import { tierRank } from './model.ts';
import type { Path, Problem } from './model.ts';

/** Exact cents, both ends inclusive: amounts are whole cents, so `gt 999.99` starts at 1,000.00. */
interface CentRange {
  lo: number;
  hi: number;
}

export function centRange(b: Bounds): CentRange {
  const lo = b.min ? b.min.cents + (b.min.inclusive ? 0 : 1) : 0;
  const hi = b.max ? b.max.cents - (b.max.inclusive ? 0 : 1) : MAX_AMOUNT_CENTS;
  return { lo, hi: Math.min(hi, MAX_AMOUNT_CENTS) };
}

function describeCents(r: CentRange, currency: string): string {
  if (r.hi >= MAX_AMOUNT_CENTS) return `from ${formatMoney(r.lo, currency)} up`;
  if (r.lo === r.hi) return `of exactly ${formatMoney(r.lo, currency)}`;
  return `from ${formatMoney(r.lo, currency)} to ${formatMoney(r.hi, currency)}`;
}

/** Why no action can meet the match, or undefined when some can. */
function neverMatches(m: CompiledMatch): string | undefined {
  if (!m.amount) return undefined;
  const r = centRange(m.amount);
  if (r.lo <= r.hi) return undefined;
  const most = formatMoney(MAX_AMOUNT_CENTS, m.amount.currency);
  return `can never match: no amount a proposal can carry (whole cents, at most ${most}) is ${describeRange(m.amount)}`;
}

/** Whether every action `inner` matches is matched by `outer` too (conservative: false when unsure). */
export function covers(outer: CompiledMatch, inner: CompiledMatch): boolean {
  if (outer.types && !inner.types?.every((t) => outer.types?.includes(t))) return false;
  if (outer.agents && !inner.agents?.every((a) => outer.agents?.includes(a))) return false;
  if (outer.hasAmount !== undefined) {
    const innerHas = inner.hasAmount ?? (inner.amount ? true : undefined);
    if (innerHas !== outer.hasAmount) return false;
  }
  if (outer.amount) {
    if (!inner.amount || inner.amount.currency !== outer.amount.currency) return false;
    const o = centRange(outer.amount);
    const i = centRange(inner.amount);
    if (i.lo < o.lo || i.hi > o.hi) return false;
  }
  if (outer.hasTarget !== undefined) {
    const innerHas = inner.hasTarget ?? (inner.targets ? true : undefined);
    if (innerHas !== outer.hasTarget) return false;
  }
  if (outer.targets) {
    // A glob covers another that is the same text, or a plain target it matches; `**` covers every target.
    const covered = (glob: string) =>
      outer.targets?.some(
        (o) =>
          o.glob === '**' || o.glob.toLowerCase() === glob.toLowerCase() || (!/[*?]/.test(glob) && o.re.test(glob)),
      );
    if (!inner.targets?.every((t) => covered(t.glob))) return false;
  }
  return true;
}

/** Rules that match on type and amount alone: the ones whose ranges should tile each type's amounts. */
function isAmountTier(m: CompiledMatch): boolean {
  return !m.agents && !m.targets && m.hasTarget === undefined && m.hasAmount !== false;
}

/** Every warning about a compiled policy, each at the path of the rule or step it is about in `file`. */
export function analysePolicy(c: CompiledPolicy, file: string): Problem[] {
  const warnings: Problem[] = [];
  const warn = (path: Path, rule: string | undefined, message: string) =>
    warnings.push({ file, path, ...(rule === undefined ? {} : { rule }), message });
  const pathOf = (i: number): Path => ['rules', i];

  const dead = new Set<number>();
  c.rules.forEach((r, i) => {
    const why = neverMatches(r.match);
    if (why === undefined) return;
    dead.add(i);
    warn([...pathOf(i), 'match'], r.name, why);
  });

  // Highest tier wins, the first in the file on a tie: a rule another covers and outranks never decides.
  c.rules.forEach((r, i) => {
    if (dead.has(i)) return;
    const winner = c.rules.findIndex(
      (o, j) =>
        j !== i &&
        !dead.has(j) &&
        (tierRank(o.tier) > tierRank(r.tier) || (o.tier === r.tier && j < i)) &&
        covers(o.match, r.match),
    );
    const o = c.rules[winner];
    if (!o) return;
    const why =
      o.tier === r.tier
        ? `rule "${o.name}" (also ${o.tier}, earlier in the file) matches every action it matches and wins the tie`
        : `rule "${o.name}" (${o.tier}) matches every action it matches and outranks it`;
    warn(pathOf(i), r.name, `is shadowed and never decides: ${why}`);
  });

  warnings.push(...amountRanges(c.rules, file, dead));

  const steps: [CompiledRule, Path][] = [...c.rules.map((r, i): [CompiledRule, Path] => [r, pathOf(i)])];
  steps.push([c.fallback, ['default']]);
  for (const [rule, path] of steps) {
    rule.steps.forEach((s, j) => {
      const n = s.people.length;
      if (n > rule.quorum) return;
      const who = `${s.people.map((p) => p.id).join(', ')} (${s.roles.length === 1 ? 'role' : 'roles'} ${s.roles.join(', ')})`;
      const what =
        n === 1
          ? `reaches one person only, ${who}: a single point of failure; when they are away the step can only time out, and when they are the requester it is skipped`
          : `reaches exactly the quorum of ${rule.quorum}, ${who}: every one of them must approve, so one absence stops the step`;
      warn([...path, 'steps', j], rule.name === 'default' ? undefined : rule.name, what);
    });
  }
  return warnings;
}

/** Per action type and currency, the amount rules' ranges: overlaps between two, and amounts none covers. */
function amountRanges(rules: readonly CompiledRule[], file: string, dead: ReadonlySet<number>): Problem[] {
  const out: Problem[] = [];
  const types = [...new Set(rules.flatMap((r) => r.match.types ?? []))];
  for (const type of types) {
    const ofType = rules
      .map((rule, index) => ({ rule, index }))
      .filter(({ rule, index }) => !dead.has(index) && isAmountTier(rule.match))
      .filter(({ rule }) => !rule.match.types || rule.match.types.includes(type));
    const currencies = [...new Set(ofType.flatMap(({ rule }) => rule.match.amount?.currency ?? []))];
    for (const currency of currencies) {
      const ranged = ofType
        .filter(({ rule }) => rule.match.amount?.currency === currency && rule.match.types?.includes(type))
        .map((e) => ({ ...e, range: centRange(e.rule.match.amount as Bounds) }));
      ranged.forEach((a, k) => {
        for (const b of ranged.slice(k + 1)) {
          const lo = Math.max(a.range.lo, b.range.lo);
          const hi = Math.min(a.range.hi, b.range.hi);
          if (lo > hi) continue;
          const decides = tierRank(b.rule.tier) > tierRank(a.rule.tier) ? b.rule : a.rule;
          out.push({
            file,
            path: ['rules', b.index, 'match', 'amount'],
            rule: b.rule.name,
            message: `overlaps rule "${a.rule.name}" for ${type} amounts ${describeCents({ lo, hi }, currency)}; rule "${decides.name}" (${decides.tier}) decides them`,
          });
        }
      });
      // Amounts covered by a rule of the type with no amount condition are no gap.
      if (ofType.some(({ rule }) => !rule.match.amount)) continue;
      let next = 0;
      const gaps: CentRange[] = [];
      for (const { range } of [...ranged].sort((x, y) => x.range.lo - y.range.lo)) {
        if (range.lo > next) gaps.push({ lo: next, hi: range.lo - 1 });
        next = Math.max(next, range.hi + 1);
      }
      if (next <= MAX_AMOUNT_CENTS) gaps.push({ lo: next, hi: MAX_AMOUNT_CENTS });
      const first = ranged[0];
      if (!first) continue;
      for (const gap of gaps) {
        out.push({
          file,
          path: ['rules', first.index, 'match', 'amount'],
          rule: first.rule.name,
          message: `${type} amounts in ${currency} ${describeCents(gap, currency)} match no ${type} rule: the default rule takes them`,
        });
      }
    }
  }
  return out;
}
