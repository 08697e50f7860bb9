// The example durable agent (examples/durable-agent/) against local mode. The durable execution runs under
// AWS's own durable execution test runner (@aws/durable-execution-sdk-js-testing: the real SDK, with
// Lambda's checkpoint backend simulated in a worker thread): the agent proposes with the callback id its
// context.waitForCallback gave it, a person decides on local mode's HTTP API, and hitl-gate's restart
// answers the callback at local mode's Lambda endpoint. The test runner's backend is not on local
// mode's port, so the test carries the answer local mode received over to it unchanged (the Result's
// bytes, the ErrorObject), which is what Lambda's service does with an answer it accepts.
import {
  LocalDurableTestRunner,
  WaitingOperationStatus,
  type DurableOperation,
} from '@aws/durable-execution-sdk-js-testing';
import type { AgentResult, OrderRequest } from '../../examples/durable-agent/agent.ts';
import { reviewIdFor } from '../../functions/domain/ids.ts';
import { eventually } from '../support/local.ts';
import { useLocalReviews } from '../support/reviews.ts';

const local = useLocalReviews();
let agent: { handler: typeof import('../../examples/durable-agent/agent.ts').handler; AGENT_ID: string };
beforeAll(async () => {
  // Imported once local mode has set the endpoint and the developer's key, as Lambda sets a function's.
  agent = await import('../../examples/durable-agent/agent.ts');
  await LocalDurableTestRunner.setupTestEnvironment({ skipTime: false });
});
afterAll(() => LocalDurableTestRunner.teardownTestEnvironment());

let n = 0;
const order = (unitPrice: number, quantity = 12): OrderRequest => ({
  orderId: `po-durable-${Date.now()}-${++n}`,
  requestedBy: 'sam.rivera',
  item: 'standing desks',
  quantity,
  unitPrice,
  currency: 'USD',
});

/** Starts the agent on an order and waits until it has proposed it and paused on its callback. */
async function propose(request: OrderRequest) {
  const runner = new LocalDurableTestRunner<AgentResult>({ handlerFunction: agent.handler });
  const execution = runner.run({ payload: request });
  const approval = await runner.getOperation('human-approval').waitForData(WaitingOperationStatus.SUBMITTED);
  const callbackId = approval.getCallbackDetails()?.callbackId;
  if (!callbackId) throw new Error('the agent paused on no callback');
  await local.h.app.idle();
  const reviewId = reviewIdFor(agent.AGENT_ID, request.orderId);
  const review = await eventually(() => local.reviews.get(reviewId), `the review of ${request.orderId}`);
  return { execution, approval, callbackId, review };
}

/** Local mode's one answer to the callback, carried to the paused execution as Lambda carries it. */
async function resume(approval: DurableOperation, callbackId: string) {
  await local.h.app.idle();
  const answers = await eventually(() => {
    const a = local.h.app.durableCallbacks.of(callbackId);
    return a.length ? a : undefined;
  }, "hitl-gate's answer to the callback");
  expect(answers).toHaveLength(1);
  const [answer] = answers;
  if (answer!.outcome === 'succeeded') await approval.sendCallbackSuccess(answer!.result);
  else await approval.sendCallbackFailure(answer!.error);
}

describe('the example durable agent', () => {
  it('waits for the person, then goes on with exactly the order they approved, edited', async () => {
    const { execution, approval, callbackId, review } = await propose(order(500));
    let ended = false;
    void execution.finally(() => {
      ended = true;
    });
    expect(review).toMatchObject({ status: 'PENDING', durableCallbackId: callbackId, tier: 'medium' });
    expect(review.action).toMatchObject({ type: 'purchase_order', amount: { value: 6000, currency: 'USD' } });
    const [link] = await local.reviews.linksFor(review);
    const decided = await local.reviews.decide(review.id, {
      token: link!.token,
      decision: 'approve',
      reason: 'Ten is enough for now',
      edits: { 'amount.value': 5000, summary: '10 x standing desks' },
    });
    expect(decided.status).toBe(200);
    // Until hitl-gate's answer reaches it, the execution waits.
    expect(ended).toBe(false);
    await resume(approval, callbackId);
    const result = await execution;
    expect(result.getStatus()).toBe('SUCCEEDED');
    expect(result.getResult()).toEqual({
      status: 'approved',
      order: {
        type: 'purchase_order',
        summary: '10 x standing desks',
        amount: { value: 5000, currency: 'USD' },
        payload: { item: 'standing desks', quantity: 12, unitPrice: 500 },
      },
      edited: true,
      approvedBy: [link!.approverId],
      reviewId: review.id,
      outcomeId: local.reviews.outcomesOf(review.id)[0]!.detail.outcomeId,
    });
    expect((await local.reviews.get(review.id))?.status).toBe('COMPLETED');
  });

  it('stops with HumanRejected and the reason when the person rejects', async () => {
    const { execution, approval, callbackId, review } = await propose(order(400));
    const [link] = await local.reviews.linksFor(review);
    await local.reviews.decide(review.id, { token: link!.token, decision: 'reject', reason: 'Use the old desks' });
    await resume(approval, callbackId);
    const result = await execution;
    expect(result.getStatus()).toBe('SUCCEEDED');
    expect(result.getResult()).toEqual({
      status: 'refused',
      refusal: 'HumanRejected',
      reason: 'Use the old desks',
      decidedBy: [link!.approverId],
      reviewId: review.id,
      outcomeId: local.reviews.outcomesOf(review.id)[0]!.detail.outcomeId,
    });
  });

  it('stops with ReviewExpired when nobody decides within the SLA (local clock moved on a day)', async () => {
    // Over $10,000: the CFO, within 24 hours, and then the review expires (fails closed).
    const { execution, approval, callbackId, review } = await propose(order(5000));
    expect(review.route.map((s) => s.roles[0])).toEqual(['cfo']);
    local.h.app.clock.advance(24 * 3600_000 + 60_000);
    await local.h.app.schedules.fire('sweep');
    await resume(approval, callbackId);
    const result = await execution;
    expect(result.getResult()).toMatchObject({ status: 'refused', refusal: 'ReviewExpired', decidedBy: ['policy'] });
  });
});
