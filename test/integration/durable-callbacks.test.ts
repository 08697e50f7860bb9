// Agents written as Lambda durable functions: a proposal carries the callback id context.waitForCallback
// gave, and the restart answers it with SendDurableExecutionCallbackSuccess / Failure, through local
// mode's Lambda endpoint (SigV4, IAM from the packaged template, Lambda's validation), which records
// every answer and closes the callback, as Lambda does.
import { randomUUID } from 'node:crypto';
import {
  CallbackTimeoutException,
  LambdaClient,
  SendDurableExecutionCallbackFailureCommand,
  SendDurableExecutionCallbackSuccessCommand,
} from '@aws-sdk/client-lambda';
import { CALLBACK_CLOSED } from '../../local/durable-callbacks.ts';
import { reviewIdFor } from '../../functions/domain/ids.ts';
import { signedFetch } from '../support/local.ts';
import { putProposals } from './local-wire.ts';
import { purchaseOrder } from '../support/proposals.ts';
import { useLocalReviews } from '../support/reviews.ts';

const local = useLocalReviews();

/** A callback id as Lambda hands one out: base64, unique per callback. */
const newCallbackId = () =>
  Buffer.from(JSON.stringify({ executionId: randomUUID(), operationId: randomUUID() })).toString('base64');

const lambda = (credentials = { accessKeyId: 'local', secretAccessKey: 'local' }) =>
  new LambdaClient({ endpoint: local.h.app.url, region: local.h.app.wiring.region, credentials });

async function decided(value: number, decision: 'approve' | 'reject', reason: string) {
  const durableCallbackId = newCallbackId();
  const opened = await local.reviews.open(purchaseOrder(value, { callback: { durableCallbackId } }));
  const answer = await local.reviews.decide(opened.id, { token: opened.links[0]!.token, decision, reason });
  expect(answer.status).toBe(200);
  await local.h.app.idle();
  return { opened, durableCallbackId };
}

describe('a durable function waiting on a review', () => {
  it('gets exactly one SendDurableExecutionCallbackSuccess, whose Result is the granted outcome', async () => {
    const before = local.h.app.requests.get('Lambda.SendDurableExecutionCallbackSuccess') ?? 0;
    const { opened, durableCallbackId } = await decided(5000, 'approve', 'Budgeted');
    const [granted] = local.reviews.outcomesOf(opened.id);
    expect(granted?.detailType).toBe('Approval Granted');
    const answers = local.h.app.durableCallbacks.of(durableCallbackId);
    expect(answers).toEqual([
      {
        at: expect.any(String),
        callbackId: durableCallbackId,
        outcome: 'succeeded',
        result: expect.any(String),
        by: 'reportToCaller',
      },
    ]);
    expect(JSON.parse(answers[0]!.result!)).toEqual(granted!.detail);
    expect(local.h.app.requests.get('Lambda.SendDurableExecutionCallbackSuccess')).toBe(before + 1);
    expect((await local.reviews.get(opened.id))?.status).toBe('COMPLETED');
  });

  it('gets exactly one SendDurableExecutionCallbackFailure named HumanRejected, with the reviewer and the reason', async () => {
    const { opened, durableCallbackId } = await decided(6000, 'reject', 'Use the existing desks first');
    const [rejected] = local.reviews.outcomesOf(opened.id);
    expect(rejected?.detailType).toBe('Approval Rejected');
    const answers = local.h.app.durableCallbacks.of(durableCallbackId);
    expect(answers).toEqual([
      {
        at: expect.any(String),
        callbackId: durableCallbackId,
        outcome: 'failed',
        error: { ErrorType: 'HumanRejected', ErrorMessage: 'HumanRejected', ErrorData: expect.any(String) },
        by: 'reportToCaller',
      },
    ]);
    expect(JSON.parse(answers[0]!.error!.ErrorData!)).toEqual({
      reviewId: opened.id,
      proposalId: opened.proposal.proposalId,
      outcomeId: rejected!.detail.outcomeId,
      decidedBy: [opened.links[0]!.approverId],
      reason: 'Use the existing desks first',
      decidedAt: rejected!.detail.decidedAt,
    });
    expect((await local.reviews.get(opened.id))?.status).toBe('COMPLETED');
  });

  it('no longer waiting (its callback answered already) does not fail the restart: the review completes', async () => {
    const durableCallbackId = newCallbackId();
    const opened = await local.reviews.open(purchaseOrder(7000, { callback: { durableCallbackId } }));
    // The agent's own fallback gave up on the person first and closed the callback.
    await lambda().send(
      new SendDurableExecutionCallbackFailureCommand({
        CallbackId: durableCallbackId,
        Error: { ErrorType: 'GaveUp', ErrorMessage: 'no answer in time' },
      }),
    );
    await local.reviews.decide(opened.id, { token: opened.links[0]!.token, decision: 'approve' });
    await local.h.app.idle();
    expect((await local.reviews.get(opened.id))?.status).toBe('COMPLETED');
    expect(local.reviews.resumesOf(opened.id).map((e) => e.status)).toEqual(['SUCCEEDED']);
    expect(local.reviews.outcomesOf(opened.id).map((e) => e.detailType)).toEqual(['Approval Granted']);
    expect(local.h.app.durableCallbacks.of(durableCallbackId).map((a) => a.by)).toEqual(['local']);
    expect(local.h.app.durableCallbacks.refused.filter((r) => r.callbackId === durableCallbackId)).toEqual([
      {
        at: expect.any(String),
        callbackId: durableCallbackId,
        outcome: 'succeeded',
        error: 'CallbackTimeoutException',
        by: 'reportToCaller',
      },
    ]);
  });

  it('refuses a proposal with both a task token and a callback: Action Rejected As Invalid, no review', async () => {
    const both = purchaseOrder(5000, { taskToken: 'caller-token', callback: { durableCallbackId: newCallbackId() } });
    await putProposals(local.h.app.url, [both]);
    await local.h.app.idle();
    const rejected = local.h.app.bus.events
      .filter((e) => e.DetailType === 'Action Rejected As Invalid')
      .map((e) => JSON.parse(e.Detail) as { proposalId: string; errors: string[] })
      .find((d) => d.proposalId === both.proposalId);
    expect(rejected?.errors).toEqual([
      'callback: give either taskToken (a Standard workflow) or callback.durableCallbackId (a durable function), not both: one caller waits for a review',
    ]);
    expect(await local.reviews.get(reviewIdFor(both.agentId, both.proposalId))).toBeUndefined();
  });

  it("never shows the callback id in a review's status or JSON view", async () => {
    const { opened, durableCallbackId } = await decided(5200, 'approve', 'Fine');
    expect((await local.reviews.get(opened.id))?.durableCallbackId).toBe(durableCallbackId);
    const status = await signedFetch(local.h.app.url, 'GET', `/reviews/${opened.id}/status`);
    expect(status.status).toBe(200);
    const view = await fetch(opened.links[0]!.url, { headers: { accept: 'application/json' } });
    for (const text of [await status.text(), await view.text()]) {
      expect(text).toContain(opened.id);
      expect(text).not.toMatch(/durableCallbackId|callback/);
      expect(text).not.toContain(durableCallbackId);
    }
  });

  it('shows every answer on the local page and as JSON', async () => {
    const { durableCallbackId } = await decided(5500, 'approve', 'Fine');
    const page = await (await fetch(`${local.h.app.url}/_local/durable-callbacks`)).text();
    expect(page).toContain(durableCallbackId);
    const json = (await (await fetch(`${local.h.app.url}/_local/durable-callbacks.json`)).json()) as {
      answers: { callbackId: string }[];
    };
    expect(json.answers.filter((a) => a.callbackId === durableCallbackId)).toHaveLength(1);
  });
});

describe("local mode's durable execution callback API, as Lambda answers it", () => {
  it('accepts one answer per callback and refuses the next with CallbackTimeoutException', async () => {
    // Lambda's ids are base64: "+", "/" and "=" travel percent-encoded in the path, and are signed so.
    for (const CallbackId of [newCallbackId(), `ab+/cd/+${randomUUID().replaceAll('-', '')}==`]) {
      await lambda().send(new SendDurableExecutionCallbackSuccessCommand({ CallbackId, Result: Buffer.from('"yes"') }));
      const again = await lambda()
        .send(new SendDurableExecutionCallbackFailureCommand({ CallbackId, Error: { ErrorMessage: 'late' } }))
        .catch((e: Error) => e);
      expect(again).toBeInstanceOf(CallbackTimeoutException);
      expect(again).toMatchObject({ message: CALLBACK_CLOSED, $metadata: { httpStatusCode: 400 } });
      expect(local.h.app.durableCallbacks.of(CallbackId)).toEqual([
        { at: expect.any(String), callbackId: CallbackId, outcome: 'succeeded', result: '"yes"', by: 'local' },
      ]);
    }
  });

  it("refuses a callback id that is not Lambda's shape, and a Result over 256 KB, with ValidationException", async () => {
    const bad = await lambda()
      .send(new SendDurableExecutionCallbackSuccessCommand({ CallbackId: 'not base64!', Result: Buffer.from('1') }))
      .catch((e: Error) => e);
    expect(bad).toMatchObject({
      name: 'ValidationException',
      message:
        "1 validation error detected: Value 'not base64!' at 'callbackId' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[A-Za-z0-9+/]+={0,2}$",
      $metadata: { httpStatusCode: 400 },
    });
    const big = await lambda()
      .send(
        new SendDurableExecutionCallbackSuccessCommand({
          CallbackId: newCallbackId(),
          Result: Buffer.alloc(262_145, 'a'),
        }),
      )
      .catch((e: Error) => e);
    expect(big).toMatchObject({ name: 'ValidationException' });
    expect((big as Error).message).toContain(
      "at 'result' failed to satisfy constraint: Member must have length less than or equal to 262144",
    );
  });

  it('refuses a failure whose body is not an ErrorObject, and an unsigned request', async () => {
    const answered = local.h.app.durableCallbacks.answers.length;
    const path = () => `/2025-12-01/durable-execution-callbacks/${encodeURIComponent(newCallbackId())}/fail`;
    const answer = async (res: Response) => ({
      status: res.status,
      type: res.headers.get('x-amzn-errortype'),
      body: (await res.json()) as Record<string, string>,
    });
    expect(
      await answer(await signedFetch(local.h.app.url, 'POST', path(), 'not json', 'local', 'lambda')),
    ).toMatchObject({
      status: 400,
      type: 'InvalidRequestContentException',
      body: { Type: 'User', Message: expect.stringContaining('The request body is not valid JSON') },
    });
    expect(await answer(await signedFetch(local.h.app.url, 'POST', path(), '[1]', 'local', 'lambda'))).toMatchObject({
      status: 400,
      type: 'InvalidRequestContentException',
      body: { Message: 'Error: expected an object, found a list' },
    });
    expect(
      await answer(await signedFetch(local.h.app.url, 'POST', path(), { ErrorType: 7 }, 'local', 'lambda')),
    ).toMatchObject({
      status: 400,
      type: 'InvalidRequestContentException',
      body: { Message: 'Error.ErrorType: expected a string, found a number' },
    });
    const unsigned = await answer(await fetch(`${local.h.app.url}${path()}`, { method: 'POST', body: '{}' }));
    expect(unsigned).toMatchObject({ status: 403, type: 'MissingAuthenticationTokenException' });
    expect(local.h.app.durableCallbacks.answers).toHaveLength(answered);
  });

  it("refuses a function's key that its role does not grant the callback (classify), and records nothing", async () => {
    const CallbackId = newCallbackId();
    const denied = await lambda(local.h.app.iam.credentialsFor('classify'))
      .send(new SendDurableExecutionCallbackSuccessCommand({ CallbackId, Result: Buffer.from('{}') }))
      .catch((e: Error) => e);
    expect(denied).toMatchObject({ name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } });
    expect((denied as Error).message).toMatch(
      /^User: arn:aws:sts::000000000000:assumed-role\/hitl-gate-dev-classify-eu-west-1-lambdaRole\/hitl-gate-dev-classify is not authorized to perform: lambda:SendDurableExecutionCallbackSuccess on resource: arn:aws:lambda:eu-west-1:000000000000:function:durable-function:\$LATEST\/durable-execution\/local\/[0-9a-f]{32} because no identity-based policy allows the lambda:SendDurableExecutionCallbackSuccess action$/,
    );
    expect(local.h.app.durableCallbacks.of(CallbackId)).toEqual([]);
    await expect(
      lambda(local.h.app.iam.credentialsFor('reportToCaller')).send(
        new SendDurableExecutionCallbackSuccessCommand({ CallbackId, Result: Buffer.from('{}') }),
      ),
    ).resolves.toBeDefined();
  });
});
