// @hitl-gate/client against local mode, with an agent's key (the stack's AgentPolicy): an agent asks in
// one call and learns the decision; guard runs a function once, with the approved (edited) arguments.
import {
  ApprovalRejected,
  ApprovalUsed,
  HitlGate,
  type Proposal,
  ProposalInvalid,
} from '../../clients/typescript/src/index.ts';
import { reviewIdFor } from '../../functions/domain/ids.ts';
import type { Review } from '../../functions/domain/review.ts';
import { purchaseOrder } from '../support/proposals.ts';
import { useLocalReviews } from '../support/reviews.ts';

const local = useLocalReviews();

const gate = () =>
  new HitlGate({
    busName: 'hitl-dev',
    apiUrl: local.h.app.url,
    endpoint: local.h.app.url,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'agent', secretAccessKey: 'agent' },
    poll: { firstMs: 50, maxMs: 200 },
  });

/** The review intake opened for a proposal, once it is there, with its emailed links. */
async function opened(p: Pick<Proposal, 'agentId' | 'proposalId'>) {
  const id = reviewIdFor(p.agentId, p.proposalId);
  for (let i = 0; i < 200; i++) {
    const review = await local.reviews.get(id);
    if (review) {
      const links = await local.reviews.linksFor(review as Review);
      if (links.length) return { review, links };
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no review ${id} with links`);
}

describe('@hitl-gate/client', () => {
  it('resolves requestApproval with the approved action after a click', async () => {
    const proposal = purchaseOrder(5000);
    // The agent's side: two lines.
    const decision = gate().requestApproval(proposal, { timeoutMs: 20_000 });
    const { review, links } = await opened(proposal);
    expect(await local.reviews.decide(review.id, { token: links[0]!.token, decision: 'approve' })).toMatchObject({
      status: 200,
    });
    const outcome = await decision;
    expect(outcome).toMatchObject({
      outcome: 'approved',
      reviewId: review.id,
      action: proposal.action,
      actionHash: review.actionHash,
      edited: false,
      decidedBy: [{ id: links[0]!.approverId, kind: 'person' }],
    });
    expect(outcome.outcomeId).toMatch(/^out-[0-9a-f]{32}$/);
  });

  it('runs a guarded function once, with the amount the approver edited', async () => {
    const orders: number[] = [];
    const placeOrder = gate().guard(async (amount: number) => orders.push(amount), {
      agentId: 'procurement-agent',
      requestedBy: 'sam.rivera',
      proposalId: (amount) => `guarded-${amount}-${process.pid}`,
      toAction: (amount) => ({
        type: 'purchase_order',
        summary: 'Docking stations',
        amount: { value: amount, currency: 'USD' },
      }),
      fromAction: (action): [number] => [action.amount?.value ?? Number.NaN],
      timeoutMs: 20_000,
    });
    const run = placeOrder(5000);
    const { review, links } = await opened({ agentId: 'procurement-agent', proposalId: `guarded-5000-${process.pid}` });
    expect(orders).toEqual([]);
    await local.reviews.decide(review.id, {
      token: links[0]!.token,
      decision: 'approve',
      edits: { 'amount.value': 4000 },
    });
    await run;
    expect(orders).toEqual([4000]);
    expect((await local.reviews.get(review.id))?.execution).toMatchObject({ by: 'agent', result: 'performed' });

    // Another process (or this one after a restart) reaches the same approval: the claim is taken, nothing runs.
    const again = await placeOrder(5000).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(ApprovalUsed);
    expect(orders).toEqual([4000]);
  });

  it('records on the review that a guarded function failed, and rethrows its error', async () => {
    const proposalId = `failing-${process.pid}`;
    const charge = gate().guard(
      async () => {
        throw new Error('card declined');
      },
      {
        agentId: 'procurement-agent',
        requestedBy: 'sam.rivera',
        proposalId: () => proposalId,
        toAction: () => ({ type: 'purchase_order', summary: 'Cables', amount: { value: 200, currency: 'USD' } }),
        fromAction: (_a, args) => args,
        timeoutMs: 20_000,
      },
    );
    await expect(charge()).rejects.toThrow('card declined');
    const review = await local.reviews.get(reviewIdFor('procurement-agent', proposalId));
    expect(review?.execution).toMatchObject({ by: 'agent', result: 'failed', detail: 'Error: card declined' });
    expect(review?.history.filter((e) => e.what.startsWith('execution'))).toMatchObject([
      {
        what: 'execution_failed',
        note: 'purchase_order failed in the agent: Error: card declined; not retried without a new approval',
      },
    ]);
  });

  it('throws ApprovalRejected with the reason, and never runs the guarded function', async () => {
    let ran = 0;
    const refund = gate().guard(() => ran++, {
      agentId: 'procurement-agent',
      requestedBy: 'sam.rivera',
      proposalId: () => `rejected-${process.pid}`,
      toAction: () => ({ type: 'purchase_order', summary: 'Chairs', amount: { value: 3000, currency: 'USD' } }),
      fromAction: (_a, args) => args,
      timeoutMs: 20_000,
    });
    const run = refund().catch((e: unknown) => e);
    const { review, links } = await opened({ agentId: 'procurement-agent', proposalId: `rejected-${process.pid}` });
    await local.reviews.decide(review.id, { token: links[0]!.token, decision: 'reject', reason: 'Not in the budget' });
    const err = await run;
    expect(err).toBeInstanceOf(ApprovalRejected);
    expect(err).toMatchObject({ outcome: { outcome: 'rejected', decisionReason: 'Not in the budget' } });
    expect(ran).toBe(0);
  });

  it('throws ProposalInvalid with every problem instead of waiting', async () => {
    const bad = purchaseOrder(-1);
    const err = await gate()
      .requestApproval({ ...bad, action: { ...bad.action, summary: ' ' } }, { timeoutMs: 20_000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProposalInvalid);
    expect((err as ProposalInvalid).errors).toEqual([
      'action.summary: must not be empty',
      'action.amount.value: must not be negative',
    ]);
  });
});
