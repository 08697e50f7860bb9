// The examples run as a developer runs them: a child process against local mode, decided from the outbox.
import { spawn } from 'node:child_process';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Review } from '../../functions/domain/review.ts';
import { clients, ROOT } from '../support/local.ts';
import { useLocalReviews } from '../support/reviews.ts';

const local = useLocalReviews();

/** Runs an example against this local mode; resolves with its exit code and output. */
function run(file: string, args: string[]) {
  const { HITL_API_URL: _deployed, ...env } = process.env;
  const child = spawn(process.execPath, [file, ...args], {
    cwd: ROOT,
    env: { ...env, HITL_LOCAL_URL: local.h.app.url },
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  return new Promise<{ code: number | null; out: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, out })),
  );
}

/** The review an example opened: the one review of `agentId` that was not there before, once its links are out. */
async function opened(agentId: string, before: Set<string>) {
  const { dynamo } = clients(local.h.app.url);
  for (let i = 0; i < 400; i++) {
    const { Items = [] } = await dynamo.send(new ScanCommand({ TableName: local.reviews.table }));
    const fresh = Items.filter((r) => r.agentId === agentId && r.sk === 'META' && !before.has(String(r.id)));
    if (fresh.length === 1) {
      const review = (await local.reviews.get(String(fresh[0]?.id))) as Review;
      const links = await local.reviews.linksFor(review);
      if (links.length) return { review, links };
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the example opened no review');
}

async function reviewIds(): Promise<Set<string>> {
  const { Items = [] } = await clients(local.h.app.url).dynamo.send(
    new ScanCommand({ TableName: local.reviews.table }),
  );
  return new Set(Items.map((r) => String(r.id)));
}

it('client-agent orders once, with the amount the approver edited', async () => {
  const before = await reviewIds();
  const example = run('examples/client-agent/agent.ts', ['5000']);
  const { review, links } = await opened('procurement-agent', before);
  await local.reviews.decide(review.id, {
    token: links[0]!.token,
    decision: 'approve',
    edits: { 'amount.value': 4500 },
  });
  expect(await example).toEqual({
    code: 0,
    out: 'asking for approval of a USD 5000 purchase order; decide it from the outbox\nordered: Laptops for the new team for USD 4,500\n',
  });
}, 60_000);

it('client-agent says it did not order when the approver rejects', async () => {
  const before = await reviewIds();
  const example = run('examples/client-agent/agent.ts', ['2000']);
  const { review, links } = await opened('procurement-agent', before);
  await local.reviews.decide(review.id, { token: links[0]!.token, decision: 'reject', reason: 'Use the spare stock' });
  const { code, out } = await example;
  expect(code).toBe(2);
  expect(out).toContain('not ordered: review');
  expect(out).toContain('was rejected: Use the spare stock');
}, 60_000);
