// EventBridge does not lose an event it accepted: with HITL_PERSIST=1, local mode neither. Proposals whose
// PutEvents answered 200 become reviews even when local mode is killed (SIGKILL) right after the answers and
// started again on the same data folder (issue 13, item 7).
import { rm } from 'node:fs/promises';
import { signedFetch } from '../support/local.ts';
import { startLocalProcess, type LocalProcess } from '../support/process.ts';
import { purchaseOrder } from '../support/proposals.ts';
import { reviewIdFor } from '../../functions/domain/ids.ts';
import { putProposals } from '../integration/local-wire.ts';

const PROPOSALS = 120;
const AT_ONCE = 4;

let first: LocalProcess | undefined;
let second: LocalProcess | undefined;
afterAll(async () => {
  if (first?.child.exitCode === null) first.child.kill('SIGKILL');
  await second?.stop();
  // The data folder both runs used: the killed one never removes it, and the second was given it, not made for it.
  if (first) await rm(first.dataDir, { recursive: true, force: true });
});

/** The review's status as an agent reads it: GET /reviews/{id}/status, signed for execute-api. */
async function statusOf(url: string, id: string): Promise<string | undefined> {
  const res = await signedFetch(url, 'GET', `/reviews/${encodeURIComponent(id)}/status`);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`status of ${id}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { status: string }).status;
}

it('turns every proposal PutEvents accepted into a review, across a SIGKILL right after the answers', async () => {
  first = await startLocalProcess({ HITL_PERSIST: '1' });
  const proposals = Array.from({ length: PROPOSALS }, (_, i) => purchaseOrder(2000 + i));
  // Put as agents do, a few at a time, then killed the moment the last answer is in: intake is still running.
  const batches = Array.from({ length: PROPOSALS / 10 }, (_, i) => proposals.slice(i * 10, i * 10 + 10));
  const accepted: string[] = [];
  for (let i = 0; i < batches.length; i += AT_ONCE)
    for (const ids of await Promise.all(batches.slice(i, i + AT_ONCE).map((b) => putProposals(first!.url, b))))
      accepted.push(...ids);
  const killed = new Promise((r) => first!.child.once('exit', r));
  first.child.kill('SIGKILL');
  await killed;
  expect(accepted).toHaveLength(PROPOSALS);

  second = await startLocalProcess({ HITL_PERSIST: '1', HITL_DATA_DIR: first.dataDir });
  const ids = proposals.map((p) => reviewIdFor(p.agentId, p.proposalId));
  const until = Date.now() + 90_000;
  let missing = ids;
  while (missing.length && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 500));
    const statuses = await Promise.all(missing.map((id) => statusOf(second!.url, id)));
    missing = missing.filter((_, i) => statuses[i] === undefined);
  }
  const owed = /delivering (\d+) event\(s\) accepted before the last stop/.exec(second.output())?.[1] ?? '0';
  console.log(
    `crash test: ${PROPOSALS} proposals accepted before the SIGKILL, ${owed} events still owed at the restart, ` +
      `${PROPOSALS - missing.length} reviews after it`,
  );
  expect(missing).toEqual([]);
  // At least once, and once only where it shows: one pending review per proposal.
  const statuses = await Promise.all(ids.map((id) => statusOf(second!.url, id)));
  expect(new Set(statuses)).toEqual(new Set(['PENDING']));
}, 180_000);
