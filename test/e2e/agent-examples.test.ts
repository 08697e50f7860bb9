// The MCP gate and task token examples run as a developer runs them: a child process against local mode,
// decided from the emailed link (the client and durable examples have their own tests).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestEventPatternCommand } from '@aws-sdk/client-eventbridge';
import { decideExample } from '../support/examples.ts';
import { clients, ROOT } from '../support/local.ts';
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

describe('docs/events.md', () => {
  it("shows a rule pattern that matches an agent's outcome events and nothing else", async () => {
    const doc = readFileSync(join(ROOT, 'docs/events.md'), 'utf8');
    const pattern = /```json\n([\s\S]*?)```/.exec(doc)?.[1] as string;
    expect(JSON.parse(pattern)).toMatchObject({ detail: { agentId: ['procurement-agent'] } });
    // The outcomes the examples above ended with, as the bus carried them.
    const events = local.h.app.bus.events.filter((e) => e.Source === 'hitl.gate');
    const matches = async (e: (typeof events)[number], agentId: string) => {
      const detail = { ...(JSON.parse(e.Detail) as Record<string, unknown>), agentId };
      const event = { id: '1', account: '000000000000', region: 'eu-west-1', time: '2026-12-01T10:00:00Z' };
      const { Result } = await clients(local.h.app.url).eventBridge.send(
        new TestEventPatternCommand({
          EventPattern: pattern,
          Event: JSON.stringify({ ...event, resources: [], source: e.Source, 'detail-type': e.DetailType, detail }),
        }),
      );
      return Result;
    };
    const granted = events.find((e) => e.DetailType === 'Approval Granted');
    const rejected = events.find((e) => e.DetailType === 'Approval Rejected');
    const requested = events.find((e) => e.DetailType === 'Approval Requested');
    if (!granted || !rejected || !requested) throw new Error('the examples left no outcome events');
    expect(await matches(granted, 'procurement-agent')).toBe(true);
    expect(await matches(rejected, 'procurement-agent')).toBe(true);
    expect(await matches(granted, 'mcp-gate')).toBe(false);
    expect(await matches(requested, 'procurement-agent')).toBe(false);
  });
});
