// Actions hitl-gate performs itself: a customer email is sent exactly as approved, once.
import { proposal } from '../support/proposals.ts';
import { useLocalReviews } from '../support/reviews.ts';
import { actionHash } from '../../functions/domain/action-hash.ts';

const local = useLocalReviews();

const customerEmail = (extra: object = {}) =>
  proposal({
    agentId: 'support-agent',
    action: {
      type: 'customer_email',
      summary: 'Apology for the late delivery',
      target: 'dana@customer.example.org',
      amount: undefined,
      payload: { subject: 'About your order', body: 'Sorry for the delay.' },
      ...extra,
    },
  });

describe('customer emails, performed by hitl-gate', () => {
  it('sends the email exactly as the support lead reworded and approved it, and says so in Approval Granted', async () => {
    const opened = await local.reviews.open(customerEmail());
    expect(opened.review.tier).toBe('medium');
    const link = opened.links[0]!;
    const answer = await local.reviews.decide(opened.id, {
      token: link.token,
      decision: 'approve',
      edits: { 'payload.body': 'We are sorry for the delay: your order ships today.' },
    });
    expect(answer.status).toBe(200);
    await local.h.app.idle();

    const sent = (await local.h.app.mail.list()).filter((m) => m.to.includes('dana@customer.example.org'));
    expect(sent).toHaveLength(1);
    expect(sent[0]!.subject).toBe('About your order');
    expect(sent[0]!.text.trim()).toBe('We are sorry for the delay: your order ships today.');

    const [granted] = local.reviews.outcomesOf(opened.id);
    expect(granted).toMatchObject({
      detailType: 'Approval Granted',
      detail: {
        performedBy: 'hitl-gate',
        executionResult: 'performed',
        executionRef: sent[0]!.messageId,
        edited: true,
      },
    });
    expect(granted!.detail.actionHash).toBe(actionHash(granted!.detail.action));
    const stored = await local.reviews.get(opened.id);
    expect(stored!.status).toBe('COMPLETED');
    expect(stored!.history.filter((e) => e.what === 'executed')).toHaveLength(1);
  });

  it('sends it once however often resume runs', async () => {
    const opened = await local.reviews.open(customerEmail({ target: 'lee@customer.example.org' }));
    await local.reviews.decide(opened.id, { token: opened.links[0]!.token, decision: 'approve' });
    await local.h.app.idle();
    for (let i = 0; i < 3; i++)
      local.h.app.stepFunctions.startExecution({
        stateMachineArn: local.reviews.resumeArn,
        input: JSON.stringify({ reviewId: opened.id }),
      });
    await local.h.app.idle();
    expect((await local.h.app.mail.list()).filter((m) => m.to.includes('lee@customer.example.org'))).toHaveLength(1);
  });

  it('refuses at intake a customer email it could not send, before anyone is asked', async () => {
    const p = customerEmail({ target: 'not-an-address', payload: { subject: '' } });
    await local.reviews.open(p).catch(() => undefined);
    const rejected = local.h.app.bus.events
      .filter((e) => e.DetailType === 'Action Rejected As Invalid')
      .map((e) => JSON.parse(e.Detail))
      .find((d) => d.proposalId === p.proposalId);
    expect(rejected.errors).toEqual(
      expect.arrayContaining([
        "action.target: must be the customer's email address",
        'action.payload.subject: must not be empty',
      ]),
    );
  });

  it('leaves other approved actions to the agent', async () => {
    const opened = await local.reviews.open(proposal());
    await local.reviews.decide(opened.id, { token: opened.links[0]!.token, decision: 'approve' });
    await local.h.app.idle();
    expect(local.reviews.outcomesOf(opened.id)[0]!.detail).toMatchObject({ performedBy: 'agent' });
    expect(local.reviews.outcomesOf(opened.id)[0]!.detail.executionRef).toBeUndefined();
  });
});
