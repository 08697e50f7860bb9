// An agent that asks before it buys: `npm start` in one terminal, then
//   node examples/client-agent/agent.ts [amount]
// and approve (or edit, or reject) the review from the email in the outbox (http://localhost:3000/_local/outbox).
// Against a deployed stage: HITL_API_URL, HITL_BUS_NAME and AWS_REGION, with the agent's AWS credentials.
import { ApprovalRejected, HitlGate } from '../../clients/typescript/src/index.ts';

const local = !process.env.HITL_API_URL;
// Local mode listens on http://localhost:3000 unless HITL_LOCAL_URL says otherwise.
const url = process.env.HITL_API_URL ?? process.env.HITL_LOCAL_URL ?? 'http://localhost:3000';
const gate = new HitlGate({
  apiUrl: url,
  busName: process.env.HITL_BUS_NAME ?? 'hitl-dev',
  region: process.env.AWS_REGION ?? 'eu-west-1',
  // Local mode's agent key carries the stack's AgentPolicy.
  ...(local ? { endpoint: url, credentials: { accessKeyId: 'agent', secretAccessKey: 'agent' } } : {}),
});

/** What the agent would do once allowed: here, say what it would order. */
async function placeOrder(amount: number, summary: string): Promise<string> {
  return `ordered: ${summary} for USD ${amount.toLocaleString('en-US')}`;
}

const guarded = gate.guard(placeOrder, {
  agentId: 'procurement-agent',
  requestedBy: 'sam.rivera',
  toAction: (amount, summary) => ({ type: 'purchase_order', summary, amount: { value: amount, currency: 'USD' } }),
  fromAction: (action, [, summary]): [number, string] => [action.amount?.value ?? 0, summary],
});

const amount = Number(process.argv[2] ?? 5000);
console.log(`asking for approval of a USD ${amount} purchase order; decide it from the outbox`);
try {
  console.log(await guarded(amount, 'Laptops for the new team'));
} catch (err) {
  if (!(err instanceof ApprovalRejected)) throw err;
  console.log(`not ordered: ${err.message}`);
  process.exitCode = 2;
}
