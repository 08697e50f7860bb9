// Local EventBridge: the buses and rules of serverless.yml. PutEvents archives every event
// (events.jsonl, like an EventBridge archive), matches it against each rule of its bus with AWS's
// pattern semantics, and delivers it to the rule's target; what cannot be delivered goes to a dead-letter file.
import { appendFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { AwsError } from '../errors.ts';
import { parseJsonText } from '../protocol.ts';
import { EventJournal, type Undelivered } from './journal.ts';
import { ACCOUNT, type RuleWiring } from '../wiring.ts';
import { compileEventPattern, type EventPattern } from './pattern.ts';
import type { PutEventsEntry, PutEventsOutput } from '../stepfunctions.ts';

export interface BusEnvelope {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

/** One line of events.jsonl: the PutEvents entry as received, plus the id and time EventBridge gave it. */
export interface ArchivedEvent {
  id: string;
  time: string;
  EventBusName: string;
  Source: string;
  DetailType: string;
  Detail: string;
  Resources?: string[];
}

export interface Targets {
  /**
   * The rule is passed so the target's permissions (its role, a Lambda permission) can be checked. The execution
   * started is done when `done` settles.
   */
  startExecution(arn: string, input: string, rule: RuleWiring): { done: Promise<unknown> };
  invokeFunction(arn: string, event: unknown, rule: RuleWiring): Promise<unknown>;
}

const MAX_KEPT = 50_000;

/**
 * PutEvents' own rules for each entry and for the whole call, from the EventBridge API reference and user guide:
 * - "the total entry size must be less than 256KB", the size computed as "Calculating PutEvents event entry
 *   size" says: Time 14 bytes when given, Source, DetailType, Detail and each of Resources by their UTF-8 bytes;
 * - Detail, DetailType and Source are required: an entry without them fails, and "if you submit a request in
 *   which none of the entries have each of these properties, EventBridge fails the entire request"
 *   (PutEventsRequestEntry);
 * - DetailType is "a free-form string, with a maximum of 128 characters"; Source at most 256 characters, and
 *   "the aws. value prefix is service-reserved"; Detail "a valid JSON object" no deeper than 1000 levels;
 *   a resource ARN at most 2048 characters.
 * Per entry the error codes are PutEventsResultEntry's: InvalidArgument, MalformedDetail, NotAuthorizedForSourceException.
 */
export const MAX_REQUEST_ENTRY_BYTES = 256 * 1024;
const REQUIRED = ['Source', 'DetailType', 'Detail'] as const;

/** An entry's size as EventBridge counts it against MAX_REQUEST_ENTRY_BYTES. */
export function entrySize(entry: PutEventsEntry): number {
  const bytes = (text: string | undefined) => (text === undefined ? 0 : Buffer.byteLength(text, 'utf8'));
  return (
    (entry.Time !== undefined ? 14 : 0) +
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    (entry.Resources ?? []).reduce((sum, r) => sum + bytes(r), 0)
  );
}

/** Whether a target's refusal is a throttle, which EventBridge retries for as long as the retry policy allows. */
function isThrottle(err: unknown): boolean {
  const name = (err as Error | undefined)?.name;
  return name === 'ThrottlingException' || name === 'TooManyRequestsException';
}

export class LocalBus {
  /** Deliveries a target refused as throttled, each retried with backoff. */
  throttled = 0;
  readonly #rules: { wiring: RuleWiring; pattern: EventPattern }[];
  readonly #buses: Set<string>;
  readonly #archive: string;
  readonly #deadLetters: string;
  readonly #region: string;
  #targets: Targets | undefined;
  #write: Promise<void> = Promise.resolve();
  readonly #pending = new Set<Promise<unknown>>();
  readonly #listeners = new Set<(e: ArchivedEvent) => void>();
  readonly #journal: EventJournal<ArchivedEvent> | undefined;
  /** What the journal of an earlier run still owes, until resume() delivers it. */
  #owed: Undelivered<ArchivedEvent>[] = [];
  /** Recent events, newest last (the archive file keeps them all). */
  readonly events: ArchivedEvent[] = [];

  readonly #now: () => number;

  constructor(opts: {
    buses: string[];
    rules: RuleWiring[];
    archiveFile: string;
    deadLetterFile: string;
    region: string;
    now?: () => number;
    /** Journal accepted events there (on disk, synced) and deliver at least once across restarts; see journal.ts. */
    journalFile?: string;
  }) {
    this.#journal = opts.journalFile ? new EventJournal(opts.journalFile) : undefined;
    this.#now = opts.now ?? Date.now;
    this.#buses = new Set(['default', ...opts.buses]);
    this.#archive = opts.archiveFile;
    this.#deadLetters = opts.deadLetterFile;
    this.#region = opts.region;
    // Every rule pattern is validated at start, exactly as PutRule would.
    this.#rules = opts.rules.map((wiring) => {
      if (!this.#buses.has(wiring.busName))
        throw new Error(`rule ${wiring.name}: event bus "${wiring.busName}" is not defined in serverless.yml`);
      try {
        return { wiring, pattern: compileEventPattern(wiring.pattern) };
      } catch (err) {
        throw new Error(`rule ${wiring.name}: invalid event pattern: ${(err as Error).message}`);
      }
    });
  }

  /** Reads the journal (with one), before PutEvents is served: what an earlier run accepted and did not deliver. */
  async open(): Promise<void> {
    this.#owed = (await this.#journal?.open()) ?? [];
  }

  /**
   * Delivers what the journal owed at open() to each rule that has not had it, once the targets are connected.
   * An event older than a rule's maximum event age goes to its dead letters instead, as EventBridge's retry
   * policy says. Resolves with how many events were owed.
   */
  resume(): number {
    const owed = this.#owed;
    this.#owed = [];
    for (const { event, rules, receivedAt } of owed) {
      const known = this.#rules.map((r) => r.wiring).filter((r) => rules.includes(r.name));
      const envelope = this.envelope(event);
      for (const rule of known.filter((r) => this.#now() - receivedAt > r.target.maxEventAgeSeconds * 1000))
        this.#track(
          this.#deadLetter(
            rule,
            envelope,
            `older than the rule's maximum event age (${rule.target.maxEventAgeSeconds} s)`,
          ),
        );
      this.#deliver(
        event,
        known.filter((r) => this.#now() - receivedAt <= r.target.maxEventAgeSeconds * 1000),
      );
    }
    return owed.length;
  }

  get rules(): RuleWiring[] {
    return this.#rules.map((r) => r.wiring);
  }

  connect(targets: Targets): void {
    this.#targets = targets;
  }

  onEvent(listener: (e: ArchivedEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Entries as the PutEvents shape reads them (local/protocol.ts): 1 to 10, each member of its type. */
  async putEvents(entries: PutEventsEntry[]): Promise<PutEventsOutput> {
    const size = entries.reduce((sum, e) => sum + entrySize(e), 0);
    if (size >= MAX_REQUEST_ENTRY_BYTES)
      throw new AwsError(
        'ValidationException',
        `Total size of the entries in the request is over the limit: ${size} bytes, as EventBridge counts them, where it must be less than ${MAX_REQUEST_ENTRY_BYTES}.`,
      );
    if (!entries.some((e) => REQUIRED.every((k) => e[k] !== undefined && e[k] !== '')))
      throw new AwsError(
        'ValidationException',
        'None of the entries has all of Source, DetailType and Detail, which every entry needs: the request fails as a whole.',
      );
    const results: PutEventsOutput['Entries'] = [];
    const accepted: ArchivedEvent[] = [];
    for (const entry of entries) {
      const problem = this.#check(entry);
      if (problem) {
        results.push(problem);
        continue;
      }
      const id = randomUUID();
      const time = new Date(entry.Time !== undefined ? entry.Time * 1000 : this.#now()).toISOString();
      const archived: ArchivedEvent = {
        id,
        time,
        EventBusName: busName(entry.EventBusName),
        Source: entry.Source!,
        DetailType: entry.DetailType!,
        Detail: entry.Detail!,
        ...(entry.Resources?.length ? { Resources: entry.Resources } : {}),
      };
      accepted.push(archived);
      results.push({ EventId: id });
    }
    if (accepted.length) {
      // The rules an event matches are found as EventBridge finds them, when it is received.
      const routed = accepted.map((e) => ({ event: e, rules: this.#matching(e) }));
      // The archive is written, and the journal (with one) synced, before PutEvents answers.
      await this.#append(this.#archive, accepted);
      await this.#journal?.accepted(
        routed.map(({ event, rules }) => ({ event, rules: rules.map((r) => r.name), receivedAt: this.#now() })),
      );
      for (const { event, rules } of routed) this.#deliver(event, rules);
    }
    return { FailedEntryCount: results.filter((r) => r.ErrorCode).length, Entries: results };
  }

  #check(entry: PutEventsEntry): PutEventsOutput['Entries'][number] | undefined {
    const invalid = (parameter: string, reason: string) => ({
      ErrorCode: 'InvalidArgument',
      ErrorMessage: `Parameter ${parameter} is not valid. Reason: ${reason}`,
    });
    for (const k of REQUIRED) if (!entry[k]) return invalid(k, `${k} is a required argument.`);
    const { Source, DetailType, Detail } = entry as Required<PutEventsEntry>;
    if (Source.length > 256) return invalid('Source', `Source is ${Source.length} characters long; at most 256.`);
    if (DetailType.length > 128)
      return invalid('DetailType', `DetailType is ${DetailType.length} characters long; at most 128.`);
    const long = entry.Resources?.findIndex((r) => r.length > 2048) ?? -1;
    if (long >= 0) return invalid('Resources', `Resources[${long}] is longer than 2048 characters.`);
    if (Source.startsWith('aws.'))
      return {
        ErrorCode: 'NotAuthorizedForSourceException',
        ErrorMessage: `Not authorized for the source: "${Source}"; the aws. prefix is reserved for AWS services.`,
      };
    const detail = parseJsonText(Detail);
    if ('problem' in detail)
      return { ErrorCode: 'MalformedDetail', ErrorMessage: `Detail is malformed: ${detail.problem}.` };
    if (!detail.value || typeof detail.value !== 'object' || Array.isArray(detail.value))
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed: it must be a JSON object.' };
    if (!this.#buses.has(busName(entry.EventBusName))) {
      return {
        ErrorCode: 'NotAuthorizedForSourceException',
        ErrorMessage: `Event bus ${busName(entry.EventBusName)} does not exist.`,
      };
    }
    return undefined;
  }

  envelope(e: ArchivedEvent): BusEnvelope {
    return {
      version: '0',
      id: e.id,
      'detail-type': e.DetailType,
      source: e.Source,
      account: ACCOUNT,
      time: e.time.replace(/\.\d{3}Z$/, 'Z'),
      region: this.#region,
      resources: e.Resources ?? [],
      detail: JSON.parse(e.Detail),
    };
  }

  #matching(e: ArchivedEvent): RuleWiring[] {
    const envelope = this.envelope(e);
    return this.#rules
      .filter(({ wiring, pattern }) => wiring.busName === e.EventBusName && pattern.matches(envelope))
      .map((r) => r.wiring);
  }

  #deliver(e: ArchivedEvent, rules: RuleWiring[]): void {
    this.events.push(e);
    if (this.events.length > MAX_KEPT) this.events.splice(0, this.events.length - MAX_KEPT);
    for (const l of this.#listeners) l(e);
    const envelope = this.envelope(e);
    for (const rule of rules) this.#track(this.#send(rule, envelope));
  }

  #track(delivery: Promise<unknown>): void {
    this.#pending.add(delivery);
    void delivery.finally(() => this.#pending.delete(delivery));
  }

  /** That `rule` is done with the event: in the journal, so a restart does not deliver it again. */
  #done(rule: RuleWiring, envelope: BusEnvelope): void {
    this.#journal?.delivered(envelope.id, rule.name).catch(() => undefined);
  }

  /**
   * Hands the event to the rule's target, retrying as the rule's policy says, then to its dead letters. The
   * delivery is done when a function target has returned, or when the execution a state machine target
   * started has ended: an execution local mode runs is no more durable than its memory, where AWS's is.
   */
  async #send(rule: RuleWiring, envelope: BusEnvelope): Promise<void> {
    const targets = this.#targets;
    // Lambda's asynchronous invocation retries twice; a state machine start is retried per the rule's policy.
    // A throttled target (ThrottlingException, TooManyRequestsException) is retried as EventBridge retries
    // it: with exponential backoff and jitter, up to the policy's attempts and within its maximum event age.
    const attempts = 1 + Math.min(rule.target.maxRetries, rule.target.kind === 'function' ? 2 : 3);
    const throttledAttempts = 1 + rule.target.maxRetries;
    const giveUpAt = this.#now() + rule.target.maxEventAgeSeconds * 1000;
    let lastError: unknown;
    for (let attempt = 1; ; attempt++) {
      try {
        if (!targets) throw new Error('no targets connected');
        if (rule.target.kind === 'stateMachine') {
          const execution = targets.startExecution(rule.target.arn, JSON.stringify(envelope), rule);
          void execution.done.finally(() => this.#done(rule, envelope));
        } else {
          await targets.invokeFunction(rule.target.arn, envelope, rule);
          this.#done(rule, envelope);
        }
        return;
      } catch (err) {
        lastError = err;
        if (isThrottle(err)) {
          if (attempt >= throttledAttempts || this.#now() >= giveUpAt) break;
          this.throttled++;
          await new Promise((r) => setTimeout(r, Math.random() * Math.min(5_000, 100 * 2 ** attempt)));
          continue;
        }
        if (attempt >= attempts) break;
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
    await this.#deadLetter(rule, envelope, String((lastError as Error)?.message ?? lastError));
  }

  async #deadLetter(rule: RuleWiring, envelope: BusEnvelope, error: string): Promise<void> {
    await this.#append(this.#deadLetters, [
      {
        time: new Date(this.#now()).toISOString(),
        rule: rule.name,
        target: rule.target.arn,
        deadLetterQueue: rule.target.deadLetter ?? null,
        error,
        event: envelope,
      },
    ]);
    this.#done(rule, envelope);
  }

  /** Closes the journal, once what is being written is written. */
  async close(): Promise<void> {
    await this.#write;
    await this.#journal?.close();
  }

  #append(file: string, records: unknown[]): Promise<void> {
    const text = `${records.map((r) => JSON.stringify(r)).join('\n')}\n`;
    this.#write = this.#write.then(() => appendFile(file, text));
    return this.#write;
  }

  /** Resolves when every delivery under way has been handed to its target. */
  async idle(): Promise<void> {
    while (this.#pending.size) await Promise.allSettled([...this.#pending]);
    await this.#write;
  }

  testEventPattern(patternText: string | undefined, eventText: string | undefined): boolean {
    if (typeof patternText !== 'string')
      throw new AwsError(
        'ValidationException',
        "1 validation error detected: Value null at 'eventPattern' failed to satisfy constraint: Member must not be null",
      );
    const pattern = compileEventPattern(patternText);
    const parsed = parseJsonText(eventText ?? '');
    if ('problem' in parsed)
      throw new AwsError('ValidationException', `Parameter Event is not valid: ${parsed.problem}.`);
    if (!parsed.value || typeof parsed.value !== 'object' || Array.isArray(parsed.value))
      throw new AwsError('ValidationException', 'Parameter Event is not valid: it must be a JSON object.');
    const event = parsed.value as Record<string, unknown>;
    // AWS checks the envelope fields every event carries.
    const missing = ['id', 'account', 'source', 'time', 'region', 'resources', 'detail-type'].filter(
      (k) => event[k] === undefined,
    );
    if (missing.length)
      throw new AwsError('ValidationException', `Parameter Event is not valid: missing ${missing.join(', ')}.`);
    return pattern.matches(event);
  }
}

function busName(name: string | undefined): string {
  if (!name) return 'default';
  // An ARN names the bus after its last slash.
  return name.startsWith('arn:') ? name.slice(name.lastIndexOf('/') + 1) : name;
}
