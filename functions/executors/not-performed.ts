// How an executor says an action certainly did not happen (its own module: executors and the registry both need it).

/**
 * Thrown by an executor when the action certainly was not performed: `retryable` if it may be tried again later
 * (throttling), not if it would be refused again. Any other error leaves it unknown: it may have happened.
 */
export class NotPerformed extends Error {
  override readonly name = 'NotPerformed';
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean, options?: ErrorOptions) {
    super(message, options);
    this.retryable = retryable;
  }
}
