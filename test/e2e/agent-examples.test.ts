// The MCP gate and task token examples run as a developer runs them: a child process against local mode,
// decided from the emailed link (the client and durable examples have their own tests).
import { decideExample } from '../support/examples.ts';
import { useLocalReviews } from '../support/reviews.ts';

const local = useLocalReviews();
const mcpAgent = (total: string) => ({
  file: 'examples/mcp-gate/agent.ts',
  args: [total],
  agentId: 'mcp-gate',
  stdout: true, // the gate's progress lines (stderr) vary with timing
});
const taskTokenAgent = (amount: string) => ({
  file: 'examples/task-token/agent.ts',
  args: [amount],
  agentId: 'procurement-example',
});

describe('examples/mcp-gate', () => {
  it('orders through the gate once, with the total the approver edited', async () => {
    const { review, code, out } = await decideExample(local, mcpAgent('5000'), {
      decision: 'approve',
      edits: { 'amount.value': 4500 },
    });
    expect(review).toMatchObject({ requestedBy: 'sam.rivera', action: { type: 'purchase_order', target: 'acme' } });
    expect({ code, out }).toEqual({
      code: 0,
      out: 'tools: place_order, set_ticket_priority\nplacing an order of USD 5000; decide it from the outbox\nordered 12 laptops from acme for USD 4,500\n',
    });
  }, 90_000);

  it('says it did not order, and why, when the approver rejects', async () => {
    const { review, links, code, out } = await decideExample(local, mcpAgent('3000'), {
      decision: 'reject',
      reason: 'Use the spare stock',
    });
    expect(code).toBe(2);
    expect(out).toContain(`not ordered: hitl-gate: review ${review.id} was rejected by ${links[0]!.approverId}`);
    expect(out).toContain('Use the spare stock');
  }, 90_000);
});

describe('examples/task-token', () => {
  it('orders the edited amount once hitl-gate answers the task token', async () => {
    const { code, out } = await decideExample(local, taskTokenAgent('5000'), {
      decision: 'approve',
      edits: { 'amount.value': 4200 },
    });
    expect(code).toBe(0);
    expect(out).toMatch(/^workflow po-\d+ waits on its task token for the review of a USD 5000 order/);
    expect(out).toContain('\nordered for USD 4,200\n');
  }, 90_000);

  it('says HumanRejected and the reason when the approver rejects', async () => {
    const { code, out } = await decideExample(local, taskTokenAgent('6000'), {
      decision: 'reject',
      reason: 'Not this quarter',
    });
    expect(code).toBe(2);
    expect(out).toContain('not ordered: HumanRejected: Not this quarter');
  }, 90_000);
});
