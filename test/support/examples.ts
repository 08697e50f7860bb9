// Running an example as a developer runs it: a child process against local mode, and finding the review it opened.
import { spawn } from 'node:child_process';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Review } from '../../functions/domain/review.ts';
import { clients, ROOT } from './local.ts';
import type { useLocalReviews } from './reviews.ts';

type Local = ReturnType<typeof useLocalReviews>;

/** Runs an example against this local mode; resolves with its exit code and output (stdout and stderr). */
export function runExample(local: Local, file: string, args: string[], options: { stdout?: boolean } = {}) {
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
    if (!options.stdout) out += d;
  });
  return new Promise<{ code: number | null; out: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, out })),
  );
}

/** The ids of every review there is now. */
export async function reviewIds(local: Local): Promise<Set<string>> {
  const { Items = [] } = await clients(local.h.app.url).dynamo.send(
    new ScanCommand({ TableName: local.reviews.table }),
  );
  return new Set(Items.map((r) => String(r.id)));
}

/** The review an example opened: the one review of `agentId` that was not there before, once its links are out. */
export async function openedBy(local: Local, agentId: string, before: Set<string>) {
  const { dynamo } = clients(local.h.app.url);
  for (let i = 0; i < 800; i++) {
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

/**
 * Runs an example, waits for the review it opens for `agentId`, decides it with the first emailed link as
 * `decision` says, and resolves with the review, its links and what the example printed and exited with.
 */
export async function decideExample(
  local: Local,
  example: { file: string; args: string[]; agentId: string; stdout?: boolean },
  decision: { decision: 'approve' | 'reject'; reason?: string; edits?: Record<string, unknown> },
) {
  const before = await reviewIds(local);
  const run = runExample(local, example.file, example.args, { stdout: example.stdout ?? false });
  const { review, links } = await openedBy(local, example.agentId, before);
  await local.reviews.decide(review.id, { token: links[0]!.token, ...decision });
  return { review, links, ...(await run) };
}
