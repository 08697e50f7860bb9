// POST /reviews/{id}/execution through local mode, signed as the agent (the stack's AgentPolicy): the agent
// claims an approval before it acts, and every report that does not fit is refused with what is wrong.
import { signedFetch } from '../support/local.ts';
import { customerEmail, purchaseOrder } from '../support/proposals.ts';
import { useLocalReviews } from '../support/reviews.ts';

const local = useLocalReviews();

const asAgent = (path: string, body?: object | string, secret = 'agent') =>
  signedFetch(local.h.app.url, 'POST', path, body, secret, 'execute-api', 'agent');

/** The review's status as the agent reads it. */
async function statusOf(id: string) {
  const res = await signedFetch(
    local.h.app.url,
    'GET',
    `/reviews/${id}/status`,
    undefined,
    'agent',
    'execute-api',
    'agent',
  );
  return (await res.json()) as { outcomeId: string } & Record<string, unknown>;
}

async function answer(res: Response) {
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** An approved review and its outcomeId, as the agent reads it from the status. */
async function approved(value = 500) {
  const opened = await local.reviews.open(purchaseOrder(value));
  await local.h.app.idle();
  return { id: opened.id, outcomeId: (await statusOf(opened.id)).outcomeId };
}

describe('POST /reviews/{id}/execution', () => {
  it('records the claim and the result on the review, and shows them in the status', async () => {
    const { id, outcomeId } = await approved();
    const started = await answer(
      await asAgent(`/reviews/${id}/execution`, { outcomeId, claim: 'run-0001', result: 'started' }),
    );
    expect(started).toMatchObject({
      status: 200,
      body: { recorded: true, execution: { by: 'agent', result: 'started' } },
    });
    expect(started.body.execution).not.toHaveProperty('claim');
    const again = await answer(
      await asAgent(`/reviews/${id}/execution`, { outcomeId, claim: 'run-0001', result: 'started' }),
    );
    expect(again).toMatchObject({ status: 200, body: { recorded: false } });
    const other = await answer(
      await asAgent(`/reviews/${id}/execution`, { outcomeId, claim: 'run-0002', result: 'started' }),
    );
    expect(other).toMatchObject({ status: 409, body: { error: 'AlreadyExecuted' } });
    expect(other.body.message).toContain('running the action again needs a new approval');
    const done = await answer(
      await asAgent(`/reviews/${id}/execution`, { outcomeId, claim: 'run-0001', result: 'performed', detail: 'PO-77' }),
    );
    expect(done).toMatchObject({
      status: 200,
      body: { execution: { by: 'agent', result: 'performed', detail: 'PO-77' } },
    });
    expect(await statusOf(id)).toMatchObject({ outcome: 'approved', execution: { by: 'agent', result: 'performed' } });
    const review = await local.reviews.get(id);
    expect(review?.history.filter((e) => e.what === 'executed')).toMatchObject([
      { by: { kind: 'system' }, note: 'purchase_order performed by the agent: PO-77' },
    ]);
  });

  it.each([
    ['no fields', 400, {}, 'outcomeId is required'],
    ['a short claim', 400, { outcomeId: 'out-1', claim: 'short', result: 'started' }, 'claim must be 8 to 100 letters'],
    ['an unknown result', 400, { outcomeId: 'out-1', claim: 'run-0001', result: 'done' }, 'result must be started'],
    [
      'a detail of 20,001 characters',
      400,
      { outcomeId: 'out-1', claim: 'run-0001', result: 'performed', detail: 'x'.repeat(20_001) },
      'detail may be at most 20000 characters',
    ],
    ['a body that is not JSON', 422, 'not json', 'Invalid or malformed JSON'],
  ] as const)('%s: answers %i with what is wrong', async (_name, status, body, says) => {
    const { id } = await approved();
    const res = await answer(await asAgent(`/reviews/${id}/execution`, body));
    expect(res.status).toBe(status);
    expect(String(res.body.message)).toContain(says);
  });

  it('refuses a review that is not approved, another approval, an unknown review, and an action hitl-gate performs', async () => {
    const pending = await local.reviews.open(purchaseOrder(5000));
    const report = { outcomeId: 'out-00000000000000000000000000000000', claim: 'run-0001', result: 'started' };
    expect(await answer(await asAgent(`/reviews/${pending.id}/execution`, report))).toMatchObject({
      status: 409,
      body: { error: 'NotApproved' },
    });
    const { id } = await approved();
    expect(await answer(await asAgent(`/reviews/${id}/execution`, report))).toMatchObject({
      status: 409,
      body: { error: 'OutcomeMismatch' },
    });
    expect(await answer(await asAgent('/reviews/rv-00000000000000000000000000000000/execution', report))).toMatchObject(
      {
        status: 404,
      },
    );
    const email = await local.reviews.open(customerEmail());
    await local.reviews.decide(email.id, { token: email.links[0]!.token, decision: 'approve', reason: 'Fine' });
    await local.h.app.idle();
    const decided = await local.reviews.get(email.id);
    expect(decided?.status).toBe('COMPLETED');
    const status = await statusOf(email.id);
    expect(
      await answer(await asAgent(`/reviews/${email.id}/execution`, { ...report, outcomeId: status.outcomeId })),
    ).toMatchObject({ status: 409, body: { error: 'AlreadyExecuted' } });
  });

  it('refuses an unsigned or badly signed report before it reaches the function', async () => {
    const { id, outcomeId } = await approved();
    const body = { outcomeId, claim: 'run-0001', result: 'started' };
    const unsigned = await fetch(`${local.h.app.url}/reviews/${id}/execution`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(unsigned.status).toBe(403);
    expect((await asAgent(`/reviews/${id}/execution`, body, 'wrong-secret')).status).toBe(403);
    expect((await local.reviews.get(id))?.execution).toBeUndefined();
  });
});
