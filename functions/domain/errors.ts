// The domain's refusals, each with a stable code; http/errors.ts is the one place that gives them HTTP statuses.
// Messages are written for the person who clicked the link: they never carry a token's internals.
import type { Tier } from '../../events/index.ts';
import type { Decision, Outcome, Review } from './model.ts';

/** Every refusal's code: http/errors.ts must give each a status (the compiler checks it). */
export type DomainErrorCode =
  | 'ReviewNotFound'
  | 'TokenInvalid'
  | 'TokenExpired'
  | 'TokenWrongReview'
  | 'TokenUsed'
  | 'TokenWrongStep'
  | 'NotCurrentApprover'
  | 'SelfApproval'
  | 'AlreadyDecided'
  | 'ReviewBusy'
  | 'ReasonRequired'
  | 'FieldNotEditable'
  | 'InvalidEdit'
  | 'BeyondAuthority'
  | 'DuplicateApproval'
  | 'ActionChanged'
  | 'ActionHashMismatch'
  | 'NotApproved'
  | 'OutcomeMismatch'
  | 'AlreadyExecuted'
  | 'StandingRefused'
  | 'GrantNotFound'
  | 'GrantNotYours';

export class DomainError extends Error {
  /** Stable identifier for clients and logs; the same as the class name. */
  readonly code: DomainErrorCode;
  /** The review as it is, when the refusal is about its state (already decided, busy): shown with the refusal. */
  current: Review | undefined;
  constructor(code: DomainErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    // Set explicitly rather than from the constructor's name, which a bundler may rename.
    this.name = code;
    this.code = code;
  }

  /** The same refusal, carrying the review as it is. */
  about(review: Review | undefined): this {
    this.current = review;
    return this;
  }
}

export function isDomainError(err: unknown): err is DomainError {
  return err instanceof DomainError;
}

export class ReviewNotFound extends DomainError {
  readonly reviewId: string;
  constructor(reviewId: string) {
    const shown = reviewId.length > 80 ? `${reviewId.slice(0, 80)}… (${reviewId.length} characters)` : reviewId;
    super('ReviewNotFound', `There is no review ${shown}.`);
    this.reviewId = reviewId;
  }
}

/** Malformed, tampered, wrongly signed or of another issuer or algorithm: deliberately one reason, no details. */
export class TokenInvalid extends DomainError {
  constructor(message = 'This link is not valid. Use the link from your most recent email.') {
    super('TokenInvalid', message);
  }
}

export class TokenExpired extends DomainError {
  constructor(message = 'This link has expired.') {
    super('TokenExpired', message);
  }
}

export class TokenWrongReview extends DomainError {
  constructor(message = 'This link belongs to another review.') {
    super('TokenWrongReview', message);
  }
}

/** A link sent for an earlier step of the route: it decides only for the step it was sent for. */
export class TokenWrongStep extends DomainError {
  constructor(linkStep: number, currentStep: number) {
    super(
      'TokenWrongStep',
      `This link was sent for step ${linkStep + 1}; the review has moved on to step ${currentStep + 1}. Use the link from your most recent email.`,
    );
  }
}

/** A single-use link that was already used. */
export class TokenUsed extends DomainError {
  constructor(message = 'This link has already been used.') {
    super('TokenUsed', message);
  }
}

/** The link's approver is not among the current step's approvers (e.g. the review was escalated). */
export class NotCurrentApprover extends DomainError {
  readonly approverId: string;
  constructor(approverId: string, message = `${approverId} is not among this review's current approvers.`) {
    super('NotCurrentApprover', message);
    this.approverId = approverId;
  }
}

export class SelfApproval extends DomainError {
  readonly approverId: string;
  constructor(approverId: string) {
    super('SelfApproval', `${approverId} requested this action and cannot decide on it.`);
    this.approverId = approverId;
  }
}

export class AlreadyDecided extends DomainError {
  readonly outcome: Outcome | undefined;
  readonly decision: Decision | undefined;
  constructor(reviewId: string, decision: Decision | undefined) {
    const by = decision?.by.map((a) => a.id).join(', ');
    super(
      'AlreadyDecided',
      decision
        ? `Review ${reviewId} was already ${decision.outcome} by ${by} at ${decision.at}.`
        : `Review ${reviewId} is no longer waiting for a decision.`,
    );
    this.outcome = decision?.outcome;
    this.decision = decision;
  }
}

/** Others kept changing the review while this change was decided again and again: try again later. */
export class ReviewBusy extends DomainError {
  readonly reviewId: string;
  constructor(reviewId: string, attempts: number, current?: Review) {
    super(
      'ReviewBusy',
      `Review ${reviewId} kept changing while this change was being saved (${attempts} attempts); try again.`,
    );
    this.reviewId = reviewId;
    this.current = current;
  }
}

export class ReasonRequired extends DomainError {
  constructor(message = 'A rejection needs a reason.') {
    super('ReasonRequired', message);
  }
}

export class FieldNotEditable extends DomainError {
  readonly path: string;
  readonly editable: readonly string[];
  constructor(path: string, editable: readonly string[]) {
    const may = editable.length > 0 ? `you may change ${editable.join(', ')}` : 'nothing in this action may be changed';
    super('FieldNotEditable', `${path} cannot be changed; ${may}.`);
    this.path = path;
    this.editable = editable;
  }
}

/** The edited action fails the Action schema; one problem per entry, `path: what is wrong`. */
export class InvalidEdit extends DomainError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super('InvalidEdit', `The edited action is not valid: ${problems.join('; ')}.`);
    this.problems = problems;
  }
}

/** The edited action re-classifies to a tier or route outside this approver's authority. */
export class BeyondAuthority extends DomainError {
  readonly approverId: string;
  /** Where the edit lands: its tier and rule. */
  readonly tier: Tier;
  readonly rule: string;
  constructor(approverId: string, lands: { tier: Tier; rule: string }, message: string) {
    super('BeyondAuthority', message);
    this.approverId = approverId;
    this.tier = lands.tier;
    this.rule = lands.rule;
  }
}

export class DuplicateApproval extends DomainError {
  readonly approverId: string;
  constructor(approverId: string) {
    super('DuplicateApproval', `${approverId} has already approved this action.`);
    this.approverId = approverId;
  }
}

/** The decision names the action it was made on (its hash), and the action under approval is another now (an edit). */
export class ActionChanged extends DomainError {
  readonly reviewId: string;
  constructor(reviewId: string) {
    super(
      'ActionChanged',
      `The action of review ${reviewId} changed since you loaded it; nothing was decided. Look at it again.`,
    );
    this.reviewId = reviewId;
  }
}

/** An approved decision whose action no longer matches its hash: nothing may be granted. */
export class ActionHashMismatch extends DomainError {
  readonly reviewId: string;
  constructor(reviewId: string, message: string) {
    super('ActionHashMismatch', message);
    this.reviewId = reviewId;
  }
}

/** An execution report about a review that was not approved (yet, or at all): nothing may run. */
export class NotApproved extends DomainError {
  readonly reviewId: string;
  constructor(reviewId: string, outcome: Outcome | undefined) {
    super(
      'NotApproved',
      outcome
        ? `Review ${reviewId} was ${outcome}, not approved: its action must not run.`
        : `Review ${reviewId} has not been decided yet: its action must not run.`,
    );
    this.reviewId = reviewId;
  }
}

/** An execution report that names another outcome than the review's approval (a stale or mistaken one). */
export class OutcomeMismatch extends DomainError {
  readonly reviewId: string;
  constructor(reviewId: string, outcomeId: string) {
    const shown = outcomeId.length > 80 ? `${outcomeId.slice(0, 80)}…` : outcomeId;
    super(
      'OutcomeMismatch',
      `Outcome ${shown} is not review ${reviewId}'s approval; read its status for the outcomeId.`,
    );
    this.reviewId = reviewId;
  }
}

/** The approval was claimed by another run, or its result is recorded: the action does not run again. */
export class AlreadyExecuted extends DomainError {
  readonly reviewId: string;
  constructor(reviewId: string, message: string) {
    super('AlreadyExecuted', message);
    this.reviewId = reviewId;
  }
}

/** A standing approval asked for beyond what the rule allows or the approver's authority: nothing is written. */
export class StandingRefused extends DomainError {
  constructor(reason: string) {
    super('StandingRefused', `No standing approval: ${reason} Approve without it, or ask for less.`);
  }
}

export class GrantNotFound extends DomainError {
  readonly grantId: string;
  constructor(grantId: string) {
    const shown = grantId.length > 80 ? `${grantId.slice(0, 80)}…` : grantId;
    super('GrantNotFound', `There is no standing approval ${shown}.`);
    this.grantId = grantId;
  }
}

/** A standing approval someone else made: only its granter (or an admin, through the API) revokes it. */
export class GrantNotYours extends DomainError {
  constructor() {
    super('GrantNotYours', 'This standing approval was made by someone else: only they, or an admin, can revoke it.');
  }
}
