// The examples run as a developer runs them: a child process against local mode, decided from the outbox.
import { decideExample } from '../support/examples.ts';
import { useLocalReviews } from '../support/reviews.ts';

const local = useLocalReviews();
const clientAgent = (amount: string) => ({
  file: 'examples/client-agent/agent.ts',
  args: [amount],
  agentId: 'procurement-agent',
});

it('client-agent orders once, with the amount the approver edited', async () => {
  const { code, out } = await decideExample(local, clientAgent('5000'), {
    decision: 'approve',
    edits: { 'amount.value': 4500 },
  });
  expect({ code, out }).toEqual({
    code: 0,
    out: 'asking for approval of a USD 5000 purchase order; decide it from the outbox\nordered: Laptops for the new team for USD 4,500\n',
  });
}, 60_000);

it('client-agent says it did not order when the approver rejects', async () => {
  const { code, out } = await decideExample(local, clientAgent('2000'), {
    decision: 'reject',
    reason: 'Use the spare stock',
  });
  expect(code).toBe(2);
  expect(out).toContain('not ordered: review');
  expect(out).toContain('was rejected: Use the spare stock');
}, 60_000);
