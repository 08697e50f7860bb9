// What the durable-functions column of `npm run cost` assumes, checked against AWS's own durable execution
// test runner: a step is one durable operation, a waitForCallback three, and each answered callback one
// more invocation of the function.
import { type DurableContext, withDurableExecution } from '@aws/durable-execution-sdk-js';
import { LocalDurableTestRunner, WaitingOperationStatus } from '@aws/durable-execution-sdk-js-testing';
import { OPERATIONS_PER_CALLBACK } from '../../scripts/cost-model.ts';

beforeAll(() => LocalDurableTestRunner.setupTestEnvironment({ skipTime: true }));
afterAll(() => LocalDurableTestRunner.teardownTestEnvironment());

test('a review run as a durable function takes one operation per step and OPERATIONS_PER_CALLBACK per decision', async () => {
  // The shape of hitl-gate's work as one durable function: intake's steps, a person's decision, the restart's steps.
  const handler = withDurableExecution(async (_event: unknown, context: DurableContext) => {
    await context.step('classify', async () => 'medium');
    await context.step('open-review', async () => 'opened');
    await context.step('notify-approvers', async () => 'notified');
    const decision = await context.waitForCallback('human-approval', async () => undefined);
    await context.step('publish-outcome', async () => decision);
    await context.step('complete-review', async () => 'completed');
    return decision;
  });
  const runner = new LocalDurableTestRunner<string>({ handlerFunction: handler });
  const execution = runner.run({ payload: {} });
  const approval = await runner.getOperation('human-approval').waitForData(WaitingOperationStatus.SUBMITTED);
  await approval.sendCallbackSuccess('approved');
  const result = await execution;
  expect(result.getResult()).toBe('approved');
  expect(result.getOperations()).toHaveLength(5 + OPERATIONS_PER_CALLBACK);
  expect(result.getInvocations()).toHaveLength(2);
});
