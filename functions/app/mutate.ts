// The one read-decide-write loop of hitl-gate: every change of a review goes through mutate().
import { ReviewBusy } from '../domain/errors.ts';
import type { Review, Transition, Unchanged } from '../domain/model.ts';
import { type ReviewStore, type SaveOptions, StaleReview } from './ports.ts';

/** How many times mutate() decides again after losing a race before it gives up (ReviewBusy, 409). */
export const MAX_ATTEMPTS = 5;

/** What a change decides, given the review as it is now (undefined: there is none); it may throw a domain error. */
export type Decide<T extends Transition | Unchanged> = (review: Review | undefined) => T;

export interface Mutated<T extends Transition | Unchanged> {
  /** What the last decision said. */
  step: T;
  /** The review the decision was made on. */
  before: Review | undefined;
  /** The review as saved, or as it is when nothing changed. */
  review: Review | undefined;
}

/**
 * Reads the review, lets `decide` say what changes, writes that conditionally, and on a lost race decides
 * again on the review the store returned with the failed condition (no second read). After MAX_ATTEMPTS
 * lost races: ReviewBusy, carrying the review as it is.
 */
export async function mutate<T extends Transition | Unchanged>(
  store: ReviewStore,
  id: string,
  decide: Decide<T>,
  options: SaveOptions & {
    /** The review as the caller has just read it: decided on first instead of read again (stale, it loses one race). */
    read?: Review;
  } = {},
): Promise<Mutated<T>> {
  const { read, ...saveOptions } = options;
  let review = read ?? (await store.get(id));
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const step = decide(review);
    if (!('next' in step)) return { step, before: review, review };
    if (!review) throw new Error(`a change of review ${id} was decided on no review`);
    try {
      const saved = await store.save(review, step.next, step.entries, saveOptions);
      return { step, before: review, review: saved };
    } catch (err) {
      if (!(err instanceof StaleReview)) throw err;
      review = err.current ?? (await store.get(id));
    }
  }
  throw new ReviewBusy(id, MAX_ATTEMPTS, review);
}
