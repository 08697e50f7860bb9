// Standing approvals through local mode: granted with an approval (JSON), used by intake for a later proposal in
// its scope (one write, one outcome event, no email), refused outside its scope or authority, revoked by an admin.
import { GrantsTable } from '../../functions/adapters/reviews-table.ts';
import { clients, signedFetch } from '../support/local.ts';
import { customerEmail, proposal } from '../support/proposals.ts';
import { useLocalReviews } from '../support/reviews.ts';

const local = useLocalReviews();
let vendors = 0;

/** A purchase order to one vendor: the manager's rule, which lets a manager grant a standing approval. */
const order = (value: number, target: string, extra: Parameters<typeof proposal>[0] = {}) =>
  proposal({
    ...extra,
    action: { type: 'purchase_order', summary: `Order of $${value}`, amount: { value, currency: 'USD' }, target },
  });

/** A vendor no other test's grant covers. */
const vendor = () => `vendor-${process.pid}-${++vendors}`;

/** Approves a $5,000 order to `target` as its first manager, with a standing approval for `duration`. */
async function grantFor(target: string, duration = '4h') {
  const first = await local.reviews.open(order(5000, target));
  const link = first.links[0]!;
  const answer = await local.reviews.decide(first.id, {
    token: link.token,
    decision: 'approve',
    reason: 'Regular supplier',
    standing: { duration },
  });
  await local.h.app.idle();
  return { first, link, answer };
}

const revoke = (grantId: string, body: object, key = 'local') =>
  signedFetch(local.h.app.url, 'POST', `/grants/${encodeURIComponent(grantId)}/revoke`, body, key, 'execute-api', key);

describe('a standing approval granted with an approval', () => {
  it('approves the next order in its scope by the grant: no reviewer asked, one outcome event, the use counted', async () => {
    const target = vendor();
    const { first, link, answer } = await grantFor(target);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      status: expect.stringMatching(/APPROVED|COMPLETED/),
      grant: {
        grantedBy: link.approverId,
        reviewId: first.id,
        rule: 'purchase-order-manager',
        scope: { type: 'purchase_order', target, amount: { currency: 'USD', lte: 5000 } },
        uses: 0,
        status: 'active',
      },
    });
    const grantId = answer.body.grant.grantId as string;
    expect((await local.reviews.get(first.id))!.history.map((h) => h.what)).toContain('standing_granted');

    const next = await local.reviews.open(order(4999.99, target));
    expect(next.review.status).toBe('COMPLETED');
    expect(next.links).toEqual([]);
    expect(next.review.decision).toMatchObject({
      outcome: 'approved',
      by: [{ id: `grant ${grantId} by ${link.approverId}`, kind: 'grant', grant: { id: grantId } }],
    });
    expect(next.review.history.map((h) => h.what)).toEqual(['opened', 'approved_by_grant', 'completed']);
    const outcomes = local.reviews.outcomesOf(next.id);
    expect(outcomes.map((e) => e.detailType)).toEqual(['Approval Granted']);
    expect(outcomes[0]!.detail.decidedBy).toEqual([
      {
        id: `grant ${grantId} by ${link.approverId}`,
        kind: 'grant',
        grant: { id: grantId, grantedBy: link.approverId },
      },
    ]);
    // The same proposal again opens nothing and counts no second use.
    await local.reviews.open(next.proposal);
    const again = await local.reviews.open(order(1000, target));
    expect(again.review.decision?.by[0]?.kind).toBe('grant');
    const revoked = await revoke(grantId, { reason: 'checking the count' });
    expect(await revoked.json()).toMatchObject({ uses: 2, status: 'revoked' });
    // The granter's own list holds it, revoked, with its uses: one Query of their partition, never a Scan.
    const table = new GrantsTable(
      clients(local.h.app.url).dynamo,
      String((local.h.app.wiring.tables[0] as { TableName: string }).TableName),
    );
    const mine = await table.byGrantor(link.approverId, new Date());
    expect(mine.filter((g) => g.id === grantId)).toMatchObject([
      { uses: 2, revoked: { reason: 'checking the count' } },
    ]);
    expect(await table.byGrantor('nobody.at.all', new Date())).toEqual([]);
    expect(await table.byGrantor(link.approverId, new Date(Date.now() + 86_400_000))).toEqual([]);
  });

  it('takes its scope from the edited action when it comes with approve-with-edits', async () => {
    const target = vendor();
    const first = await local.reviews.open(order(5000, target));
    const answer = await local.reviews.decide(first.id, {
      token: first.links[0]!.token,
      decision: 'approve',
      reason: 'Half now',
      edits: { 'amount.value': 2500 },
      standing: { duration: '2h' },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.grant).toMatchObject({
      scope: { type: 'purchase_order', target, amount: { currency: 'USD', lte: 2500 } },
      status: 'active',
    });
    const decided = (await local.reviews.get(first.id))!;
    expect(decided.decision).toMatchObject({ outcome: 'approved', action: { amount: { value: 2500 } } });
    expect(decided.history.find((h) => h.what === 'approved')?.note).toContain(
      'changed amount.value from 5000 to 2500',
    );
    expect(decided.history.find((h) => h.what === 'standing_granted')?.note).toContain('at most $2,500.00');
    await local.h.app.idle();
    // Inside the edited scope: approved by the grant. Above the edited amount (though under the proposed one): a person.
    expect((await local.reviews.open(order(2500, target))).review.decision?.by[0]?.kind).toBe('grant');
    expect((await local.reviews.open(order(2500.01, target))).review.status).toBe('PENDING');
  });

  it('leaves to a person what is outside its scope: a higher amount, another vendor, no target', async () => {
    const target = vendor();
    await grantFor(target);
    const noTarget = order(2000, target);
    delete noTarget.action.target;
    for (const outside of [order(5000.01, target), order(2000, vendor()), noTarget]) {
      const opened = await local.reviews.open(outside);
      expect(opened.review.status).toBe('PENDING');
      expect(opened.links.length).toBeGreaterThan(0);
    }
  });

  it("never approves the granter's own proposal, however their name is written", async () => {
    const target = vendor();
    const { link } = await grantFor(target);
    const own = await local.reviews.open(order(1000, target, { requestedBy: ` ${link.email.toUpperCase()} ` }));
    expect(own.review.status).toBe('PENDING');
    expect(own.review.route[0]!.approvers.map((a) => a.id)).not.toContain(link.approverId);
  });

  it('approves nothing once an admin revoked it; an agent may not revoke', async () => {
    const target = vendor();
    const { answer } = await grantFor(target);
    const grantId = answer.body.grant.grantId as string;
    expect((await revoke(grantId, { reason: 'x' }, 'agent')).status).toBe(403);
    expect((await revoke(grantId, {})).status).toBe(400);
    const res = await revoke(grantId, { reason: 'Supplier under audit' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      grantId,
      status: 'revoked',
      revoked: { by: 'arn:aws:iam::000000000000:user/local', reason: 'Supplier under audit' },
    });
    const after = await local.reviews.open(order(1000, target));
    expect(after.review.status).toBe('PENDING');
    expect((await revoke('purchase_order.0123456789abcdef0123', { reason: 'x' })).status).toBe(404);
  });

  it('a revoke that lost the race answers the revoke that landed: the item the failed condition saw', async () => {
    const { answer } = await grantFor(vendor());
    const grantId = answer.body.grant.grantId as string;
    const table = new GrantsTable(
      clients(local.h.app.url).dynamo,
      String((local.h.app.wiring.tables[0] as { TableName: string }).TableName),
    );
    const unrevoked = (await table.find(grantId, new Date()))!;
    const at = new Date().toISOString();
    const first = await table.revoke(unrevoked, { by: 'first.admin', at, reason: 'first' });
    // The same grant as read before the first revoke: its write's condition fails, and the store says why.
    const second = await table.revoke(unrevoked, { by: 'second.admin', at, reason: 'second' });
    expect(first.revoked).toEqual({ by: 'first.admin', at, reason: 'first' });
    expect(second).toEqual(first);
  });

  it("lists a granter's standing approvals in their inbox, and revokes one there; nobody else's inbox can", async () => {
    const target = vendor();
    const { link, answer } = await grantFor(target);
    const grantId = answer.body.grant.grantId as string;
    const mine = await local.reviews.signInbox({ approverId: link.approverId });
    const listed = await local.reviews.inbox(mine);
    expect(listed.status).toBe(200);
    expect(listed.body.grants).toEqual(
      expect.arrayContaining([expect.objectContaining({ grantId, status: 'active', grantedBy: link.approverId })]),
    );
    // Another manager's inbox link: refused, nothing written.
    const other = (await local.reviews.get(answer.body.reviewId as string))!.route[0]!.approvers.find(
      (a) => a.id !== link.approverId,
    )!;
    const theirs = await local.reviews.signInbox({ approverId: other.id });
    const refused = await local.reviews.decideInbox({ token: theirs, revoke: grantId, reason: 'Not mine' });
    expect([refused.status, refused.body.error]).toEqual([403, 'GrantNotYours']);
    expect((await local.reviews.decideInbox({ token: mine, revoke: grantId })).status).toBe(400);
    expect(
      (await local.reviews.decideInbox({ token: mine, revoke: 'purchase_order.0123456789abcdef0123', reason: 'x' }))
        .status,
    ).toBe(404);
    expect(
      (await local.reviews.inbox(mine)).body.grants.find((g: { grantId: string }) => g.grantId === grantId).status,
    ).toBe('active');
    // The granter revokes it; a second revoke answers as the first; the next order in its scope waits for a person.
    const revoked = await local.reviews.decideInbox({
      token: mine,
      revoke: grantId,
      reason: 'Vendor changed its prices',
    });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({
      grantId,
      status: 'revoked',
      revoked: { by: link.approverId, reason: 'Vendor changed its prices' },
    });
    const again = await local.reviews.decideInbox({ token: mine, revoke: grantId, reason: 'Again' });
    expect([again.status, again.body.revoked]).toEqual([200, revoked.body.revoked]);
    expect((await local.reviews.open(order(1000, target))).review.status).toBe('PENDING');
  });

  it('refuses a standing approval beyond the rule with a 422 that says why, and leaves the review pending', async () => {
    const opened = await local.reviews.open(order(5000, vendor()));
    const token = opened.links[0]!.token;
    const tooLong = await local.reviews.decide(opened.id, { token, decision: 'approve', standing: { duration: '9h' } });
    expect(tooLong).toMatchObject({
      status: 422,
      body: { error: 'StandingRefused', message: expect.stringContaining('at most 8h') },
    });
    const withReject = await local.reviews.decide(opened.id, {
      token,
      decision: 'reject',
      reason: 'no',
      standing: { duration: '1h' },
    });
    expect(withReject.status).toBe(422);
    expect((await local.reviews.get(opened.id))!.status).toBe('PENDING');
    // The same link still approves without it.
    expect((await local.reviews.decide(opened.id, { token, decision: 'approve' })).status).toBe(200);

    const email = await local.reviews.open(customerEmail());
    const noStanding = await local.reviews.decide(email.id, {
      token: email.links[0]!.token,
      decision: 'approve',
      standing: { duration: '1h' },
    });
    expect(noStanding).toMatchObject({
      status: 422,
      body: { message: expect.stringContaining('rule "customer-email" allows no standing approvals') },
    });
  });
});
