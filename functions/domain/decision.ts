// A person's decision on a pending review: approve (possibly with edits, within their authority) or reject with a reason.
// Pure: it returns the next review and the history entries to append with it (the store writes both in one update).
import canonicalize from 'canonicalize';
import { Action, describeIssues } from '../../events/index.ts';
import { actionHash } from './action-hash.ts';
import {
  ActionHashMismatch,
  AlreadyDecided,
  BeyondAuthority,
  DuplicateApproval,
  FieldNotEditable,
  InvalidEdit,
  NotCurrentApprover,
  ReasonRequired,
  SelfApproval,
} from './errors.ts';
import { isRequester, names } from './people.ts';
import { formatMoney, isEditable, PolicyError, tierRank, toMinorUnits } from './policy.ts';
import type { Classification, Policy } from './policy.ts';
import type { Actor, Approval, Change, Decision, HistoryEntry, Review, RouteStep, Transition } from './review.ts';
import {
  actionUnderApproval,
  advance,
  approvalsCounted,
  decisionSubject,
  MAX_REASON_LENGTH,
  valueAt,
} from './review.ts';

// Queries of a review's state, at home in review.ts (they need no policy); re-exported for callers of decisions.
export { actionUnderApproval, approvalsCounted, decisionSubject, MAX_REASON_LENGTH, valueAt };

export interface DecideCommand {
  approverId: string;
  decision: 'approve' | 'reject';
  /** Required to reject; an optional note with an approval. */
  reason?: string;
  /** Dotted field paths (`amount.value`, `payload.body`) to new values; `undefined` removes an optional field. */
  edits?: Record<string, unknown>;
}

/** `decided`: this decision ended the review; `recorded`: an approval counted toward a quorum not yet met. */
export type DecideResult = Transition<'decided' | 'recorded'>;

export function decide(review: Review, command: DecideCommand, policy: Policy, now: Date): DecideResult {
  if (review.status !== 'PENDING') throw new AlreadyDecided(review.id, review.decision);
  const approverId = typeof command.approverId === 'string' ? command.approverId.trim() : '';
  if (approverId && decidesOwnProposal(review, approverId, policy)) throw new SelfApproval(approverId);
  const approver = currentApprover(review.route[review.step], approverId);
  if (!approver) throw new NotCurrentApprover(approverId || '(nobody)');

  if (command.decision === 'reject') return onBehalf(reject(review, approver.id, command, now), approver);
  if (command.decision === 'approve') return onBehalf(approve(review, approver.id, command, policy, now), approver);
  throw new TypeError(`a decision is approve or reject, not ${JSON.stringify(command.decision)}`);
}

/** A delegate's decision says for whom they stood in. */
function onBehalf(result: DecideResult, approver: RouteStep['approvers'][number]): DecideResult {
  const standIn = approver.onBehalfOf;
  if (!standIn) return result;
  const [first, ...rest] = result.entries;
  if (!first) return result;
  const note = `on behalf of ${standIn.name} (away until ${standIn.until})`;
  return { ...result, entries: [{ ...first, note: first.note ? `${note}; ${first.note}` : note }, ...rest] };
}

/** The requester, by id or email, directly or through the directory: they never decide their own proposal. */
export function decidesOwnProposal(review: Review, approverId: string, policy: Policy): boolean {
  const person = policy.directory.person(approverId) ?? { id: approverId };
  const requester = policy.directory.person(review.requestedBy);
  return isRequester(person, review.requestedBy) || (requester !== undefined && requester.id === person.id);
}

function currentApprover(step: RouteStep | undefined, approverId: string): RouteStep['approvers'][number] | undefined {
  if (!step || !approverId) return undefined;
  return step.approvers.find((a) => a.id === approverId) ?? step.approvers.find((a) => names(a, approverId));
}

function cleanReason(reason: unknown, required: boolean): string | undefined {
  const text = typeof reason === 'string' ? reason.trim() : '';
  if (!text) {
    if (required) throw new ReasonRequired();
    return undefined;
  }
  if (text.length > MAX_REASON_LENGTH) {
    throw new ReasonRequired(
      `A ${required ? 'reason' : 'note'} must be at most 2,000 characters; this one has ${text.length.toLocaleString('en-US')}.`,
    );
  }
  return text;
}

const person = (id: string): Actor => ({ id, kind: 'person' });

function reject(review: Review, approverId: string, command: DecideCommand, now: Date): DecideResult {
  const reason = cleanReason(command.reason, true) as string;
  if (command.edits && Object.keys(command.edits).length > 0) throw new InvalidEdit(['a rejection takes no edits']);
  const at = now.toISOString();
  const decision: Decision = {
    outcome: 'rejected',
    by: [person(approverId)],
    at,
    reason,
    // What was on the table when it was rejected: the edited action if an approver had changed it.
    ...decisionSubject(review),
  };
  return {
    kind: 'decided',
    next: advance(review, { status: 'REJECTED', decision }, at),
    entries: [{ at, what: 'rejected', by: person(approverId), note: reason }],
  };
}

function approve(review: Review, approverId: string, command: DecideCommand, policy: Policy, now: Date): DecideResult {
  const note = cleanReason(command.reason, false);
  const at = now.toISOString();
  const current = actionUnderApproval(review);
  const mine: Approval = { approverId, at, actionHash: current.actionHash, ...(note ? { reason: note } : {}) };
  let approvals: Approval[];
  let edit = current.edit;
  const notes: string[] = [];

  const edited =
    command.edits && Object.keys(command.edits).length > 0
      ? applyEdits(current.action, command.edits, review.editable)
      : undefined;
  const editedHash = edited ? actionHash(edited.action) : undefined;
  if (edited && editedHash && editedHash !== current.actionHash) {
    const thisEdit = changesBetween(current.action, edited.action, edited.paths);
    // Back to the proposal as it was is always within the authority of one of its current approvers.
    if (editedHash !== review.actionHash) checkAuthority(review, approverId, edited.action, thisEdit, policy, now);
    const cumulative = changesBetween(review.action, edited.action, [
      ...(current.edit?.changes.map((c) => c.path) ?? []),
      ...edited.paths,
    ]);
    edit =
      editedHash === review.actionHash
        ? undefined
        : { action: edited.action, actionHash: editedHash, by: approverId, at, changes: cumulative };
    notes.push(`changed ${thisEdit.map(describeChange).join(', ')}`);
    if (approvalsCounted(review).some((a) => a.approverId !== approverId))
      notes.push('earlier approvals covered the unedited action and no longer count');
    // Earlier approvals covered another action; from here on only approvals of the edited one count.
    approvals = [{ ...mine, actionHash: editedHash }];
  } else {
    // No edits, or edits that change nothing: a plain approval of the action under approval.
    if (approvalsCounted(review).some((a) => a.approverId === approverId)) throw new DuplicateApproval(approverId);
    approvals = [...(review.approvals ?? []), mine];
  }

  const base: Review = advance(withoutEdit(review), { ...(edit ? { proposedEdit: edit } : {}), approvals }, at);
  const counted = approvalsCounted(base);
  const quorum = Math.max(1, review.quorum);
  if (quorum > 1) notes.unshift(`${Math.min(counted.length, quorum)} of ${quorum} approvals`);
  if (note) notes.push(`note: ${note}`);
  const entries: HistoryEntry[] = [
    { at, what: 'approved', by: person(approverId), ...(notes.length ? { note: notes.join('; ') } : {}) },
  ];

  if (counted.length < quorum) return { kind: 'recorded', next: base, entries };
  const reasons = counted.filter((a) => a.reason);
  const decision: Decision = {
    outcome: 'approved',
    by: counted.map((a) => person(a.approverId)),
    at,
    reason:
      reasons.length === 1 && counted.length === 1
        ? (reasons[0]?.reason ?? '')
        : reasons.map((a) => `${a.approverId}: ${a.reason}`).join('; '),
    ...decisionSubject(base),
  };
  return { kind: 'decided', next: { ...base, status: 'APPROVED', decision }, entries };
}

function withoutEdit(review: Review): Review {
  const { proposedEdit: _dropped, ...rest } = review;
  return rest;
}

// ---------------------------------------------------------------------------------------------------------------
// Edits

/** Segments that would reach an object's prototype rather than a field. */
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'prototype', 'constructor']);

function checkPath(path: string, editable: readonly string[]): void {
  const segments = path.split('.');
  if (segments.some((s) => s === '' || FORBIDDEN_SEGMENTS.has(s)) || !isEditable(editable, path))
    throw new FieldNotEditable(path, editable);
}

type Json = Record<string, unknown>;
const isPlainObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function setAt(root: Json, path: string, value: unknown): void {
  const segments = path.split('.');
  const last = segments.pop() as string;
  let at = root;
  segments.forEach((segment, i) => {
    const child = Object.hasOwn(at, segment) ? at[segment] : undefined;
    if (child === undefined) at[segment] = {};
    else if (!isPlainObject(child))
      throw new InvalidEdit([`${segments.slice(0, i + 1).join('.')}: is not an object, so ${path} cannot be set`]);
    at = at[segment] as Json;
  });
  if (value === undefined) delete at[last];
  else at[last] = value;
}

/** The edited action, checked against the Action schema (and normalised by it, as the proposal was). */
function applyEdits(
  base: Action,
  edits: Record<string, unknown>,
  editable: readonly string[],
): { action: Action; paths: string[] } {
  if (!isPlainObject(edits)) throw new InvalidEdit(['edits must map field paths to values']);
  const paths = Object.keys(edits);
  for (const path of paths) checkPath(path, editable);
  let draft: Json;
  try {
    draft = structuredClone(base) as Json;
    // Shorter paths first, so `payload` and then `payload.body` compose.
    for (const path of [...paths].sort((a, b) => a.split('.').length - b.split('.').length))
      setAt(draft, path, structuredClone(edits[path]));
  } catch (err) {
    if (err instanceof InvalidEdit) throw err;
    throw new InvalidEdit(['the new values must be plain data (text, numbers, lists, objects)']);
  }
  const parsed = Action.safeParse(draft);
  if (!parsed.success) throw new InvalidEdit(describeIssues(parsed.error));
  return { action: parsed.data, paths };
}

const same = (a: unknown, b: unknown) => canonicalize(a) === canonicalize(b);

/** The fields that differ between two actions, among the paths given (a path covered by a shorter one is left out). */
function changesBetween(from: Action, to: Action, paths: readonly string[]): Change[] {
  const unique = [...new Set(paths)].sort();
  return unique
    .filter((p) => !unique.some((q) => p.startsWith(`${q}.`)))
    .map((path) => ({ path, from: valueAt(from, path), to: valueAt(to, path) }))
    .filter((c) => !same(c.from, c.to));
}

function shown(value: unknown): string {
  if (value === undefined) return '(none)';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

const describeChange = (c: Change) => `${c.path} from ${shown(c.from)} to ${shown(c.to)}`;

/**
 * An approver may keep an edit only where they could approve it as proposed: no higher tier than the review's,
 * and a route they are on (or none: the policy would approve it by itself).
 */
function checkAuthority(
  review: Review,
  approverId: string,
  edited: Action,
  changes: readonly Change[],
  policy: Policy,
  now: Date,
): void {
  let lands: Classification;
  try {
    lands = policy.classify(edited, { agentId: review.agentId, requestedBy: review.requestedBy, at: now });
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    throw new BeyondAuthority(
      approverId,
      { tier: review.tier, rule: review.rule },
      `${describeEdit(changes, edited)} leaves nobody but the requester able to approve it; ${approverId} cannot approve it.`,
    );
  }
  const higher = tierRank(lands.tier) > tierRank(review.tier);
  const onRoute = lands.pattern === 'auto' || lands.steps.some((s) => s.approvers.some((p) => p.id === approverId));
  if (!higher && onRoute) return;
  const why = [
    ...(higher ? [`this review is ${review.tier}-tier`] : []),
    ...(onRoute ? [] : [`${approverId} is not among its approvers`]),
  ];
  throw new BeyondAuthority(
    approverId,
    lands,
    `${describeEdit(changes, edited)} makes this a ${lands.tier}-tier ${words(edited.type)} ${routeText(lands)} (rule ${lands.rule}); ${approverId} cannot approve it (${why.join(', and ')}).`,
  );
}

const words = (snake: string) => snake.replace(/_/g, ' ');

function routeText(c: Classification): string {
  if (c.steps.length === 0) return 'approved automatically';
  return `for the ${c.steps.map((s) => s.roles.map(words).join(' or ')).join(', then the ')}`;
}

/** "raising the amount to USD 20,000.00", in words where we know the field, else the paths. */
function describeEdit(changes: readonly Change[], edited: Action): string {
  const parts = changes.map((c) => {
    if (c.path === 'amount.value' && edited.amount) {
      const from = toMinorUnits(c.from);
      const to = toMinorUnits(c.to);
      if (to !== undefined) {
        const verb = from === undefined ? 'setting' : to > from ? 'raising' : 'lowering';
        return `${verb} the amount to ${formatMoney(to, edited.amount.currency)}`;
      }
    }
    if (c.path === 'amount.currency' && edited.amount) return `changing the currency to ${edited.amount.currency}`;
    return `changing ${c.path}`;
  });
  const text = parts.length > 0 ? parts.join(' and ') : 'this edit';
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// ---------------------------------------------------------------------------------------------------------------

/**
 * Before anything is granted: the approved action must still be the one its hash names, and an unedited
 * approval must be of the proposal itself. Throws ActionHashMismatch otherwise.
 */
export function assertApprovedActionIntact(review: Review): void {
  const d = review.decision;
  if (d?.outcome !== 'approved')
    throw new Error(`review ${review.id} has no approved decision (status ${review.status})`);
  let hash: string;
  try {
    hash = actionHash(d.action);
  } catch {
    throw new ActionHashMismatch(review.id, `review ${review.id}: the approved action cannot be hashed`);
  }
  if (hash !== d.actionHash)
    throw new ActionHashMismatch(
      review.id,
      `review ${review.id}: the approved action hashes to ${hash}, not the approved ${d.actionHash}`,
    );
  if (!d.edited && d.actionHash !== review.actionHash) {
    throw new ActionHashMismatch(
      review.id,
      `review ${review.id}: the approval is marked unedited but its action ${d.actionHash} is not the proposal ${review.actionHash}`,
    );
  }
}
