import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { attentionAt, MUTABLE_FIELDS, type HistoryEntry, type Review } from '../domain/review.ts';
import { ReviewBusy } from '../domain/errors.ts';
import { tracer } from './observability.ts';

/** Thrown when a conditional write lost a race; carries the review as it is now, when DynamoDB returned it. */
export class StaleReview extends Error {
  override readonly name: string = 'StaleReview';
  readonly current: Review | undefined;
  constructor(message: string, current?: Review) {
    super(message);
    this.current = current;
  }
}

/** How many times mutate() decides again after losing a race before it gives up (ReviewBusy). */
export const MAX_ATTEMPTS = 5;

/**
 * What a change decides, given the review as it is: a state change to write conditionally (and what to
 * answer once it is written), or an answer that needs no write (`done`).
 */
export type Change<T> = { next: Review; entries: HistoryEntry[]; result: T; consumeLink?: string } | { done: T };

/** Number of due-index shards: spreads writes of many reviews due at the same minute. */
export const DUE_SHARDS = 4;

// The only module that knows the table's key design.
export const keys = {
  review: (id: string) => ({ pk: `REVIEW#${id}`, sk: 'META' }),
  dueShard: (id: string) => `DUE#${parseInt(id.slice(-4), 16) % DUE_SHARDS}`,
};

/**
 * The due index holds a review only while it needs the sweeper some day: waiting for its deadline, or
 * decided but not completed. Completed reviews leave it, so a sweep reads what is due, not the backlog.
 */
function indexAttributes(review: Review): Record<string, string> {
  const at = attentionAt(review);
  return at ? { dueShard: keys.dueShard(review.id), dueAt: at } : {};
}

/** Epoch seconds when DynamoDB's TTL may remove a completed review: its completion plus the retention. */
function expiresAt(review: Review, retentionDays: number): number | undefined {
  if (review.status !== 'COMPLETED') return undefined;
  return Math.floor(Date.parse(review.updatedAt) / 1000) + retentionDays * 86_400;
}

function toReview(item: Record<string, unknown>): Review {
  const { pk: _pk, sk: _sk, entity: _e, dueShard: _d, dueAt: _a, expiresAt: _x, usedLinks, ...review } = item;
  // A string set comes back as a Set; the review carries a plain list.
  return {
    ...review,
    ...(usedLinks instanceof Set ? { usedLinks: [...usedLinks] as string[] } : {}),
  } as unknown as Review;
}

export interface SaveOptions {
  /** A single-use link's nonce, claimed in the same conditional write as the decision it carries. */
  consumeLink?: string;
}

/** Thrown when a single-use link's nonce was claimed already. */
export class LinkAlreadyUsed extends StaleReview {
  override readonly name = 'LinkAlreadyUsed';
}

export interface TableOptions {
  /** Days a completed review is kept before the table's TTL (attribute expiresAt) removes it. */
  retentionDays?: number;
}

export class ReviewsTable {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #retentionDays: number;

  constructor(doc: DynamoDBDocumentClient, table: string, options: TableOptions = {}) {
    this.#doc = doc;
    this.#table = table;
    this.#retentionDays = options.retentionDays ?? 365;
  }

  /** Conditional put: the first event for a proposal creates the review; a duplicate gets the existing one. */
  async open(review: Review): Promise<{ review: Review; created: boolean }> {
    try {
      await this.#doc.send(
        new PutCommand({
          TableName: this.#table,
          Item: { ...keys.review(review.id), entity: 'review', ...review, ...indexAttributes(review) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { review, created: true };
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const existing = await this.get(review.id);
      if (!existing) throw err;
      return { review: existing, created: false };
    }
  }

  /** Ids of reviews whose attention time has come, one Query per shard (never a Scan), oldest first. */
  async due(now: Date, limitPerShard = 100): Promise<{ ids: string[]; itemsRead: number }> {
    const ids: string[] = [];
    let itemsRead = 0;
    for (let shard = 0; shard < DUE_SHARDS; shard++) {
      let startKey: Record<string, unknown> | undefined;
      let left = limitPerShard;
      do {
        const out = await this.#doc.send(
          new QueryCommand({
            TableName: this.#table,
            IndexName: 'due',
            KeyConditionExpression: 'dueShard = :shard AND dueAt <= :now',
            ExpressionAttributeValues: { ':shard': `DUE#${shard}`, ':now': now.toISOString() },
            Limit: left,
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        );
        for (const item of out.Items ?? []) ids.push(String(item.pk).slice('REVIEW#'.length));
        itemsRead += out.Items?.length ?? 0;
        left -= out.Items?.length ?? 0;
        startKey = out.LastEvaluatedKey;
      } while (startKey && left > 0);
    }
    return { ids, itemsRead };
  }

  async get(id: string): Promise<Review | undefined> {
    const { Item } = await this.#doc.send(
      new GetCommand({ TableName: this.#table, Key: keys.review(id), ConsistentRead: true }),
    );
    return Item ? toReview(Item) : undefined;
  }

  /**
   * The one read-decide-write loop: reads the review, lets `decide` say what changes (it may throw a
   * domain error), writes that conditionally, and on a lost race decides again on the review DynamoDB
   * returned with the failed condition (no second read). After MAX_ATTEMPTS lost races: ReviewBusy.
   */
  async mutate<T>(
    id: string,
    decide: (review: Review | undefined) => Change<T>,
  ): Promise<{ result: T; review: Review | undefined; saved: boolean }> {
    let review = await this.get(id);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const change = decide(review);
      if ('done' in change) return { result: change.done, review, saved: false };
      try {
        const saved = await this.save(
          review!,
          change.next,
          change.entries,
          change.consumeLink ? { consumeLink: change.consumeLink } : {},
        );
        return { result: change.result, review: saved, saved: true };
      } catch (err) {
        if (!(err instanceof StaleReview)) throw err;
        review = err.current ?? (await this.get(id));
      }
    }
    throw new ReviewBusy(id, MAX_ATTEMPTS);
  }

  /**
   * Writes `next` over `prev` if nobody else wrote in between (version check), appending its new
   * history entries in the same update: the state change and its audit entry land together or not at all.
   */
  async save(prev: Review, next: Review, entries: HistoryEntry[], options: SaveOptions = {}): Promise<Review> {
    if (next.version !== prev.version + 1) throw new Error('a saved review must advance its version by one');
    const names: Record<string, string> = { '#history': 'history' };
    const values: Record<string, unknown> = { ':expected': prev.version, ':entries': entries };
    const set: string[] = ['#history = list_append(#history, :entries)'];
    const remove: string[] = [];
    for (const field of MUTABLE_FIELDS) {
      names[`#${field}`] = field;
      if (next[field] === undefined) remove.push(`#${field}`);
      else {
        set.push(`#${field} = :${field}`);
        values[`:${field}`] = next[field];
      }
    }
    const index = indexAttributes(next);
    for (const attr of ['dueShard', 'dueAt'] as const) {
      names[`#${attr}`] = attr;
      if (index[attr]) {
        set.push(`#${attr} = :${attr}`);
        values[`:${attr}`] = index[attr];
      } else remove.push(`#${attr}`);
    }
    const expires = expiresAt(next, this.#retentionDays);
    if (expires !== undefined) {
      names['#expiresAt'] = 'expiresAt';
      values[':expiresAt'] = expires;
      set.push('#expiresAt = :expiresAt');
    }
    let condition = '#version = :expected';
    let add = '';
    if (options.consumeLink) {
      names['#usedLinks'] = 'usedLinks';
      values[':link'] = options.consumeLink;
      values[':links'] = new Set([options.consumeLink]);
      condition += ' AND NOT contains(#usedLinks, :link)';
      add = ' ADD #usedLinks :links';
    }
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: keys.review(prev.id),
          UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}${add}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const current = err.Item ? toReview(unmarshallItem(err.Item)) : await this.get(prev.id);
      if (options.consumeLink && current?.usedLinks?.includes(options.consumeLink))
        throw new LinkAlreadyUsed(`link ${options.consumeLink} was used already`, current);
      throw new StaleReview(`review ${prev.id} changed since version ${prev.version}`, current);
    }
    return {
      ...next,
      history: [...prev.history, ...entries],
      ...(options.consumeLink ? { usedLinks: [...(prev.usedLinks ?? []), options.consumeLink] } : {}),
    };
  }
}

function unmarshallItem(item: NonNullable<ConditionalCheckFailedException['Item']>): Record<string, unknown> {
  return unmarshall(item);
}

const documentClient = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})), {
  marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
});

let table: ReviewsTable | undefined;
/** The stage's reviews table through the module-scope client (created once per container). */
export function reviewsTable(tableName: string, options: TableOptions = {}): ReviewsTable {
  table ??= new ReviewsTable(documentClient, tableName, options);
  return table;
}
