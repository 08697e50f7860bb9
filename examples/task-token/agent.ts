// An agent that runs as its own Step Functions Standard workflow and waits on a task token: the workflow
// (statemachines/examples/procurement-caller.asl.yml) puts the proposal with events:putEvents.waitForTaskToken
// and pauses, at no cost, until hitl-gate answers SendTaskSuccess or SendTaskFailure. `npm start`, then
//   node examples/task-token/agent.ts [amount]
// and decide the review from the outbox (http://localhost:3000/_local/outbox).
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';

const endpoint = process.env.HITL_LOCAL_URL ?? 'http://localhost:3000';
// Locally the developer's key `local`; the stack deploys the example caller on every stage but prod.
const sfn = new SFNClient({
  endpoint,
  region: 'eu-west-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
const stateMachineArn = 'arn:aws:states:eu-west-1:000000000000:stateMachine:hitl-gate-dev-example-procurement-caller';

const amount = Number(process.argv[2] ?? 5000);
const name = `po-${Date.now()}`; // the execution's name is the proposalId
const { executionArn } = await sfn.send(
  new StartExecutionCommand({
    stateMachineArn,
    name,
    input: JSON.stringify({
      requestedBy: 'sam.rivera',
      action: {
        type: 'purchase_order',
        summary: `Standing desks (${name})`,
        amount: { value: amount, currency: 'USD' },
      },
    }),
  }),
);
console.log(
  `workflow ${name} waits on its task token for the review of a USD ${amount} order; decide it from the outbox`,
);

// Only this demo watches the execution; on AWS nothing runs while it waits, and its next state acts.
for (;;) {
  const run = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  if (run.status === 'RUNNING') {
    await new Promise((r) => setTimeout(r, 1000));
    continue;
  }
  if (run.status === 'SUCCEEDED') {
    const { placed } = JSON.parse(run.output ?? '{}') as { placed: { amount: { value: number; currency: string } } };
    console.log(`ordered for ${placed.amount.currency} ${placed.amount.value.toLocaleString('en-US')}`);
  } else {
    console.log(`not ordered: ${run.error}: ${JSON.parse(run.cause ?? '{}').reason ?? run.cause}`);
    process.exitCode = 2;
  }
  break;
}
