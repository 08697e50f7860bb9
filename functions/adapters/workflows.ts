import {
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import type { TaskTokenCallback } from '../domain/review.ts';
import type { Delivery, Workflows } from '../app/ports.ts';
import { config } from '../config.ts';
import { tracer } from './observability.ts';

/** Workflows on Step Functions: a restart is a fresh Express execution of the resume state machine. */
export function stepFunctions(resumeArn: () => string): Workflows {
  const client = tracer.captureAWSv3Client(new SFNClient({}));
  return {
    restart: (reviewId) => restart(client, resumeArn(), reviewId),
    answerCaller: (callback) => answerCaller(client, callback),
  };
}

/** The Workflows port: restarts run the function's resume state machine (RESUME_STATE_MACHINE_ARN). */
export const resumeWorkflows = (): Workflows => stepFunctions(() => config().RESUME_STATE_MACHINE_ARN);

async function restart(client: SFNClient, stateMachineArn: string, reviewId: string): Promise<string> {
  const out = await client.send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify({ reviewId }) }));
  return out.executionArn ?? '';
}

/**
 * Answers a caller paused on .waitForTaskToken. A token the caller no longer waits on (answered
 * already, timed out, or its execution gone) is reported as not delivered instead of failing the restart.
 */
async function answerCaller(client: SFNClient, callback: TaskTokenCallback): Promise<Delivery> {
  try {
    if (callback.success)
      await client.send(new SendTaskSuccessCommand({ taskToken: callback.taskToken, output: callback.output }));
    else
      await client.send(
        new SendTaskFailureCommand({ taskToken: callback.taskToken, error: callback.error, cause: callback.cause }),
      );
    return { delivered: true };
  } catch (err) {
    if (err instanceof TaskTimedOut || err instanceof TaskDoesNotExist || err instanceof InvalidToken)
      return { delivered: false, reason: err.name };
    throw err;
  }
}
