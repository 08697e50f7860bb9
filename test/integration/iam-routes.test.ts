// The IAM-authorized routes for agents and services: withdrawing a pending review (POST /reviews/{id}/cancel)
// and reading its status (GET /reviews/{id}/status), signed with SigV4 as API Gateway's aws_iam authorizer
// requires (local mode verifies the signature with its own key).
import { clients, signedFetch } from '../support/local.ts';
import { purchaseOrder } from '../support/proposals.ts';
import { useLocalReviews } from '../support/reviews.ts';
import { actionHash } from '../../functions/domain/action-hash.ts';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';

const local = useLocalReviews();

/** A signed request, as an agent's SigV4 HTTP client makes it (service execute-api). */
async function signed(method: 'GET' | 'POST', path: string, body?: object, secretAccessKey = 'local') {
  const res = await signedFetch(local.h.app.url, method, path, body, secretAccessKey);
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}
const cancelRequest = (id: string, body: object, secretAccessKey = 'local') =>
  signed('POST', `/reviews/${id}/cancel`, body, secretAccessKey);

describe('cancel', () => {
  it('withdraws a pending review: Approval Cancelled is published and its links stop deciding', async () => {
    const opened = await local.reviews.open(purchaseOrder(5000));
    const res = await cancelRequest(opened.id, { reason: 'The agent found a cheaper supplier' });
    expect(res).toMatchObject({
      status: 200,
      body: {
        status: 'CANCELLED',
        decision: {
          outcome: 'cancelled',
          reason: 'The agent found a cheaper supplier',
          by: [{ id: 'arn:aws:iam::000000000000:user/local' }],
        },
      },
    });
    await local.h.app.idle();
    expect(local.reviews.outcomesOf(opened.id).map((e) => e.detailType)).toEqual(['Approval Cancelled']);
    const late = await local.reviews.decide(opened.id, { token: opened.links[0]!.token, decision: 'approve' });
    expect(late).toMatchObject({ status: 409, body: { error: 'AlreadyDecided' } });
  });

  it('refuses an unsigned request, or one signed with another key, with 403, and changes nothing', async () => {
    const opened = await local.reviews.open(purchaseOrder(5000));
    const unsigned = await fetch(`${local.h.app.url}/reviews/${opened.id}/cancel`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"reason":"x"}',
    });
    expect(unsigned.status).toBe(403);
    expect((await cancelRequest(opened.id, { reason: 'x' }, 'wrong-secret')).status).toBe(403);
    expect((await local.reviews.get(opened.id))!.status).toBe('PENDING');
  });

  it('needs a reason, and cannot cancel a decided review', async () => {
    const opened = await local.reviews.open(purchaseOrder(5000));
    expect(await cancelRequest(opened.id, {})).toMatchObject({ status: 400 });
    expect(await cancelRequest(opened.id, { reason: '  ' })).toMatchObject({
      status: 400,
      body: { error: 'ReasonRequired' },
    });
    await local.reviews.decide(opened.id, { token: opened.links[0]!.token, decision: 'approve' });
    expect(await cancelRequest(opened.id, { reason: 'too late' })).toMatchObject({
      status: 409,
      body: { error: 'AlreadyDecided' },
    });
  });
});

describe('status for agents', () => {
  it('answers a signed request with the status and full history, never the task token or used links', async () => {
    const opened = await local.reviews.open(purchaseOrder(5000, { taskToken: 'caller-token-secret' }));
    await local.reviews.decide(opened.id, { token: opened.links[0]!.token, decision: 'approve' });
    await local.h.app.idle();
    const res = await signed('GET', `/reviews/${opened.id}/status`);
    expect(res).toMatchObject({
      status: 200,
      body: { reviewId: opened.id, status: 'COMPLETED', decision: { outcome: 'approved' } },
    });
    expect(res.body.history.map((h: { what: string }) => h.what)).toEqual([
      'opened',
      'notified',
      'approved',
      'completed',
    ]);
    expect(JSON.stringify(res.body)).not.toMatch(/caller-token-secret|taskToken|usedLinks/);
  });

  it('says what an agent acts on: the outcome, the approved (edited) action and its hash, who decided, and the outcomeId', async () => {
    const opened = await local.reviews.open(purchaseOrder(5000));
    const pending = await signed(
      'GET',
      `/agents/${opened.proposal.agentId}/proposals/${opened.proposal.proposalId}/status`,
    );
    expect(pending).toMatchObject({
      status: 200,
      body: { reviewId: opened.id, outcome: 'pending', edited: false, actionHash: opened.review.actionHash },
    });
    expect(pending.body.outcomeId).toBeUndefined();
    await local.reviews.decide(opened.id, {
      token: opened.links[0]!.token,
      decision: 'approve',
      edits: { 'amount.value': 4000 },
    });
    await local.h.app.idle();
    const byId = await signed('GET', `/reviews/${opened.id}/status`);
    const byProposal = await signed(
      'GET',
      `/agents/${encodeURIComponent(opened.proposal.agentId)}/proposals/${encodeURIComponent(opened.proposal.proposalId)}/status`,
    );
    expect(byProposal.body).toEqual(byId.body);
    expect(byId.body).toMatchObject({
      outcome: 'approved',
      status: 'COMPLETED',
      edited: true,
      action: { amount: { value: 4000, currency: 'USD' } },
      proposed: { action: { amount: { value: 5000 } }, actionHash: opened.review.actionHash },
      decidedBy: [{ id: opened.links[0]!.approverId, kind: 'person' }],
    });
    expect(byId.body.actionHash).toBe(actionHash(byId.body.action));
    const granted = local.h.app.bus.events.find(
      (e) => e.DetailType === 'Approval Granted' && JSON.parse(e.Detail).reviewId === opened.id,
    );
    expect(byId.body.outcomeId).toBe(JSON.parse(granted!.Detail).outcomeId);
    // Ids that cannot name a proposal are a 404 before any lookup.
    expect(await signed('GET', `/agents/${'a'.repeat(300)}/proposals/p/status`)).toMatchObject({ status: 404 });
    expect(await signed('GET', `/agents/agent/proposals/never-sent/status`)).toMatchObject({
      status: 404,
      body: { error: 'ReviewNotFound' },
    });
  });

  it('answers "invalid" with the problems for a proposal intake refused, instead of 404 for ever', async () => {
    const { eventBridge } = clients(local.h.app.url);
    const bad = purchaseOrder(-5);
    await eventBridge.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: 'hitl-dev',
            Source: 'agent.test',
            DetailType: 'Action Proposed',
            Detail: JSON.stringify(bad),
          },
        ],
      }),
    );
    await local.h.app.idle();
    const status = await signed('GET', `/agents/${bad.agentId}/proposals/${bad.proposalId}/status`);
    expect(status).toMatchObject({
      status: 200,
      body: { outcome: 'invalid', agentId: bad.agentId, proposalId: bad.proposalId },
    });
    expect(status.body.errors).toEqual(['action.amount.value: must not be negative']);
    // The same proposalId sent again, valid this time, opens the review, and the status shows it.
    const fixed = await local.reviews.open({
      ...bad,
      action: { ...bad.action, amount: { value: 5, currency: 'USD' } },
    });
    expect(await signed('GET', `/reviews/${fixed.id}/status`)).toMatchObject({ body: { outcome: 'approved' } });
  });

  it('refuses an unsigned request with 403 and answers an unknown review with 404', async () => {
    const opened = await local.reviews.open(purchaseOrder(5000));
    expect((await fetch(`${local.h.app.url}/reviews/${opened.id}/status`)).status).toBe(403);
    expect(await signed('GET', '/reviews/rv-unknown/status')).toMatchObject({
      status: 404,
      body: { error: 'ReviewNotFound' },
    });
    // Ids of any other shape, however long, are refused before the table is asked (its key limit is 2,048 bytes).
    for (const id of [
      'x'.repeat(3000),
      'rv-',
      `rv-${'0'.repeat(31)}g`,
      encodeURIComponent('rv-ü'),
      '%F0%9F%98%80'.repeat(300),
    ]) {
      const status = await signed('GET', `/reviews/${id}/status`);
      expect(status).toMatchObject({ status: 404, body: { error: 'ReviewNotFound' } });
      expect(JSON.stringify(status.body).length).toBeLessThan(400);
      expect(await signed('POST', `/reviews/${id}/cancel`, { reason: 'withdrawn' })).toMatchObject({
        status: 404,
        body: { error: 'ReviewNotFound' },
      });
    }
  });
});

describe('the inbox routes', () => {
  it('take the inbox link, not SigV4: a signed request without the link is refused as a person without one is', async () => {
    const list = await signedFetch(local.h.app.url, 'GET', '/inbox');
    expect(list.status).toBe(401);
    expect(await list.text()).toContain('This link does not work');
    const batch = await signed('POST', '/inbox', { decision: 'approve', reviews: [] });
    expect(batch).toMatchObject({ status: 400, body: { error: 'BadRequest' } });
    const opened = await local.reviews.open(purchaseOrder(5000));
    const row = { reviewId: opened.id, step: 0, actionHash: opened.review.actionHash };
    // The agent's own credentials decide nothing: only an approver's inbox link does.
    expect(await signed('POST', '/inbox', { decision: 'approve', reviews: [row] })).toMatchObject({
      status: 400,
      body: { message: expect.stringMatching(/token is required/) },
    });
    expect((await local.reviews.get(opened.id))!.status).toBe('PENDING');
  });
});

describe('revoking a standing approval', () => {
  it('refuses an unsigned request, or one signed with another key, with 403; a signed one for no grant gets 404', async () => {
    const path = '/grants/purchase_order.0123456789abcdef0123/revoke';
    const unsigned = await fetch(`${local.h.app.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"reason":"x"}',
    });
    expect(unsigned.status).toBe(403);
    expect((await signed('POST', path, { reason: 'x' }, 'wrong-secret')).status).toBe(403);
    expect(await signed('POST', path, { reason: 'x' })).toMatchObject({
      status: 404,
      body: { error: 'GrantNotFound' },
    });
    expect((await signed('POST', '/grants/not-a-grant/revoke', { reason: 'x' })).status).toBe(404);
  });
});
