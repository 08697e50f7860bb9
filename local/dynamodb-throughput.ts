// DynamoDB's on-demand throughput, applied to local mode's store (dynalite has none of its own): each
// partition key serves up to 1,000 write units or 3,000 read units a second (or a linear mix), and a new
// on-demand table up to 4,000 write units or 12,000 read units a second at once (more with WarmThroughput).
// Past either, ProvisionedThroughputExceededException with the throttling reason DynamoDB gives, which
// the AWS SDK retries with backoff. Units are counted from the request, before it is served: a PutItem's
// item size, one unit for every other write, half a unit for a read (an UpdateItem's or a read's real
// size is the store's, known after the fact): local mode never refuses what DynamoDB would serve, and may
// serve a large update DynamoDB would refuse.
import { AwsError } from './errors.ts';
import { itemSize, writeUnitsFor } from './meter.ts';
import { TokenBucket } from './quotas.ts';

export interface TableThroughput {
  /** Write units a second (reads count a third of a unit each), per partition key. */
  partitionWriteUnits: number;
  /** Write units a second for the whole table (reads a third each): a new on-demand table's. */
  tableWriteUnits: number;
}

/** DynamoDB's documented figures: a partition's 1,000 WCU / 3,000 RCU, a new on-demand table's 4,000 WRU / 12,000 RRU. */
export const ON_DEMAND_DEFAULTS: TableThroughput = Object.freeze({
  partitionWriteUnits: 1_000,
  tableWriteUnits: 4_000,
});

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);
const READS = new Set(['GetItem', 'Query']);

type Obj = Record<string, unknown>;

/** What a request asks of the table's throughput, in write units (a read unit is a third), and of which key. */
export function demandOf(
  operation: string,
  input: Obj,
  hashKey: string,
): { units: number; partition: string; write: boolean } | undefined {
  if (WRITES.has(operation)) {
    const item = (operation === 'PutItem' ? input.Item : input.Key) as Record<string, Record<string, unknown>>;
    const units = operation === 'PutItem' ? writeUnitsFor(itemSize(item as never)) : 1;
    return { units, partition: keyText(item?.[hashKey]), write: true };
  }
  if (READS.has(operation)) {
    if (operation === 'Query' && input.IndexName !== undefined) return undefined; // an index's own partitions
    const key =
      operation === 'GetItem'
        ? (input.Key as Record<string, unknown> | undefined)?.[hashKey]
        : queryHashValue(input, hashKey);
    const consistent = input.ConsistentRead === true;
    return { units: (consistent ? 1 : 0.5) / 3, partition: keyText(key), write: false };
  }
  return undefined;
}

/** The hash key's value in a Query's `#k = :v` key condition, as far as it can be read from the request. */
function queryHashValue(input: Obj, hashKey: string): unknown {
  const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const values = (input.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
  const condition = String(input.KeyConditionExpression ?? '');
  for (const m of condition.matchAll(/([#\w]+)\s*=\s*(:\w+)/g)) {
    const name = m[1]!.startsWith('#') ? names[m[1]!] : m[1];
    if (name === hashKey) return values[m[2]!];
  }
  return undefined;
}

const keyText = (value: unknown) => JSON.stringify(value ?? null);

/** One table's buckets: the table's, and one per partition key met (dropped once full again). */
export class TableBuckets {
  readonly #limits: TableThroughput;
  readonly #now: () => number;
  readonly #table: TokenBucket;
  readonly #partitions = new Map<string, { bucket: TokenBucket; at: number }>();
  readonly #arn: string;
  throttled = 0;

  constructor(tableArn: string, limits: TableThroughput, now: () => number) {
    this.#arn = tableArn;
    this.#limits = limits;
    this.#now = now;
    this.#table = new TokenBucket(limits.tableWriteUnits, limits.tableWriteUnits, now);
  }

  /** Takes a request's units, or refuses it as DynamoDB does (nothing is taken from either bucket then). */
  admit(demand: { units: number; partition: string; write: boolean }): void {
    const now = this.#now();
    // A partition untouched for a second is full again: forget it, so the map holds only hot keys.
    if (this.#partitions.size > 10_000)
      for (const [k, p] of this.#partitions) if (now - p.at > 1000) this.#partitions.delete(k);
    let partition = this.#partitions.get(demand.partition);
    if (!partition) {
      partition = {
        bucket: new TokenBucket(this.#limits.partitionWriteUnits, this.#limits.partitionWriteUnits, this.#now),
        at: now,
      };
      this.#partitions.set(demand.partition, partition);
    }
    partition.at = now;
    const kind = demand.write ? 'Write' : 'Read';
    if (!partition.bucket.take(demand.units)) throw this.#refuse(`Table${kind}KeyRangeThroughputExceeded`);
    if (!this.#table.take(demand.units)) {
      partition.bucket.give(demand.units);
      // A new table's 4,000 units are its first partitions' 1,000 each: the same reason, on another key.
      throw this.#refuse(`Table${kind}KeyRangeThroughputExceeded`);
    }
  }

  #refuse(reason: string): AwsError {
    this.throttled++;
    return new AwsError(
      'ProvisionedThroughputExceededException',
      'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
      400,
      { ThrottlingReasons: [{ reason, resource: this.#arn }] },
    );
  }
}
