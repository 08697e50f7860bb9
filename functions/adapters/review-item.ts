// How a review is stored in its item: as the domain holds it, less what the item already holds elsewhere. Write
// units are charged per 1 KB of the whole item on every write, so a copy of the action (or of a reason) costs on
// each of a review's ten or so writes. Left out, and restored on read from the same item:
//  - a decision's subject (action, hash, whether and how it was edited) when it is the action under approval the
//    item holds (the proposal, or the edit beside it): every decision is made on that action;
//  - an approval's action hash when it is the hash of the action under approval;
//  - the `opened` history entry's note when it is the review's reason (the classification's words, which it is).
// A stored form that carries them (an item written before this, or a value that differs) is read as it is.
import canonicalize from 'canonicalize';
import { actionUnderApproval, decisionSubject, type HistoryEntry, type Review } from '../domain/review.ts';

type Decision = NonNullable<Review['decision']>;
type Approval = Review['approvals'][number];
/** A decision as stored: its subject absent when it is the one the item's action under approval gives. */
type StoredDecision = Omit<Decision, 'action' | 'actionHash' | 'edited'> & Partial<Decision>;
/** An approval as stored: its hash absent when it is the hash of the action under approval. */
type StoredApproval = Omit<Approval, 'actionHash'> & { actionHash?: string };

const SUBJECT = ['action', 'actionHash', 'edited', 'editedBy', 'changes'] as const;

/** The stored form of the fields this module shortens; every other field is stored as it is. */
export function storedFields(review: Review): {
  decision?: StoredDecision;
  approvals: StoredApproval[];
} {
  const { actionHash } = actionUnderApproval(review);
  return {
    ...(review.decision ? { decision: storedDecision(review, review.decision) } : {}),
    approvals: (review.approvals ?? []).map((a) => {
      if (a.actionHash !== actionHash) return a;
      const { actionHash: _same, ...rest } = a;
      return rest;
    }),
  };
}

function storedDecision(review: Review, decision: Decision): StoredDecision {
  const isSubject = (key: string) => (SUBJECT as readonly string[]).includes(key);
  const subject = Object.fromEntries(Object.entries(decision).filter(([k]) => isSubject(k)));
  if (!sameJson(subject, decisionSubject(review))) return decision;
  return Object.fromEntries(Object.entries(decision).filter(([k]) => !isSubject(k))) as StoredDecision;
}

/** History entries as stored: the `opened` entry without its note when the note is the review's reason. */
export function storedEntries(review: Pick<Review, 'reason'>, entries: readonly HistoryEntry[]): HistoryEntry[] {
  return entries.map((e) => {
    if (e.what !== 'opened' || e.note !== review.reason) return e;
    const { note: _reason, ...rest } = e;
    return rest;
  });
}

/** The review a stored item holds, with what its writes left out put back. */
export function restoredReview(stored: Review): Review {
  const review: Review = {
    ...stored,
    history: (stored.history ?? []).map((e) =>
      e.what === 'opened' && e.note === undefined ? { ...e, note: stored.reason } : e,
    ),
  };
  const { actionHash } = actionUnderApproval(review);
  review.approvals = ((stored.approvals ?? []) as StoredApproval[]).map((a) =>
    a.actionHash === undefined ? { ...a, actionHash } : (a as Approval),
  );
  const decision = stored.decision as StoredDecision | undefined;
  if (decision && decision.action === undefined) review.decision = { ...decision, ...decisionSubject(review) };
  return review;
}

/** Equal as RFC 8785 canonical JSON (keys in any order; an absent key and an undefined one alike). */
const sameJson = (a: unknown, b: unknown) => canonicalize(a) === canonicalize(b);
