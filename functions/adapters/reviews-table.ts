import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { type InboxRow, inboxRows } from '../domain/inbox.ts';
import type { Grant, InvalidProposal } from '../domain/model.ts';
import { grantTypeOf } from '../domain/grant.ts';
import { attentionAt, MUTABLE_FIELDS, type HistoryEntry, type Review } from '../domain/review.ts';
import {
  type GrantStore,
  LinkAlreadyUsed,
  MAX_GRANT_USES,
  type ReviewStore,
  type SaveOptions,
  StaleReview,
} from '../app/ports.ts';
import { config } from '../config.ts';
import { tracer } from './observability.ts';
import { restoredReview, storedEntries, storedFields } from './review-item.ts';

/** Number of due-index shards: spreads writes of many reviews due at the same minute. */
export const DUE_SHARDS = 4;

// The only module that knows the table's key design.
export const keys = {
  review: (id: string) => ({ pk: `REVIEW#${id}`, sk: 'META' }),
  /** Beside the review it would have been: the latest refusal of its proposal as invalid. */
  invalid: (id: string) => ({ pk: `REVIEW#${id}`, sk: 'INVALID' }),
  /** The review id a review item's partition key holds. */
  reviewId: (pk: string) => pk.slice('REVIEW#'.length),
  /** The due-index partition of shard `n` (0 to DUE_SHARDS - 1). */
  shard: (n: number) => `DUE#${n}`,
  /** The due-index partition a review lands in, spread by its id. */
  dueShard: (id: string) => keys.shard(parseInt(id.slice(-4), 16) % DUE_SHARDS),
  /** Beside the review: its row in one approver's inbox (the approver index holds it while the review waits for them). */
  inboxRow: (id: string, approverId: string) => ({ pk: `REVIEW#${id}`, sk: `INBOX#${approverId}` }),
  /** The approver index's sort key: the deadline, then the review (ties in a stable order); no deadline: last. */
  inboxDue: (row: InboxRow) => `${row.deadline ?? '~'}#${row.reviewId}`,
  /** The standing approvals of one action type share a partition, sorted by when they end, so intake reads the active ones only. */
  grants: (type: string) => `GRANT#${type}`,
  grantSort: (endsAt: string, id: string) => `ENDS#${endsAt}#${id}`,
  grant: (grant: { scope: { type: string }; endsAt: string; id: string }) => ({
    pk: keys.grants(grant.scope.type),
    sk: keys.grantSort(grant.endsAt, grant.id),
  }),
  /** A pointer to each grant in its granter's partition, sorted by when it ends: what their inbox lists. */
  grantor: (grant: { grantedBy: string; endsAt: string; id: string }) => ({
    pk: `GRANTOR#${grant.grantedBy}`,
    sk: keys.grantSort(grant.endsAt, grant.id),
  }),
};

/** Most rows one inbox Query returns; the page says when there are more. */
export const INBOX_LIMIT = 100;

/**
 * The due index holds a review only while it needs the sweeper some day: waiting for its deadline, or
 * decided but not completed. Completed reviews leave it, so a sweep reads what is due, not the backlog.
 */
function indexAttributes(review: Review): Record<string, string> {
  const at = attentionAt(review);
  return at ? { dueShard: keys.dueShard(review.id), dueAt: at } : {};
}

/** Epoch seconds when DynamoDB's TTL may remove a completed review: its completion plus the retention. */
function expiresAt(review: Review, retentionDays: () => number): number | undefined {
  if (review.status !== 'COMPLETED') return undefined;
  return ttlFrom(review.updatedAt, retentionDays);
}

/** Epoch seconds, the retention after `at` (an ISO time): what the table's TTL attribute holds. */
function ttlFrom(at: string, retentionDays: () => number): number {
  return Math.floor(Date.parse(at) / 1000) + retentionDays() * 86_400;
}

function toReview(item: Record<string, unknown>): Review {
  const { pk: _pk, sk: _sk, entity: _e, dueShard: _d, dueAt: _a, expiresAt: _x, usedLinks, ...review } = item;
  // A string set comes back as a Set; the review carries a plain list.
  return restoredReview({
    ...review,
    ...(usedLinks instanceof Set ? { usedLinks: [...usedLinks] as string[] } : {}),
  } as unknown as Review);
}

export interface TableOptions {
  /** Days a completed review is kept before the table's TTL (attribute expiresAt) removes it; read when one is written. */
  retentionDays?: number | (() => number);
}

/** The retention in days, read when an item is written (default a year). */
function retentionOf(options: TableOptions): () => number {
  const days = options.retentionDays ?? 365;
  return typeof days === 'number' ? () => days : days;
}

/** The ReviewStore on DynamoDB: one item per review, and a sparse, sharded GSI (`due`) of what needs the sweeper. */
export class ReviewsTable implements ReviewStore {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #retentionDays: () => number;

  constructor(doc: DynamoDBDocumentClient, table: string, options: TableOptions = {}) {
    this.#doc = doc;
    this.#table = table;
    this.#retentionDays = retentionOf(options);
  }

  /** Conditional put: the first event for a proposal creates the review; a duplicate gets the existing one. */
  async open(review: Review): Promise<{ review: Review; created: boolean }> {
    try {
      await this.#doc.send(
        new PutCommand({
          TableName: this.#table,
          Item: {
            ...keys.review(review.id),
            entity: 'review',
            ...review,
            ...storedFields(review),
            history: storedEntries(review, review.history),
            ...indexAttributes(review),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const existing = await this.get(review.id);
      if (!existing) throw err;
      // A repeat of intake (its first run may have stopped before the rows were written) writes them as they are now.
      await this.#syncInbox(undefined, existing);
      return { review: existing, created: false };
    }
    await this.#syncInbox(undefined, review);
    return { review, created: true };
  }

  /** The approver index, oldest deadline first: one Query (pages of it, up to `limit` rows), never a Scan. */
  async inbox(
    approverId: string,
    limit = INBOX_LIMIT,
  ): Promise<{ rows: InboxRow[]; more: boolean; itemsRead: number }> {
    const rows: InboxRow[] = [];
    let itemsRead = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.#doc.send(
        new QueryCommand({
          TableName: this.#table,
          IndexName: 'inbox',
          KeyConditionExpression: 'inboxOf = :approver',
          ExpressionAttributeValues: { ':approver': approverId },
          // One more than asked for says whether there are more.
          Limit: limit + 1 - rows.length,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of out.Items ?? []) rows.push(toRow(item));
      itemsRead += out.Items?.length ?? 0;
      startKey = out.LastEvaluatedKey;
    } while (startKey && rows.length <= limit);
    return { rows: rows.slice(0, limit), more: rows.length > limit || startKey !== undefined, itemsRead };
  }

  /**
   * Keeps the review's inbox rows in step with it, after its own write: a row for each approver it now waits for
   * (written when it changed) and none for those it no longer waits for. Each row write is conditional on the
   * review's version, so a slower writer of an older version never undoes a newer one (its condition fails, and
   * that is the answer). A retired row keeps its version, off the index, until the table's TTL removes it.
   */
  async #syncInbox(prev: Review | undefined, next: Review): Promise<void> {
    const before = new Map((prev ? inboxRows(prev) : []).map((r) => [r.approverId, r]));
    const after = inboxRows(next);
    const writes: Promise<unknown>[] = [];
    for (const row of after) {
      const old = before.get(row.approverId);
      before.delete(row.approverId);
      if (!old || JSON.stringify(old) !== JSON.stringify(row)) writes.push(this.#putRow(next, row, !prev));
    }
    for (const approverId of before.keys()) writes.push(this.#retireRow(next, approverId));
    await Promise.all(writes);
  }

  /**
   * A row as it is now. Opening writes it with PutItem (the grant that creates reviews), later changes with
   * UpdateItem (the grant that changes them): no function needs a write it has no other use for.
   */
  async #putRow(review: Review, row: InboxRow, opening: boolean): Promise<void> {
    const condition = 'attribute_not_exists(reviewVersion) OR reviewVersion < :v';
    const indexed = { row, inboxOf: row.approverId, inboxDue: keys.inboxDue(row), reviewVersion: review.version };
    const key = keys.inboxRow(review.id, row.approverId);
    await this.#ifNewer(() =>
      opening
        ? this.#doc.send(
            new PutCommand({
              TableName: this.#table,
              Item: { ...key, entity: 'inbox-row', ...indexed },
              ConditionExpression: condition,
              ExpressionAttributeValues: { ':v': review.version },
            }),
          )
        : this.#doc.send(
            new UpdateCommand({
              TableName: this.#table,
              Key: key,
              UpdateExpression:
                'SET entity = :entity, #row = :row, inboxOf = :approver, inboxDue = :due, reviewVersion = :v REMOVE expiresAt',
              ConditionExpression: condition,
              ExpressionAttributeNames: { '#row': 'row' },
              ExpressionAttributeValues: {
                ':entity': 'inbox-row',
                ':row': row,
                ':approver': indexed.inboxOf,
                ':due': indexed.inboxDue,
                ':v': review.version,
              },
            }),
          ),
    );
  }

  async #retireRow(review: Review, approverId: string): Promise<void> {
    await this.#ifNewer(() =>
      this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: keys.inboxRow(review.id, approverId),
          UpdateExpression: 'SET reviewVersion = :v, expiresAt = :expires REMOVE inboxOf, inboxDue, #row',
          // Never creates a row: only one that exists and is older.
          ConditionExpression: 'attribute_exists(pk) AND reviewVersion < :v',
          ExpressionAttributeNames: { '#row': 'row' },
          ExpressionAttributeValues: {
            ':v': review.version,
            ':expires': ttlFrom(review.updatedAt, this.#retentionDays),
          },
        }),
      ),
    );
  }

  /** A row write whose condition failed was overtaken by a newer version's (or had nothing to retire): done. */
  async #ifNewer(write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
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
            ExpressionAttributeValues: { ':shard': keys.shard(shard), ':now': now.toISOString() },
            Limit: left,
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        );
        for (const item of out.Items ?? []) ids.push(keys.reviewId(String(item.pk)));
        itemsRead += out.Items?.length ?? 0;
        left -= out.Items?.length ?? 0;
        startKey = out.LastEvaluatedKey;
      } while (startKey && left > 0);
    }
    return { ids, itemsRead };
  }

  async recordInvalid(record: InvalidProposal): Promise<void> {
    const expires = ttlFrom(record.rejectedAt, this.#retentionDays);
    await this.#doc.send(
      new PutCommand({
        TableName: this.#table,
        Item: { ...keys.invalid(record.reviewId), entity: 'invalid-proposal', ...record, expiresAt: expires },
      }),
    );
  }

  async getInvalid(reviewId: string): Promise<InvalidProposal | undefined> {
    const { Item } = await this.#doc.send(
      new GetCommand({ TableName: this.#table, Key: keys.invalid(reviewId), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const { reviewId: id, agentId, proposalId, errors, rejectedAt } = Item as InvalidProposal;
    return { reviewId: id, agentId, proposalId, errors, rejectedAt };
  }

  async get(id: string): Promise<Review | undefined> {
    const { Item } = await this.#doc.send(
      new GetCommand({ TableName: this.#table, Key: keys.review(id), ConsistentRead: true }),
    );
    return Item ? toReview(Item) : undefined;
  }

  /**
   * Writes `next` over `prev` if nobody else wrote in between (version check), appending its new
   * history entries in the same update: the state change and its audit entry land together or not at all.
   */
  async save(prev: Review, next: Review, entries: HistoryEntry[], options: SaveOptions = {}): Promise<Review> {
    if (next.version !== prev.version + 1) throw new Error('a saved review must advance its version by one');
    const names: Record<string, string> = { '#history': 'history' };
    const values: Record<string, unknown> = { ':expected': prev.version, ':entries': storedEntries(next, entries) };
    const stored = { ...next, ...storedFields(next) };
    const set: string[] = ['#history = list_append(#history, :entries)'];
    const remove: string[] = [];
    for (const field of MUTABLE_FIELDS) {
      names[`#${field}`] = field;
      if (stored[field] === undefined) remove.push(`#${field}`);
      else {
        set.push(`#${field} = :${field}`);
        values[`:${field}`] = stored[field];
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
    await this.#syncInbox(prev, next);
    return {
      ...next,
      history: [...prev.history, ...entries],
      ...(options.consumeLink ? { usedLinks: [...(prev.usedLinks ?? []), options.consumeLink] } : {}),
    };
  }
}

function toRow(item: Record<string, unknown>): InboxRow {
  return item.row as InboxRow;
}

function toGrant(item: Record<string, unknown>): Grant {
  const { pk: _pk, sk: _sk, entity: _e, expiresAt: _x, ...grant } = item;
  return grant as unknown as Grant;
}

/** The GrantStore on the same table: one item per grant, in its action type's partition (never a Scan). */
export class GrantsTable implements GrantStore {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #retentionDays: () => number;

  constructor(doc: DynamoDBDocumentClient, table: string, options: TableOptions = {}) {
    this.#doc = doc;
    this.#table = table;
    this.#retentionDays = retentionOf(options);
  }

  async create(grant: Grant): Promise<Grant> {
    // The granter's pointer first, so a retried create (the decision retried) also writes it if it was lost.
    await this.#doc.send(
      new PutCommand({
        TableName: this.#table,
        Item: {
          ...keys.grantor(grant),
          entity: 'grant-pointer',
          grantId: grant.id,
          type: grant.scope.type,
          expiresAt: ttlFrom(grant.endsAt, this.#retentionDays),
        },
      }),
    );
    try {
      await this.#doc.send(
        new PutCommand({
          TableName: this.#table,
          // Kept for the retention after it ends, as the audit of what it approved.
          Item: {
            ...keys.grant(grant),
            entity: 'grant',
            ...grant,
            expiresAt: ttlFrom(grant.endsAt, this.#retentionDays),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return grant;
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const { Item } = await this.#doc.send(
        new GetCommand({ TableName: this.#table, Key: keys.grant(grant), ConsistentRead: true }),
      );
      if (!Item) throw err;
      return toGrant(Item);
    }
  }

  /** Those of the type that end after now: a Query on the sort key, so ended grants are never read. */
  async #unended(type: string, now: Date, filter?: { id: string }): Promise<Grant[]> {
    const items = await this.#endingAfter(keys.grants(type), now, filter);
    return items.map(toGrant);
  }

  /** Every item of a partition whose sort key (`ENDS#<endsAt>#…`) ends after now, page by page. */
  async #endingAfter(pk: string, now: Date, filter?: { id: string }): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.#doc.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'pk = :pk AND sk > :from',
          ExpressionAttributeValues: {
            ':pk': pk,
            ':from': keys.grantSort(now.toISOString(), ''),
            ...(filter ? { ':id': filter.id } : {}),
          },
          ...(filter ? { FilterExpression: '#id = :id', ExpressionAttributeNames: { '#id': 'id' } } : {}),
          ConsistentRead: true,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      out.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return out;
  }

  async byGrantor(personId: string, now: Date): Promise<Grant[]> {
    const pointers = await this.#endingAfter(keys.grantor({ grantedBy: personId, endsAt: '', id: '' }).pk, now);
    const out: Grant[] = [];
    for (const pointer of pointers) {
      const endsAt = String(pointer.sk).slice('ENDS#'.length, -(String(pointer.grantId).length + 1));
      const { Item } = await this.#doc.send(
        new GetCommand({
          TableName: this.#table,
          Key: keys.grant({ scope: { type: String(pointer.type) }, endsAt, id: String(pointer.grantId) }),
          ConsistentRead: true,
        }),
      );
      if (Item) out.push(toGrant(Item));
    }
    return out;
  }

  async active(type: string, now: Date): Promise<Grant[]> {
    return (await this.#unended(type, now)).filter((g) => !g.revoked);
  }

  async find(id: string, now: Date): Promise<Grant | undefined> {
    const type = grantTypeOf(id);
    if (!type) return undefined;
    return (await this.#unended(type, now, { id }))[0];
  }

  async claimUse(grant: Grant, reviewId: string, now: Date): Promise<Grant | undefined> {
    const at = now.toISOString();
    try {
      const { Attributes } = await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: keys.grant(grant),
          UpdateExpression: 'SET #uses = #uses + :one, #lastUsedAt = :at, #usedFor = list_append(#usedFor, :reviews)',
          ConditionExpression:
            'attribute_exists(pk) AND attribute_not_exists(#revoked) AND #endsAt > :at AND #uses < :max AND NOT contains(#usedFor, :review)',
          ExpressionAttributeNames: {
            '#uses': 'uses',
            '#lastUsedAt': 'lastUsedAt',
            '#usedFor': 'usedFor',
            '#revoked': 'revoked',
            '#endsAt': 'endsAt',
          },
          ExpressionAttributeValues: {
            ':one': 1,
            ':at': at,
            ':reviews': [reviewId],
            ':review': reviewId,
            ':max': MAX_GRANT_USES,
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return Attributes ? toGrant(Attributes) : undefined;
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const current = err.Item ? toGrant(unmarshallItem(err.Item)) : undefined;
      // A retried intake of the same proposal finds its use counted already.
      return current?.usedFor.includes(reviewId) ? current : undefined;
    }
  }

  async revoke(grant: Grant, revoked: NonNullable<Grant['revoked']>): Promise<Grant> {
    try {
      const { Attributes } = await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: keys.grant(grant),
          UpdateExpression: 'SET #revoked = :revoked',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#revoked)',
          ExpressionAttributeNames: { '#revoked': 'revoked' },
          ExpressionAttributeValues: { ':revoked': revoked },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return toGrant(Attributes ?? {});
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException) || !err.Item) throw err;
      return toGrant(unmarshallItem(err.Item));
    }
  }
}

function unmarshallItem(item: NonNullable<ConditionalCheckFailedException['Item']>): Record<string, unknown> {
  return unmarshall(item);
}

/** The document client the table is used through: undefined values dropped, as the review's optional fields are. */
export function documentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

let stageClient: DynamoDBDocumentClient | undefined;
const tableOptions: TableOptions = { retentionDays: () => config().RETENTION_DAYS };

/** The ReviewStore port on the function's table (REVIEWS_TABLE). */
export function reviewsTable(): ReviewStore {
  stageClient ??= documentClient();
  return new ReviewsTable(stageClient, config().REVIEWS_TABLE, tableOptions);
}

/** The GrantStore port on the same table. */
export function grantsTable(): GrantStore {
  stageClient ??= documentClient();
  return new GrantsTable(stageClient, config().REVIEWS_TABLE, tableOptions);
}
