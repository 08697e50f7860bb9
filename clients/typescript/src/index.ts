// @hitl-gate/client: an agent asks hitl-gate for approval in one call. It puts "Action Proposed" on the
// stage's bus with the AWS SDK, then reads the review's status from the HTTP API (SigV4 with the SDK's own
// signer and credentials), backing off from 1 s to 60 s, until a person (or the policy) has decided.
import { EventBridgeClient, type EventBridgeClientConfig, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SignatureV4 } from '@smithy/signature-v4';

export interface Action {
  type: string;
  summary: string;
  amount?: { value: number; currency: string };
  target?: string;
  payload?: Record<string, unknown>;
}

export interface Proposal {
  /** Your idempotency key: the same proposalId never opens a second review. */
  proposalId: string;
  agentId: string;
  /** The person on whose behalf the agent acts; they never approve it themselves. */
  requestedBy: string;
  action: Action;
  context?: Record<string, unknown>;
}

export interface Decided {
  outcome: 'approved' | 'rejected' | 'expired' | 'cancelled';
  reviewId: string;
  /** The same on every publication of this outcome: dedupe on it. */
  outcomeId: string;
  /** The action that may run (approved: the approved one, edited or not), bound to actionHash. */
  action: Action;
  actionHash: string;
  edited: boolean;
  decidedBy: { id: string; kind: 'person' | 'policy' }[];
  decidedAt: string;
  decisionReason: string;
}

export interface HitlGateOptions {
  /** The stage's bus name (the stack's BusName output). */
  busName: string;
  /** The stage's HTTP API URL (the stack's HttpApiUrl output). */
  apiUrl: string;
  region?: string;
  /** Another endpoint for EventBridge, e.g. local mode's `http://localhost:3000`. */
  endpoint?: string;
  /** Credentials, if not the SDK's default chain (environment, profile, role). */
  credentials?: EventBridgeClientConfig['credentials'];
  /** The event source the proposals carry (default `agent.<agentId>`); never `hitl.*`. */
  source?: string;
  /** The status backoff: first wait, longest wait (default 1 s, 60 s). */
  poll?: { firstMs?: number; maxMs?: number };
}

/** A refusal that carries the decision: `reason` is the approver's (or the policy's) reason. */
export class ApprovalDenied extends Error {
  readonly outcome: Decided;
  constructor(outcome: Decided) {
    super(`review ${outcome.reviewId} was ${outcome.outcome}: ${outcome.decisionReason}`);
    this.name = 'ApprovalDenied';
    this.outcome = outcome;
  }
}
export class ApprovalRejected extends ApprovalDenied {
  override readonly name = 'ApprovalRejected';
}
export class ApprovalExpired extends ApprovalDenied {
  override readonly name = 'ApprovalExpired';
}
export class ApprovalCancelled extends ApprovalDenied {
  override readonly name = 'ApprovalCancelled';
}

/** hitl-gate refused the proposal itself: every problem, `path: what is wrong`. */
export class ProposalInvalid extends Error {
  readonly errors: readonly string[];
  constructor(proposalId: string, errors: readonly string[]) {
    super(`proposal ${proposalId} is invalid: ${errors.join('; ')}`);
    this.name = 'ProposalInvalid';
    this.errors = errors;
  }
}

/** The approval was claimed by another run of the action (or hitl-gate performs it itself): nothing ran. */
export class ApprovalUsed extends Error {
  readonly reviewId: string;
  readonly outcomeId: string;
  constructor(reviewId: string, outcomeId: string, why: string) {
    super(`approval ${outcomeId} of review ${reviewId} cannot run here: ${why}`);
    this.name = 'ApprovalUsed';
    this.reviewId = reviewId;
    this.outcomeId = outcomeId;
  }
}

/** No decision within the caller's timeout. The review goes on; ask again with the same proposalId to wait more. */
export class ApprovalTimeout extends Error {
  constructor(proposalId: string, ms: number) {
    super(`no decision on proposal ${proposalId} within ${ms} ms; it is still waiting`);
    this.name = 'ApprovalTimeout';
  }
}

export type Status = Record<string, unknown> & { outcome: Decided['outcome'] | 'pending' | 'invalid' };

export interface WaitOptions {
  /** Give up after this long with ApprovalTimeout (default: wait until the review is decided). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Told after each status read that found no decision yet (undefined: intake has not opened the review yet). */
  onPending?: (status: Status | undefined, nextReadInMs: number) => void;
}

/** How often guard tries to record what became of an action it ran. */
const RECORD_ATTEMPTS = 4;

export class HitlGate {
  readonly #events: EventBridgeClient;
  readonly #options: HitlGateOptions;
  readonly #signer: SignatureV4;

  constructor(options: HitlGateOptions) {
    this.#options = options;
    this.#events = new EventBridgeClient({
      ...(options.region ? { region: options.region } : {}),
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
    });
    const config = this.#events.config;
    this.#signer = new SignatureV4({
      credentials: config.credentials,
      region: config.region,
      service: 'execute-api',
      sha256: config.sha256,
    });
  }

  /** Puts the proposal on the bus (idempotent on its proposalId). */
  async propose(proposal: Proposal): Promise<void> {
    const out = await this.#events.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: this.#options.busName,
            Source: this.#options.source ?? `agent.${proposal.agentId}`,
            DetailType: 'Action Proposed',
            Detail: JSON.stringify(proposal),
          },
        ],
      }),
    );
    const failed = out.Entries?.find((e) => e.ErrorCode);
    if (out.FailedEntryCount || failed)
      throw new Error(`the bus refused the proposal: ${failed?.ErrorCode}: ${failed?.ErrorMessage}`);
  }

  /** The review's status, found by agent and proposal; undefined while intake has not opened it yet. */
  async status(agentId: string, proposalId: string): Promise<Status | undefined> {
    return this.#read(`agents/${encodeURIComponent(agentId)}/proposals/${encodeURIComponent(proposalId)}/status`);
  }

  /** The review's status by its id; undefined when there is no such review. */
  async reviewStatus(reviewId: string): Promise<Status | undefined> {
    return this.#read(`reviews/${encodeURIComponent(reviewId)}/status`);
  }

  /** The status route's URL for a proposal, for a person to look at (signed with SigV4, it needs the agent's IAM). */
  statusUrl(agentId: string, proposalId: string): string {
    return this.#url(`agents/${encodeURIComponent(agentId)}/proposals/${encodeURIComponent(proposalId)}/status`).href;
  }

  #url(path: string): URL {
    return new URL(path, this.#options.apiUrl.endsWith('/') ? this.#options.apiUrl : `${this.#options.apiUrl}/`);
  }

  async #read(path: string): Promise<Status | undefined> {
    const res = await this.#send('GET', path);
    if (res.status === 404) return undefined;
    const body = (await res.json()) as Status & { message?: string };
    if (!res.ok) throw new Error(`hitl-gate answered ${res.status}: ${body.message ?? JSON.stringify(body)}`);
    return body;
  }

  /** A request to the HTTP API, signed with SigV4 (the body's hash included) under the agent's credentials. */
  async #send(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Response> {
    const url = this.#url(path);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const signed = await this.#signer.sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: {},
      headers: { host: url.host, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(payload === undefined ? {} : { body: payload }),
    });
    return fetch(url, {
      method,
      headers: signed.headers as Record<string, string>,
      ...(payload === undefined ? {} : { body: payload }),
    });
  }

  /**
   * Tells hitl-gate about the approved action this agent performs (`outcomeId` names the approval, `claim`
   * this run of it): `started` claims the approval before the action runs, and only one claim ever holds, so
   * no other process runs it again; then `performed`, `failed` or `unknown` is recorded on the review, once.
   * Throws ApprovalUsed when the approval was claimed by another run or already has its result.
   */
  async reportExecution(
    reviewId: string,
    report: {
      outcomeId: string;
      claim: string;
      result: 'started' | 'performed' | 'failed' | 'unknown';
      detail?: string;
    },
  ): Promise<Status> {
    const res = await this.#send('POST', `reviews/${encodeURIComponent(reviewId)}/execution`, report);
    const body = (await res.json()) as Status & { error?: string; message?: string };
    if (res.status === 409 && body.error === 'AlreadyExecuted')
      throw new ApprovalUsed(reviewId, report.outcomeId, body.message ?? 'already used');
    if (!res.ok) throw new Error(`hitl-gate answered ${res.status}: ${body.message ?? JSON.stringify(body)}`);
    return body;
  }

  /**
   * Records a result after the action ran, retried (a repeated report changes nothing) because the caller
   * must get the action's own result or error either way: a report that never arrives leaves the review
   * showing `started`, which the status and the page say.
   */
  async #record(reviewId: string, report: Parameters<HitlGate['reportExecution']>[1]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.reportExecution(reviewId, report);
        return;
      } catch (err) {
        if (err instanceof ApprovalUsed || attempt === RECORD_ATTEMPTS) return;
        await sleep(200 * 2 ** attempt);
      }
    }
  }

  /**
   * Proposes the action and resolves once it is decided, with the decision (approved or not). Throws
   * ProposalInvalid when hitl-gate refused the proposal, ApprovalTimeout after `timeoutMs` (default: none).
   */
  async requestApproval(proposal: Proposal, options: WaitOptions = {}): Promise<Decided> {
    await this.propose(proposal);
    return this.waitFor(proposal.agentId, proposal.proposalId, options);
  }

  /** Waits for a proposal put on the bus before (by this process or another) to be decided. */
  async waitFor(agentId: string, proposalId: string, options: WaitOptions = {}): Promise<Decided> {
    const start = Date.now();
    let wait = this.#options.poll?.firstMs ?? 1000;
    const max = this.#options.poll?.maxMs ?? 60_000;
    for (;;) {
      const status = await this.status(agentId, proposalId);
      if (status?.outcome === 'invalid') throw new ProposalInvalid(proposalId, status.errors as string[]);
      if (status && status.outcome !== 'pending') return status as unknown as Decided;
      const left = options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : start + options.timeoutMs - Date.now();
      if (left <= 0) throw new ApprovalTimeout(proposalId, options.timeoutMs ?? 0);
      options.onPending?.(status, Math.min(wait, left));
      await sleep(Math.min(wait, left), options.signal);
      wait = Math.min(wait * 2, max);
    }
  }

  /**
   * Wraps `fn` so it runs only once a person approved it, once per approval, with the approved (possibly
   * edited) arguments: `toAction` says what to ask for, `fromAction` turns the approved action back into
   * arguments. Otherwise it throws ApprovalRejected, ApprovalExpired or ApprovalCancelled. It claims the
   * approval on the review before `fn` runs (ApprovalUsed when another run holds it) and records there
   * whether `fn` performed or failed (with the error's message); `fn`'s own error is rethrown.
   */
  guard<A extends unknown[], R>(
    fn: (...args: A) => Promise<R> | R,
    how: {
      agentId: string;
      requestedBy: string | ((...args: A) => string);
      toAction: (...args: A) => Action;
      fromAction: (action: Action, args: A) => A;
      /** The proposal's idempotency key for these arguments (default: a new one per call). */
      proposalId?: (...args: A) => string;
      timeoutMs?: number;
    },
  ): (...args: A) => Promise<R> {
    return async (...args: A) => {
      const proposal: Proposal = {
        proposalId: how.proposalId?.(...args) ?? crypto.randomUUID(),
        agentId: how.agentId,
        requestedBy: typeof how.requestedBy === 'function' ? how.requestedBy(...args) : how.requestedBy,
        action: how.toAction(...args),
      };
      const decided = await this.requestApproval(
        proposal,
        how.timeoutMs === undefined ? {} : { timeoutMs: how.timeoutMs },
      );
      if (decided.outcome === 'rejected') throw new ApprovalRejected(decided);
      if (decided.outcome === 'expired') throw new ApprovalExpired(decided);
      if (decided.outcome === 'cancelled') throw new ApprovalCancelled(decided);
      // The server's claim, not this process's memory, makes "once": a retry or another process that reaches
      // the same approval is refused with ApprovalUsed before it runs anything.
      const claim = crypto.randomUUID();
      const on = { outcomeId: decided.outcomeId, claim };
      await this.reportExecution(decided.reviewId, { ...on, result: 'started' });
      let result: R;
      try {
        result = await fn(...how.fromAction(decided.action, args));
      } catch (err) {
        await this.#record(decided.reviewId, { ...on, result: 'failed', detail: describe(err) });
        throw err;
      }
      await this.#record(decided.reviewId, { ...on, result: 'performed' });
      return result;
    };
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
