// Local Lambda durable execution callbacks: SendDurableExecutionCallbackSuccess / Failure as Lambda answers
// them to whoever completes a callback. The durable executions themselves run elsewhere (in AWS, or under
// the durable execution SDK's test runner), so local mode records each answer (durable-callbacks.jsonl and
// the page /_local/durable-callbacks) and closes the callback: as in Lambda, a second answer to the same
// callback id is refused with CallbackTimeoutException.
import { appendFile, readFile } from 'node:fs/promises';
import { AwsError } from './errors.ts';

/** ErrorObject of the Lambda API: what a failed callback carries. */
export interface CallbackError {
  ErrorType?: string;
  ErrorMessage?: string;
  ErrorData?: string;
  StackTrace?: string[];
}

export interface DurableCallbackAnswer {
  at: string;
  callbackId: string;
  outcome: 'succeeded' | 'failed';
  /** The Result bytes of a success, as UTF-8 text (what context.waitForCallback returns by default). */
  result?: string;
  error?: CallbackError;
  /** Who answered: the signer's principal, e.g. `reportToCaller`. */
  by: string;
}

/** A refused answer, kept so a person sees a caller that was no longer waiting. */
export interface RefusedAnswer {
  at: string;
  callbackId: string;
  outcome: DurableCallbackAnswer['outcome'];
  error: string;
  by: string;
}

/** Lambda's words for a callback that is closed (API reference, CallbackTimeoutException). */
export const CALLBACK_CLOSED =
  'The callback ID token has either expired or the callback associated with the token has already been closed.';

export class LocalDurableCallbacks {
  readonly #file: string;
  readonly #closed = new Set<string>();
  /** Answers accepted, oldest first (the file keeps those of earlier runs too). */
  readonly answers: DurableCallbackAnswer[] = [];
  readonly refused: RefusedAnswer[] = [];
  readonly #now: () => number;

  constructor(file: string, now: () => number) {
    this.#file = file;
    this.#now = now;
  }

  /** Callbacks answered in an earlier run of the same data folder stay closed. */
  async open(): Promise<void> {
    const text = await readFile(this.#file, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        this.#closed.add((JSON.parse(line) as DurableCallbackAnswer).callbackId);
      } catch {
        // A line cut short by a crash names no answer.
      }
    }
  }

  succeed(callbackId: string, result: Buffer, by: string): Promise<void> {
    return this.#answer({ callbackId, outcome: 'succeeded', result: result.toString('utf8'), by });
  }

  fail(callbackId: string, error: CallbackError | undefined, by: string): Promise<void> {
    return this.#answer({ callbackId, outcome: 'failed', ...(error ? { error } : {}), by });
  }

  /** Answers of one callback id, oldest first. */
  of(callbackId: string): DurableCallbackAnswer[] {
    return this.answers.filter((a) => a.callbackId === callbackId);
  }

  async #answer(answer: Omit<DurableCallbackAnswer, 'at'>): Promise<void> {
    const at = new Date(this.#now()).toISOString();
    if (this.#closed.has(answer.callbackId)) {
      this.refused.push({
        at,
        callbackId: answer.callbackId,
        outcome: answer.outcome,
        error: 'CallbackTimeoutException',
        by: answer.by,
      });
      throw new AwsError('CallbackTimeoutException', CALLBACK_CLOSED);
    }
    this.#closed.add(answer.callbackId);
    const recorded = { at, ...answer };
    this.answers.push(recorded);
    await appendFile(this.#file, `${JSON.stringify(recorded)}\n`);
  }
}
