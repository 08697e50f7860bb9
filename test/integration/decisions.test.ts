// The decision API through local mode: real HTTP to the real handlers, the real resume ASL, the embedded
// DynamoDB. Links come from the outbox as an approver gets them; forged ones are signed with local mode's key.
import { startHarness, type Harness } from '../support/local.ts';
import { purchaseOrder, schemaChange } from '../support/proposals.ts';
import { reviewsOf, type Answer, type EmailedLink, type OpenedReview } from '../support/reviews.ts';
import { actionHash } from '../../functions/domain/action-hash.ts';

let h: Harness;
let reviews: ReturnType<typeof reviewsOf>;
beforeAll(async () => {
  h = await startHarness();
  reviews = reviewsOf(h);
});
afterAll(() => h?.close());

const MANAGERS = ['mira.okafor', 'daniel.reyes', 'raj.patel'];
const SCHEMA_APPROVERS = ['raj.patel', 'sam.adeyemi', 'lena.fischer'];

/** Everything a decision could change: the stored review, its outcome events and its resume executions. */
async function footprint(id: string) {
  await h.app.idle();
  const r = (await reviews.get(id))!;
  return {
    status: r.status,
    version: r.version,
    history: r.history,
    approvals: r.approvals,
    usedLinks: [...(r.usedLinks ?? [])].sort(),
    decision: r.decision,
    proposedEdit: r.proposedEdit,
    outcomes: reviews.outcomesOf(id).length,
    resumes: reviews.resumesOf(id).length,
  };
}

/** Runs a request that must be refused and checks that it left no trace. */
async function refused(id: string, attempt: () => Promise<Answer>): Promise<Answer> {
  const before = await footprint(id);
  const answer = await attempt();
  expect(await footprint(id)).toEqual(before);
  return answer;
}

/** The same token with one character of its claims (the JWS payload) changed. */
function tamper(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const i = Math.floor(payload.length / 2);
  return [header, payload.slice(0, i) + (payload[i] === 'A' ? 'B' : 'A') + payload.slice(i + 1), signature].join('.');
}

const linkOf = (opened: OpenedReview, approverId: string) => opened.links.find((l) => l.approverId === approverId)!;

describe('decision links', () => {
  it('refuses a link whose claims were tampered with, with 401 TokenInvalid', async () => {
    const opened = await reviews.open(purchaseOrder(5000));
    const answer = await refused(opened.id, () =>
      reviews.decide(opened.id, { token: tamper(opened.links[0]!.token), decision: 'approve' }),
    );
    expect(answer).toMatchObject({ status: 401, body: { error: 'TokenInvalid' } });
  });

  it('refuses a link signed with another key, with 401 TokenInvalid', async () => {
    const opened = await reviews.open(purchaseOrder(5000));
    const otherKey = crypto.getRandomValues(new Uint8Array(32));
    const token = await reviews.sign(
      { reviewId: opened.id, approverId: opened.links[0]!.approverId },
      new Date(),
      otherKey,
    );
    const answer = await refused(opened.id, () => reviews.decide(opened.id, { token, decision: 'approve' }));
    expect(answer).toMatchObject({ status: 401, body: { error: 'TokenInvalid' } });
  });

  it('refuses a link that expired a minute ago, with 401 TokenExpired', async () => {
    const opened = await reviews.open(purchaseOrder(5000));
    const now = Date.now();
    const token = await reviews.sign(
      { reviewId: opened.id, approverId: opened.links[0]!.approverId, expiresAt: new Date(now - 60_000) },
      new Date(now - 3600_000),
    );
    const answer = await refused(opened.id, () => reviews.decide(opened.id, { token, decision: 'approve' }));
    expect(answer).toMatchObject({ status: 401, body: { error: 'TokenExpired' } });
  });

  it('refuses a link emailed for another review, with 403 TokenWrongReview, and leaves both reviews alone', async () => {
    const target = await reviews.open(purchaseOrder(5000));
    const other = await reviews.open(purchaseOrder(6000));
    const otherBefore = await footprint(other.id);
    const answer = await refused(target.id, () =>
      reviews.decide(target.id, { token: other.links[0]!.token, decision: 'approve' }),
    );
    expect(answer).toMatchObject({ status: 403, body: { error: 'TokenWrongReview' } });
    expect(await footprint(other.id)).toEqual(otherBefore);
  });

  it('refuses a genuine link of someone who is not among the current approvers, with 403 NotCurrentApprover', async () => {
    const opened = await reviews.open(purchaseOrder(5000));
    // The CFO is in the directory but not on this route; the finance director only on a later step.
    for (const approverId of ['helen.cho', 'priya.natarajan']) {
      const token = await reviews.sign({ reviewId: opened.id, approverId });
      const answer = await refused(opened.id, () => reviews.decide(opened.id, { token, decision: 'approve' }));
      expect(answer).toMatchObject({ status: 403, body: { error: 'NotCurrentApprover' } });
    }
  });

  it('refuses a decision without a token with 400', async () => {
    const opened = await reviews.open(purchaseOrder(5000));
    for (const body of [{ decision: 'approve' as const }, { token: '', decision: 'approve' as const }]) {
      const answer = await refused(opened.id, () => reviews.decide(opened.id, body));
      expect(answer.status).toBe(400);
      expect(answer.body.message).toMatch(/token/);
    }
  });

  it('answers the same approval sent again (its answer lost) as the first, and changes nothing', async () => {
    const opened = await reviews.open(schemaChange());
    const link = opened.links[0]!;
    const first = await reviews.decide(opened.id, { token: link.token, decision: 'approve' });
    expect(first).toMatchObject({ status: 200, body: { status: 'PENDING', approvals: [link.approverId] } });
    const before = await footprint(opened.id);
    const again = await reviews.decide(opened.id, { token: link.token, decision: 'approve' });
    expect(again).toMatchObject({ status: 200, body: { status: 'PENDING', updatedAt: first.body.updatedAt } });
    expect(await footprint(opened.id)).toEqual(before);
  });

  it('refuses a link used for an approval still waiting on a second one, when it is used to reject, with 409 TokenUsed', async () => {
    const opened = await reviews.open(schemaChange());
    const link = opened.links[0]!;
    expect(await reviews.decide(opened.id, { token: link.token, decision: 'approve' })).toMatchObject({
      status: 200,
      body: { status: 'PENDING' },
    });
    const answer = await refused(opened.id, () =>
      reviews.decide(opened.id, { token: link.token, decision: 'reject', reason: 'second thoughts' }),
    );
    expect(answer).toMatchObject({
      status: 409,
      body: { error: 'TokenUsed', review: { status: 'PENDING', approvals: [link.approverId] } },
    });
  });

  it('refuses a link reused after the review was decided, with 409 AlreadyDecided and the decision that stands', async () => {
    const opened = await reviews.open(purchaseOrder(5000));
    const link = opened.links[0]!;
    expect(await reviews.decide(opened.id, { token: link.token, decision: 'approve' })).toMatchObject({
      status: 200,
      body: { status: 'APPROVED' },
    });
    const answer = await refused(opened.id, () =>
      reviews.decide(opened.id, { token: link.token, decision: 'reject', reason: 'changed my mind' }),
    );
    expect(answer).toMatchObject({
      status: 409,
      body: {
        error: 'AlreadyDecided',
        review: { decision: { outcome: 'approved', by: [{ id: link.approverId, kind: 'person' }] } },
      },
    });
    expect(reviews.outcomesOf(opened.id).map((e) => e.detailType)).toEqual(['Approval Granted']);
  });
});

describe('separation of duties', () => {
  it('leaves a manager who requested a purchase order off its route and sends them no link', async () => {
    const opened = await reviews.open(purchaseOrder(5000, { requestedBy: 'mira.okafor' }));
    expect(opened.review.route[0]!.approvers.map((a) => a.id)).toEqual(MANAGERS.filter((m) => m !== 'mira.okafor'));
    expect(opened.links.map((l) => l.approverId)).toEqual(['daniel.reyes', 'raj.patel']);
    const mails = await reviews.messagesAbout(opened.id);
    expect(mails).toHaveLength(2);
    expect(mails.flatMap((m) => m.to)).not.toContain('mira.okafor@example.com');
  });

  it('refuses a genuine link for the requester with 403 SelfApproval, whether they are named by id or by email', async () => {
    for (const requestedBy of ['mira.okafor', 'mira.okafor@example.com']) {
      const opened = await reviews.open(purchaseOrder(5000, { requestedBy }));
      const token = await reviews.sign({ reviewId: opened.id, approverId: 'mira.okafor' });
      const answer = await refused(opened.id, () => reviews.decide(opened.id, { token, decision: 'approve' }));
      expect(answer).toMatchObject({ status: 403, body: { error: 'SelfApproval' } });
    }
  });
  it('treats a requester named with other capitals as the same person when routing as when deciding', async () => {
    // Deciding compares ids case-insensitively (decision.ts isRequester); the route must agree, or the
    // requester is emailed a link that can only be refused.
    const opened = await reviews.open(purchaseOrder(5000, { requestedBy: 'Mira.Okafor' }));
    const token = await reviews.sign({ reviewId: opened.id, approverId: 'mira.okafor' });
    const answer = await refused(opened.id, () => reviews.decide(opened.id, { token, decision: 'approve' }));
    expect(answer).toMatchObject({ status: 403, body: { error: 'SelfApproval' } });
    expect(opened.review.route[0]!.approvers.map((a) => a.id)).not.toContain('mira.okafor');
    expect(opened.links.map((l) => l.approverId)).not.toContain('mira.okafor');
  });
});

describe('approving and rejecting', () => {
  it('approves a $5,000 purchase order: Approval Granted with the action and its hash, one resume, review completed', async () => {
    const opened = await reviews.open(purchaseOrder(5000));
    const link = linkOf(opened, 'daniel.reyes');
    const answer = await reviews.decide(opened.id, { token: link.token, decision: 'approve', reason: 'budgeted' });
    expect(answer).toMatchObject({
      status: 200,
      body: {
        reviewId: opened.id,
        status: 'APPROVED',
        decision: { outcome: 'approved', by: [{ id: 'daniel.reyes' }], reason: 'budgeted', edited: false },
      },
    });

    await h.app.idle();
    const outcomes = reviews.outcomesOf(opened.id);
    expect(outcomes.map((e) => e.detailType)).toEqual(['Approval Granted']);
    expect(outcomes[0]!.detail).toMatchObject({
      proposalId: opened.proposal.proposalId,
      action: opened.proposal.action,
      actionHash: actionHash(opened.proposal.action),
      decidedBy: [{ id: 'daniel.reyes', kind: 'person' }],
      reason: 'budgeted',
      edited: false,
    });
    const stored = (await reviews.get(opened.id))!;
    expect(stored.status).toBe('COMPLETED');
    expect(stored.history.map((e) => e.what)).toEqual(['opened', 'notified', 'approved', 'completed']);
    expect(reviews.resumesOf(opened.id).map((e) => e.status)).toEqual(['SUCCEEDED']);
  });

  it('refuses a rejection without a reason with 400 ReasonRequired', async () => {
    const opened = await reviews.open(purchaseOrder(5000));
    for (const reason of [undefined, '', '   ']) {
      const answer = await refused(opened.id, () =>
        reviews.decide(opened.id, {
          token: opened.links[0]!.token,
          decision: 'reject',
          ...(reason !== undefined ? { reason } : {}),
        }),
      );
      expect(answer).toMatchObject({ status: 400, body: { error: 'ReasonRequired' } });
    }
  });

  it('rejects with a reason: Approval Rejected carries the reason and who decided', async () => {
    const opened = await reviews.open(purchaseOrder(5000));
    const link = linkOf(opened, 'raj.patel');
    const answer = await reviews.decide(opened.id, {
      token: link.token,
      decision: 'reject',
      reason: "not in this quarter's budget",
    });
    expect(answer).toMatchObject({
      status: 200,
      body: { status: 'REJECTED', decision: { outcome: 'rejected', by: [{ id: 'raj.patel' }] } },
    });

    await h.app.idle();
    const outcomes = reviews.outcomesOf(opened.id);
    expect(outcomes.map((e) => e.detailType)).toEqual(['Approval Rejected']);
    expect(outcomes[0]!.detail).toMatchObject({
      reason: "not in this quarter's budget",
      decidedBy: [{ id: 'raj.patel', kind: 'person' }],
    });
    expect((await reviews.get(opened.id))!.status).toBe('COMPLETED');
    expect(reviews.resumesOf(opened.id)).toHaveLength(1);
  });
});

describe('quorum of two on a production schema change', () => {
  it('records a first approval and keeps waiting, with no outcome and no resume', async () => {
    const opened = await reviews.open(schemaChange());
    expect(opened.review).toMatchObject({ tier: 'critical', quorum: 2 });
    expect(opened.links.map((l) => l.approverId).sort()).toEqual([...SCHEMA_APPROVERS].sort());
    const first = opened.links[0]!;
    const answer = await reviews.decide(opened.id, { token: first.token, decision: 'approve' });
    expect(answer).toMatchObject({
      status: 200,
      body: { status: 'PENDING', quorum: 2, approvals: [first.approverId] },
    });
    await h.app.idle();
    expect(reviews.outcomesOf(opened.id)).toEqual([]);
    expect(reviews.resumesOf(opened.id)).toEqual([]);
  });

  it('refuses a second approval by the same person, even with a fresh link, with 409 DuplicateApproval', async () => {
    const opened = await reviews.open(schemaChange());
    const first = opened.links[0]!;
    await reviews.decide(opened.id, { token: first.token, decision: 'approve' });
    const fresh = await reviews.sign({ reviewId: opened.id, approverId: first.approverId });
    const answer = await refused(opened.id, () => reviews.decide(opened.id, { token: fresh, decision: 'approve' }));
    expect(answer).toMatchObject({ status: 409, body: { error: 'DuplicateApproval' } });
  });

  it('approves once a second, distinct approver approves: one Approval Granted naming both', async () => {
    const opened = await reviews.open(schemaChange());
    const [a, b] = opened.links as [EmailedLink, EmailedLink];
    await reviews.decide(opened.id, { token: a.token, decision: 'approve' });
    const answer = await reviews.decide(opened.id, { token: b.token, decision: 'approve' });
    expect(answer).toMatchObject({
      status: 200,
      body: { status: 'APPROVED', decision: { outcome: 'approved', by: [{ id: a.approverId }, { id: b.approverId }] } },
    });
    await h.app.idle();
    const outcomes = reviews.outcomesOf(opened.id);
    expect(outcomes.map((e) => e.detailType)).toEqual(['Approval Granted']);
    expect(outcomes[0]!.detail.decidedBy.map((d: { id: string }) => d.id)).toEqual([a.approverId, b.approverId]);
    expect(reviews.resumesOf(opened.id)).toHaveLength(1);
  });

  it('ends with a rejection when one approver rejects after another approved', async () => {
    const opened = await reviews.open(schemaChange());
    const [a, b] = opened.links as [EmailedLink, EmailedLink];
    await reviews.decide(opened.id, { token: a.token, decision: 'approve' });
    const answer = await reviews.decide(opened.id, { token: b.token, decision: 'reject', reason: 'no rollback plan' });
    expect(answer).toMatchObject({
      status: 200,
      body: { status: 'REJECTED', decision: { by: [{ id: b.approverId }], reason: 'no rollback plan' } },
    });
    await h.app.idle();
    expect(reviews.outcomesOf(opened.id).map((e) => e.detailType)).toEqual(['Approval Rejected']);
    expect(reviews.resumesOf(opened.id)).toHaveLength(1);
  });
});

describe('edits', () => {
  it('approves a $5,000 purchase order lowered to $800 and grants exactly the edited action', async () => {
    const opened = await reviews.open(purchaseOrder(5000));
    const answer = await reviews.decide(opened.id, {
      token: opened.links[0]!.token,
      decision: 'approve',
      edits: { 'amount.value': 800 },
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      status: 'APPROVED',
      decision: { edited: true, changes: [{ path: 'amount.value', from: 5000, to: 800 }] },
    });

    await h.app.idle();
    const edited = { ...opened.proposal.action, amount: { value: 800, currency: 'USD' } };
    const [granted, ...more] = reviews.outcomesOf(opened.id);
    expect(more).toEqual([]);
    expect(granted!.detailType).toBe('Approval Granted');
    expect(granted!.detail.action).toEqual(edited);
    expect(granted!.detail.actionHash).toBe(actionHash(edited));
    expect(granted!.detail.actionHash).not.toBe(opened.review.actionHash);
    expect(granted!.detail.edited).toBe(true);
  });

  it("refuses raising the amount to $20,000, beyond a manager's authority, with 422 BeyondAuthority", async () => {
    const opened = await reviews.open(purchaseOrder(5000));
    const answer = await refused(opened.id, () =>
      reviews.decide(opened.id, {
        token: opened.links[0]!.token,
        decision: 'approve',
        edits: { 'amount.value': 20000 },
      }),
    );
    expect(answer).toMatchObject({ status: 422, body: { error: 'BeyondAuthority' } });
  });

  it('refuses an edit of the action type with 422 FieldNotEditable', async () => {
    const opened = await reviews.open(purchaseOrder(5000));
    const answer = await refused(opened.id, () =>
      reviews.decide(opened.id, { token: opened.links[0]!.token, decision: 'approve', edits: { type: 'refund' } }),
    );
    expect(answer).toMatchObject({ status: 422, body: { error: 'FieldNotEditable' } });
  });

  it('refuses a negative amount with 422 InvalidEdit', async () => {
    const opened = await reviews.open(purchaseOrder(5000));
    const answer = await refused(opened.id, () =>
      reviews.decide(opened.id, { token: opened.links[0]!.token, decision: 'approve', edits: { 'amount.value': -5 } }),
    );
    expect(answer).toMatchObject({ status: 422, body: { error: 'InvalidEdit' } });
    expect(answer.body.message).toMatch(/amount\.value/);
  });
});

describe('concurrent decisions', () => {
  it('lets exactly one of 50 concurrent approvals decide: the winning link (and its own repeat) 200, the rest 409, one Approval Granted, one resume', async () => {
    const opened = await reviews.open(purchaseOrder(5000));
    expect(opened.links).toHaveLength(3);
    // Every emailed link twice (the same link racing itself), and genuine fresh links for all three managers.
    const tokens = [...opened.links.map((l) => l.token), ...opened.links.map((l) => l.token)];
    while (tokens.length < 50)
      tokens.push(await reviews.sign({ reviewId: opened.id, approverId: MANAGERS[tokens.length % MANAGERS.length]! }));

    const answers = await Promise.all(tokens.map((token) => reviews.decide(opened.id, { token, decision: 'approve' })));
    const won = tokens.flatMap((token, i) => (answers[i]!.status === 200 ? [token] : []));
    // The same request sent twice gets the same answer: the winning link, and its twin if it was one of the doubled.
    expect(new Set(won).size).toBe(1);
    expect(won.length).toBe(opened.links.some((l) => l.token === won[0]) ? 2 : 1);
    const granted = answers.filter((x) => x.status === 200);
    for (const a of granted) expect(a.body.status).toBe('APPROVED');
    const lost = answers.filter((a) => a.status !== 200);
    expect(lost.map((a) => a.status)).toEqual(Array(50 - won.length).fill(409));
    for (const a of lost) expect(['AlreadyDecided', 'TokenUsed']).toContain(a.body.error);

    await h.app.idle();
    expect(reviews.outcomesOf(opened.id).map((e) => e.detailType)).toEqual(['Approval Granted']);
    expect(reviews.resumesOf(opened.id)).toHaveLength(1);
    const stored = (await reviews.get(opened.id))!;
    // Three writes: the one decision, resume's claim on finishing it, and completed.
    expect(stored).toMatchObject({ status: 'COMPLETED', version: opened.review.version + 3 });
    expect(stored.history.filter((e) => e.what === 'approved')).toHaveLength(1);
    expect(stored.decision!.by).toEqual(granted[0]!.body.decision.by);
  });

  it('counts both of two approvals arriving at the same moment on a quorum-of-two review: approved once', async () => {
    const opened = await reviews.open(schemaChange());
    const [a, b] = opened.links as [EmailedLink, EmailedLink];
    const answers = await Promise.all(
      [a, b].map((l) => reviews.decide(opened.id, { token: l.token, decision: 'approve' })),
    );
    expect(answers.map((x) => x.status)).toEqual([200, 200]);
    expect(answers.map((x) => x.body.status).sort()).toEqual(['APPROVED', 'PENDING']);
    await h.app.idle();
    expect(reviews.outcomesOf(opened.id).map((e) => e.detailType)).toEqual(['Approval Granted']);
    expect(reviews.resumesOf(opened.id)).toHaveLength(1);
    expect((await reviews.get(opened.id))!.decision!.by.map((x) => x.id).sort()).toEqual(
      [a.approverId, b.approverId].sort(),
    );
  });

  it('gives one outcome when one approver approves and another rejects at the same moment', async () => {
    const opened = await Promise.all(Array.from({ length: 5 }, () => reviews.open(purchaseOrder(5000))));
    await Promise.all(
      opened.map(async (o) => {
        const [approve, reject] = await Promise.all([
          reviews.decide(o.id, { token: linkOf(o, 'mira.okafor').token, decision: 'approve' }),
          reviews.decide(o.id, {
            token: linkOf(o, 'daniel.reyes').token,
            decision: 'reject',
            reason: 'duplicate order',
          }),
        ]);
        const answers = [approve, reject];
        expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
        const winner = answers.find((a) => a.status === 200)!;
        expect(answers.find((a) => a.status === 409)!.body.error).toBe('AlreadyDecided');
        const outcome = winner.body.status === 'APPROVED' ? 'approved' : 'rejected';
        expect(winner.body.decision.outcome).toBe(outcome);

        await h.app.idle();
        expect(reviews.outcomesOf(o.id).map((e) => e.detailType)).toEqual([
          outcome === 'approved' ? 'Approval Granted' : 'Approval Rejected',
        ]);
        expect(reviews.resumesOf(o.id)).toHaveLength(1);
        expect((await reviews.get(o.id))!.decision!.outcome).toBe(outcome);
      }),
    );
  });
});

describe('the review page', () => {
  it('changes nothing when opened, however often, and the link still decides afterwards', async () => {
    const opened = await reviews.open(purchaseOrder(5000));
    const link = opened.links[0]!;
    const before = await footprint(opened.id);
    for (let i = 0; i < 5; i++) {
      const page = await fetch(link.url, { headers: { accept: 'text/html' } });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await page.text()).toContain(`action="/reviews/${opened.id}/decision"`);
    }
    expect(await footprint(opened.id)).toEqual(before);
    expect(await reviews.decide(opened.id, { token: link.token, decision: 'approve' })).toMatchObject({
      status: 200,
      body: { status: 'APPROVED' },
    });
  });

  it('answers JSON with the status and history, never the task token or the used links', async () => {
    const taskToken = `caller-task-token-${crypto.randomUUID()}`;
    const opened = await reviews.open(schemaChange({ taskToken }));
    const [first, second] = opened.links as [EmailedLink, EmailedLink];
    await reviews.decide(opened.id, { token: first.token, decision: 'approve' });
    const stored = (await reviews.get(opened.id))!;
    // The store holds both; the view must not show them.
    expect(stored.taskToken).toBe(taskToken);
    expect(stored.usedLinks).toHaveLength(1);

    const res = await fetch(second.url, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(200);
    const text = await res.text();
    const view = JSON.parse(text);
    expect(view).toMatchObject({ reviewId: opened.id, status: 'PENDING', approvals: [first.approverId] });
    expect(view.history.map((e: { what: string }) => e.what)).toEqual(['opened', 'notified', 'approved']);
    expect(text).not.toContain('taskToken');
    expect(text).not.toContain(taskToken);
    expect(text).not.toContain('usedLinks');
    expect(text).not.toContain(stored.usedLinks![0]!);
  });
});

describe('form posts from the page', () => {
  it('records an approval with an edited amount and redirects back to the page with done=approved', async () => {
    const opened = await reviews.open(purchaseOrder(5000));
    const { token } = opened.links[0]!;
    const res = await fetch(`${h.app.url}/reviews/${opened.id}/decision`, {
      method: 'POST',
      headers: { accept: 'text/html' },
      body: new URLSearchParams({ token, decision: 'approve', 'edit.amount.value': '900' }),
      redirect: 'manual',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/reviews/${opened.id}?t=${encodeURIComponent(token)}&done=approved`);

    const stored = (await reviews.get(opened.id))!;
    expect(stored.decision).toMatchObject({
      outcome: 'approved',
      edited: true,
      changes: [{ path: 'amount.value', from: 5000, to: 900 }],
    });
    expect(stored.decision!.action.amount).toEqual({ value: 900, currency: 'USD' });

    const page = await fetch(new URL(res.headers.get('location')!, h.app.url), { headers: { accept: 'text/html' } });
    expect(await page.text()).toContain('Thank you: the action is approved.');
    await h.app.idle();
    const [granted] = reviews.outcomesOf(opened.id);
    expect(granted!.detail.action.amount).toEqual({ value: 900, currency: 'USD' });
  });
});
