// Actions hitl-gate performs itself: a customer email is sent exactly as approved, once.
import { startHarness, type Harness } from '../support/local.ts';
import { proposal } from '../support/proposals.ts';
import { reviewsOf } from '../support/reviews.ts';
import { actionHash } from '../../functions/domain/action-hash.ts';

let h: Harness;
let reviews: ReturnType<typeof reviewsOf>;
beforeAll(async () => {
  h = await startHarness();
  reviews = reviewsOf(h);
});
afterAll(() => h.close());

const customerEmail = (extra: object = {}) =>
  proposal({
    agentId: 'support-agent',
    action: { type: 'customer_email', summary: 'Apology for the late delivery', target: 'dana@customer.example.org', amount: undefined, payload: { subject: 'About your order', body: 'Sorry for the delay.' }, ...extra },
  });

describe('customer emails, performed by hitl-gate', () => {
  it('sends the email exactly as the support lead reworded and approved it, and says so in Approval Granted', async () => {
    const opened = await reviews.open(customerEmail());
    expect(opened.review.tier).toBe('medium');
    const link = opened.links[0]!;
    const answer = await reviews.decide(opened.id, { token: link.token, decision: 'approve', edits: { 'payload.body': 'We are sorry for the delay: your order ships today.' } });
    expect(answer.status).toBe(200);
    await h.app.idle();

    const sent = (await h.app.mail.list()).filter((m) => m.to.includes('dana@customer.example.org'));
    expect(sent).toHaveLength(1);
    expect(sent[0]!.subject).toBe('About your order');
    expect(sent[0]!.text.trim()).toBe('We are sorry for the delay: your order ships today.');

    const [granted] = reviews.outcomesOf(opened.id);
    expect(granted).toMatchObject({ detailType: 'Approval Granted', detail: { performedBy: 'hitl-gate', executionRef: sent[0]!.messageId, edited: true } });
    expect(granted!.detail.actionHash).toBe(actionHash(granted!.detail.action));
    const stored = await reviews.get(opened.id);
    expect(stored!.status).toBe('COMPLETED');
    expect(stored!.history.filter((e) => e.what === 'executed')).toHaveLength(1);
  });

  it('sends it once however often resume runs', async () => {
    const opened = await reviews.open(customerEmail({ target: 'lee@customer.example.org' }));
    await reviews.decide(opened.id, { token: opened.links[0]!.token, decision: 'approve' });
    await h.app.idle();
    for (let i = 0; i < 3; i++) h.app.stepFunctions.startExecution({ stateMachineArn: reviews.resumeArn, input: JSON.stringify({ reviewId: opened.id }) });
    await h.app.idle();
    expect((await h.app.mail.list()).filter((m) => m.to.includes('lee@customer.example.org'))).toHaveLength(1);
  });

  it('refuses at intake a customer email it could not send, before anyone is asked', async () => {
    const p = customerEmail({ target: 'not-an-address', payload: { subject: '' } });
    await reviews.open(p).catch(() => undefined);
    const rejected = h.app.bus.events.filter((e) => e.DetailType === 'Action Rejected As Invalid').map((e) => JSON.parse(e.Detail)).find((d) => d.proposalId === p.proposalId);
    expect(rejected.errors).toEqual(expect.arrayContaining(["action.target: must be the customer's email address", 'action.payload.subject: must not be empty']));
  });

  it('leaves other approved actions to the agent', async () => {
    const opened = await reviews.open(proposal());
    await reviews.decide(opened.id, { token: opened.links[0]!.token, decision: 'approve' });
    await h.app.idle();
    expect(reviews.outcomesOf(opened.id)[0]!.detail).toMatchObject({ performedBy: 'agent' });
    expect(reviews.outcomesOf(opened.id)[0]!.detail.executionRef).toBeUndefined();
  });
});
