import {
  CallbackTimeoutException,
  LambdaClient,
  ResourceNotFoundException,
  SendDurableExecutionCallbackFailureCommand,
  SendDurableExecutionCallbackSuccessCommand,
} from '@aws-sdk/client-lambda';
import type { DurableFunctionCallback } from '../domain/review.ts';
import type { Delivery, DurableFunctions } from '../app/ports.ts';
import { tracer } from './observability.ts';

/** Agents written as Lambda durable functions, answered through Lambda's durable execution callback API. */
export function lambdaDurableFunctions(): DurableFunctions {
  const client = tracer.captureAWSv3Client(new LambdaClient({}));
  return { answerCallback: (callback) => answerCallback(client, callback) };
}

/**
 * Success carries the outcome's JSON as the callback's Result (what context.waitForCallback returns). A failure
 * is named twice, as ErrorType and ErrorMessage, because waitForCallback rethrows it as a CallbackError whose
 * `message` is the ErrorMessage (its own type replaces ErrorType); the JSON cause travels as ErrorData.
 * A callback Lambda reports closed or gone (answered already, timed out, its execution stopped) is not
 * delivered, and the restart goes on.
 */
async function answerCallback(client: LambdaClient, callback: DurableFunctionCallback): Promise<Delivery> {
  const CallbackId = callback.durableCallbackId;
  try {
    if (callback.success)
      await client.send(
        new SendDurableExecutionCallbackSuccessCommand({ CallbackId, Result: Buffer.from(callback.output, 'utf8') }),
      );
    else
      await client.send(
        new SendDurableExecutionCallbackFailureCommand({
          CallbackId,
          Error: { ErrorType: callback.error, ErrorMessage: callback.error, ErrorData: callback.cause },
        }),
      );
    return { delivered: true };
  } catch (err) {
    if (err instanceof CallbackTimeoutException || err instanceof ResourceNotFoundException)
      return { delivered: false, reason: err.name };
    throw err;
  }
}
