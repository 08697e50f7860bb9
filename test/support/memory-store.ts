// A ReviewStore in memory, for the use-case tests: the same contract as the DynamoDB adapter (conditional
// saves on the version, single-use nonces, only the mutable fields written, the history appended, the due
// index from attentionAt, the approver index from inboxRows), proven by running test/support/store-contract.ts on both.
import {
  type GrantStore,
  LinkAlreadyUsed,
  MAX_GRANT_USES,
  type ReviewStore,
  type SaveOptions,
  StaleReview,
} from '../../functions/app/ports.ts';
import { type InboxRow, inboxRows, oldestDeadlineFirst } from '../../functions/domain/inbox.ts';
import type { Grant, InvalidProposal } from '../../functions/domain/model.ts';
import { isActive } from '../../functions/domain/standing.ts';
import { attentionAt, type HistoryEntry, MUTABLE_FIELDS, type Review } from '../../functions/domain/review.ts';

const copy = <T>(value: T): T => structuredClone(value);

export class MemoryReviewStore implements ReviewStore {
  readonly #items = new Map<string, Review>();
  readonly #invalid = new Map<string, InvalidProposal>();
  /** Runs before each save's condition is checked: a test's way to let someone else write first. */
  beforeSave: ((prev: Review) => Promise<void> | void) | undefined;
  /** Every save attempted, won or lost. */
  saves = 0;

  async open(review: Review): Promise<{ review: Review; created: boolean }> {
    const existing = this.#items.get(review.id);
    if (existing) return { review: copy(existing), created: false };
    this.#items.set(review.id, copy(review));
    return { review: copy(review), created: true };
  }

  async recordInvalid(record: InvalidProposal): Promise<void> {
    this.#invalid.set(record.reviewId, copy(record));
  }

  async getInvalid(reviewId: string): Promise<InvalidProposal | undefined> {
    const record = this.#invalid.get(reviewId);
    return record ? copy(record) : undefined;
  }

  async get(id: string): Promise<Review | undefined> {
    const item = this.#items.get(id);
    return item ? copy(item) : undefined;
  }

  async due(now: Date, limitPerShard = 100): Promise<{ ids: string[]; itemsRead: number }> {
    const due = [...this.#items.values()]
      .map((r) => ({ id: r.id, at: attentionAt(r) }))
      .filter((r): r is { id: string; at: string } => r.at !== undefined && r.at <= now.toISOString())
      .sort((a, b) => a.at.localeCompare(b.at))
      .slice(0, limitPerShard * 4);
    return { ids: due.map((r) => r.id), itemsRead: due.length };
  }

  async inbox(approverId: string, limit = 100): Promise<{ rows: InboxRow[]; more: boolean; itemsRead: number }> {
    const rows = oldestDeadlineFirst(
      [...this.#items.values()].flatMap((r) => inboxRows(r)).filter((r) => r.approverId === approverId),
    );
    const shown = rows.slice(0, limit);
    return { rows: copy(shown), more: rows.length > limit, itemsRead: shown.length };
  }

  async save(prev: Review, next: Review, entries: HistoryEntry[], options: SaveOptions = {}): Promise<Review> {
    if (next.version !== prev.version + 1) throw new Error('a saved review must advance its version by one');
    this.saves++;
    await this.beforeSave?.(prev);
    const stored = this.#items.get(prev.id);
    const link = options.consumeLink;
    if (!stored || stored.version !== prev.version || (link && stored.usedLinks?.includes(link))) {
      const current = stored ? copy(stored) : undefined;
      if (link && current?.usedLinks?.includes(link))
        throw new LinkAlreadyUsed(`link ${link} was used already`, current);
      throw new StaleReview(`review ${prev.id} changed since version ${prev.version}`, current);
    }
    const written: Record<string, unknown> = { ...stored };
    for (const field of MUTABLE_FIELDS) {
      if (next[field] === undefined) delete written[field];
      else written[field] = copy(next[field]);
    }
    const saved = {
      ...(written as unknown as Review),
      history: [...stored.history, ...copy(entries)],
      ...(link ? { usedLinks: [...(stored.usedLinks ?? []), link] } : {}),
    };
    this.#items.set(prev.id, saved);
    return copy(saved);
  }
}

/** A GrantStore in memory, for the use-case tests: the DynamoDB adapter's conditions (active, under the cap, once per review). */
export class MemoryGrantStore implements GrantStore {
  readonly #items = new Map<string, Grant>();

  async create(grant: Grant): Promise<Grant> {
    const existing = this.#items.get(grant.id);
    if (existing) return copy(existing);
    this.#items.set(grant.id, copy(grant));
    return copy(grant);
  }

  async active(type: string, now: Date): Promise<Grant[]> {
    return [...this.#items.values()].filter((g) => g.scope.type === type && isActive(g, now)).map((g) => copy(g));
  }

  async find(id: string, now: Date): Promise<Grant | undefined> {
    const grant = this.#items.get(id);
    return grant && Date.parse(grant.endsAt) > now.getTime() ? copy(grant) : undefined;
  }

  async claimUse(grant: Grant, reviewId: string, now: Date): Promise<Grant | undefined> {
    const current = this.#items.get(grant.id);
    if (!current) return undefined;
    if (current.usedFor.includes(reviewId)) return copy(current);
    if (!isActive(current, now) || current.uses >= MAX_GRANT_USES) return undefined;
    const next = {
      ...current,
      uses: current.uses + 1,
      lastUsedAt: now.toISOString(),
      usedFor: [...current.usedFor, reviewId],
    };
    this.#items.set(grant.id, next);
    return copy(next);
  }

  async revoke(grant: Grant, revoked: NonNullable<Grant['revoked']>): Promise<Grant> {
    const current = this.#items.get(grant.id);
    if (!current) throw new Error(`no grant ${grant.id}`);
    if (!current.revoked) this.#items.set(grant.id, { ...current, revoked: { ...revoked } });
    return copy(this.#items.get(grant.id) as Grant);
  }

  async byGrantor(personId: string, now: Date): Promise<Grant[]> {
    return [...this.#items.values()]
      .filter((g) => g.grantedBy === personId && Date.parse(g.endsAt) > now.getTime())
      .sort((a, b) => a.endsAt.localeCompare(b.endsAt) || a.id.localeCompare(b.id))
      .map((g) => copy(g));
  }
}
