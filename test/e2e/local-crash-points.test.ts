// Issue 13: local mode killed with SIGKILL (HITL_CRASH_AT) at five points of a review's life, then started again on
// the same data folder. Every proposal still becomes one review that reaches one outcome, published under one
// outcomeId however often it is published, and none is lost. The figures of each point are printed as a table.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DetailType, HITL_SOURCE, type ActionProposed } from '../../events/index.ts';
import { ReviewsTable } from '../../functions/adapters/reviews-table.ts';
import { reviewIdFor } from '../../functions/domain/ids.ts';
import { outcomeIdOf } from '../../functions/domain/review-events.ts';
import { REDRIVE_AFTER_MS, type Review } from '../../functions/domain/review.ts';
import { LocalMail } from '../../local/ses.ts';
import type { ArchivedEvent } from '../../local/eventbridge/bus.ts';
import { clients, eventually, ROOT } from '../support/local.ts';
import { startLocalProcess, type LocalProcess } from '../support/process.ts';
import { purchaseOrder } from '../support/proposals.ts';
import { putProposals } from '../integration/local-wire.ts';

const PROPOSALS = 12;
/** Proposals per PutEvents call; the calls go out at once, as several agents put them. */
const PER_CALL = 4;
const TABLE = 'hitl-gate-dev-reviews';
const CALLER = 'arn:aws:states:eu-west-1:000000000000:stateMachine:hitl-gate-dev-example-procurement-caller';
const LINK = /Open the review to approve, edit or reject: (\S+)/;
/** Every outcome event hitl-gate publishes, and the one each decision here must end in. */
const OUTCOME_TYPES: string[] = [
  DetailType.ApprovalGranted,
  DetailType.ApprovalRejected,
  DetailType.ApprovalExpired,
  DetailType.ApprovalCancelled,
];
const OUTCOMES = { approved: DetailType.ApprovalGranted, rejected: DetailType.ApprovalRejected };

interface Point {
  point: string;
  what: string;
  /** The approvers decide before the kill (the point lies after a decision). */
  decideFirst: boolean;
  /** The proposals come from callers paused on .waitForTaskToken (the example caller), so resume answers them. */
  callers?: boolean;
}

const POINTS: Point[] = [
  { point: 'answered.AWSEvents.PutEvents', what: 'right after PutEvents answers', decideFirst: false },
  { point: 'intake.OpenReview', what: 'mid-intake, the review written', decideFirst: false },
  { point: 'function.decide', what: 'after the decision write', decideFirst: true },
  { point: 'resume.PublishOutcome', what: 'after the outcome is published', decideFirst: true },
  { point: 'resume.ReportToCaller', what: 'before completion (caller answered)', decideFirst: true, callers: true },
];

interface Proposal {
  proposal: ActionProposed;
  id: string;
  /** What the review must end as: the policy approves a low-tier one; a person decides the others. */
  outcome: 'approved' | 'rejected';
  /** Whether a person decides it (else the policy does, at intake). */
  byPerson: boolean;
}

/** The proposals of one point: a third low-tier (approved by the policy) unless a person must decide first. */
function proposalsFor(p: Point): Proposal[] {
  return Array.from({ length: PROPOSALS }, (_, i) => {
    const byPerson = p.decideFirst || i % 3 !== 0;
    const proposal = purchaseOrder(byPerson ? 2000 + i : 500 + i);
    const named = p.callers ? { ...proposal, agentId: 'procurement-example' } : proposal;
    return {
      proposal: named,
      id: reviewIdFor(named.agentId, named.proposalId),
      byPerson,
      outcome: byPerson && i % 4 === 3 ? 'rejected' : 'approved',
    };
  });
}

/** Puts the proposals, PER_CALL to a PutEvents call, all calls at once; the proposals whose call got no answer. */
async function propose(url: string, proposals: Proposal[]): Promise<Proposal[]> {
  const calls = Array.from({ length: Math.ceil(proposals.length / PER_CALL) }, (_, i) =>
    proposals.slice(i * PER_CALL, (i + 1) * PER_CALL),
  );
  const answers = await Promise.allSettled(
    calls.map((c) =>
      putProposals(
        url,
        c.map((p) => p.proposal),
      ),
    ),
  );
  return calls.flatMap((c, i) => (answers[i]!.status === 'fulfilled' ? [] : c));
}

/** Starts one example caller per proposal: its own workflow puts the proposal (with its task token) and waits. */
async function startCallers(url: string, proposals: Proposal[]): Promise<void> {
  const { sfn } = clients(url);
  await Promise.all(
    proposals.map((p) =>
      sfn.send(
        new StartExecutionCommand({
          stateMachineArn: CALLER,
          name: p.proposal.proposalId,
          input: JSON.stringify({ requestedBy: p.proposal.requestedBy, action: p.proposal.action }),
        }),
      ),
    ),
  );
}

/** The decision links in a data folder's outbox, by review id (one approver per review here). */
function outboxOf(dataDir: string) {
  const mail = new LocalMail(join(dataDir, 'outbox'));
  const links = new Map<string, string>();
  const read = new Set<string>();
  return async (): Promise<Map<string, string>> => {
    for (const file of await readdir(join(dataDir, 'outbox'))) {
      if (!file.endsWith('.eml') || read.has(file)) continue;
      read.add(file);
      const { text } = await mail.read(file);
      const link = LINK.exec(text)?.[1];
      const id = /\(review (rv-[0-9a-f]+)\)/.exec(text)?.[1];
      if (link && id) links.set(id, link);
    }
    return links;
  };
}

/**
 * The approver's click: the emailed link's token POSTed with the decision, as the review page's form does (with
 * JSON), to local mode at `base` (a restart listens on another port than the one the email names).
 */
async function click(base: string, link: string, p: Proposal): Promise<{ status: number; code?: string }> {
  const url = new URL(link);
  const res = await fetch(`${base}${url.pathname}/decision`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({
      token: url.searchParams.get('t'),
      decision: p.outcome === 'approved' ? 'approve' : 'reject',
      ...(p.outcome === 'rejected' ? { reason: 'crash test: not this quarter' } : {}),
    }),
  });
  const body = (await res.json().catch(() => ({}))) as { error?: string };
  return { status: res.status, ...(body.error ? { code: body.error } : {}) };
}

/** A JSON-lines file of the data folder; a line cut short by the kill is left out. */
async function jsonLines<T>(dataDir: string, file: string): Promise<T[]> {
  const text = await readFile(join(dataDir, file), 'utf8').catch(() => '');
  return text.split('\n').flatMap((line) => {
    try {
      return [JSON.parse(line) as T];
    } catch {
      return [];
    }
  });
}

/** Every event the bus accepted in either run (the archive, events.jsonl, outlives the process). */
const archived = (dataDir: string) => jsonLines<ArchivedEvent>(dataDir, 'events.jsonl');

/**
 * The proposals the bus still owed intake when local mode died, read (not changed) from its journal: accepted with
 * a rule to deliver to, and not delivered to every one of them (local/eventbridge/journal.ts has the format).
 */
async function owedToIntake(dataDir: string): Promise<number> {
  const owed = new Map<string, Set<string>>();
  type Line = { accepted?: ArchivedEvent; rules?: string[]; delivered?: string; rule?: string };
  for (const l of await jsonLines<Line>(dataDir, 'bus-journal.jsonl')) {
    if (l.accepted?.DetailType === DetailType.ActionProposed) owed.set(l.accepted.id, new Set(l.rules));
    if (l.delivered) owed.get(l.delivered)?.delete(l.rule ?? '');
  }
  return [...owed.values()].filter((rules) => rules.size > 0).length;
}

function outcomesIn(events: ArchivedEvent[], id: string): { detailType: string; outcomeId: string }[] {
  return events
    .filter((e) => e.Source === HITL_SOURCE && OUTCOME_TYPES.includes(e.DetailType))
    .map((e) => ({ detailType: e.DetailType, detail: JSON.parse(e.Detail) as { reviewId: string; outcomeId: string } }))
    .filter((e) => e.detail.reviewId === id)
    .map((e) => ({ detailType: e.detailType, outcomeId: e.detail.outcomeId }));
}

const processes: LocalProcess[] = [];
const dataDirs: string[] = [];
const figures: Record<string, string | number>[] = [];

afterAll(async () => {
  for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) await p.stop();
  for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
  if (figures.length) console.log(`crash points, ${PROPOSALS} proposals each:\n${table(figures)}`);
});

function table(rows: Record<string, string | number>[]): string {
  const keys = Object.keys(rows[0]!);
  const width = keys.map((k) => Math.max(k.length, ...rows.map((r) => String(r[k]).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(width[i]!)).join(' | ')} |`;
  return [
    line(keys),
    line(width.map((w) => '-'.repeat(w))),
    ...rows.map((r) => line(keys.map((k) => String(r[k])))),
  ].join('\n');
}

describe('local mode killed at a crash point and started again on the same data', () => {
  it.each(POINTS)(
    '$point ($what): every review reaches one outcome with one outcomeId, none lost',
    async (p) => {
      const proposals = proposalsFor(p);
      const first = await startLocalProcess({ HITL_PERSIST: '1', HITL_CRASH_AT: p.point });
      processes.push(first);
      dataDirs.push(first.dataDir);
      const died = new Promise<NodeJS.Signals | null>((r) => first.child.once('exit', (_code, signal) => r(signal)));
      const outbox = outboxOf(first.dataDir);

      // Before the kill: agents propose; at the decision points, approvers then click their emailed links at once.
      let unanswered: Proposal[] = [];
      if (p.callers) await startCallers(first.url, proposals);
      else unanswered = await propose(first.url, proposals);
      const clicked = new Map<string, number>();
      if (p.decideFirst) {
        const links = await eventually(async () => {
          const l = await outbox();
          return proposals.every((x) => l.has(x.id)) ? l : undefined;
        }, 'every approver emailed');
        const answers = await Promise.allSettled(proposals.map((x) => click(first.url, links.get(x.id)!, x)));
        answers.forEach((a, i) => {
          if (a.status === 'fulfilled') clicked.set(proposals[i]!.id, a.value.status);
        });
      }
      let timer: NodeJS.Timeout | undefined;
      const signal = await Promise.race([
        died,
        new Promise((r) => (timer = setTimeout(() => r('still running'), 20_000))),
      ]);
      clearTimeout(timer);
      expect(signal).toBe('SIGKILL');
      expect(first.output()).toContain(`HITL_CRASH_AT=${p.point} reached: SIGKILL`);
      // A click answered before the kill decided (200); one not answered is clicked again below.
      for (const status of clicked.values()) expect(status).toBe(200);

      // Started again on the same data folder, without the crash point.
      const owed = await owedToIntake(first.dataDir);
      const second = await startLocalProcess({ HITL_PERSIST: '1', HITL_DATA_DIR: first.dataDir });
      processes.push(second);
      // The agents put again what got no answer, with the same proposalIds.
      const again = unanswered.length ? await propose(second.url, unanswered) : [];
      expect(again).toEqual([]);
      const reviews = new ReviewsTable(clients(second.url).dynamo, TABLE);
      const byPerson = proposals.filter((x) => x.byPerson);
      const links = await eventually(
        async () => {
          const l = await outbox();
          const opened = await Promise.all(proposals.map((x) => reviews.get(x.id)));
          return opened.every(Boolean) && byPerson.every((x) => l.has(x.id)) ? l : undefined;
        },
        'a review for every proposal, and its approver emailed',
        30_000,
      );
      // The approvers whose click got no answer click again: it decides now, or it had decided (409 AlreadyDecided).
      const repeated = byPerson.filter((x) => clicked.get(x.id) !== 200);
      const reclicks = await Promise.all(repeated.map((x) => click(second.url, links.get(x.id)!, x)));
      for (const c of reclicks)
        expect(c.status === 200 || (c.status === 409 && c.code === 'AlreadyDecided')).toBe(true);

      // The clock moves on, and the sweeper with it, until a sweep finds nothing more to do. A step is past the
      // first re-drive's wait (the dead restart's lease with it), and the next, doubled, within two steps.
      const snapshot = async () => {
        const all = await Promise.all(proposals.map((x) => reviews.get(x.id)));
        return JSON.stringify([(await archived(first.dataDir)).length, all.map((r) => [r?.status, r?.version])]);
      };
      const settle = async () => {
        let last = await snapshot();
        for (let same = 0; same < 3; ) {
          await new Promise((r) => setTimeout(r, 200));
          const now = await snapshot();
          same = now === last ? same + 1 : 0;
          last = now;
        }
        return last;
      };
      let rounds = 0;
      for (let before = await settle(); rounds < 8; rounds++) {
        const res = await fetch(`${second.url}/_local/clock`, {
          method: 'POST',
          body: JSON.stringify({ advanceMs: 2 * REDRIVE_AFTER_MS + 60_000 }),
        });
        expect(res.status).toBe(200);
        const after = await settle();
        const done = (await Promise.all(proposals.map((x) => reviews.get(x.id)))).every(
          (r) => r?.status === 'COMPLETED',
        );
        if (done && after === before) break;
        before = after;
      }

      // One review per proposal, completed with one decision, its outcome published under one outcomeId.
      const events = await archived(first.dataDir);
      const final = (await Promise.all(proposals.map((x) => reviews.get(x.id)))) as Review[];
      const { Count } = await clients(second.url).dynamo.send(
        new ScanCommand({
          TableName: TABLE,
          FilterExpression: 'entity = :review',
          ExpressionAttributeValues: { ':review': 'review' },
          Select: 'COUNT',
        }),
      );
      const published = proposals.map((x) => outcomesIn(events, x.id));
      const lost = published.filter((o) => o.length === 0).length;
      const distinct = published.map((o) => new Set(o.map((e) => e.outcomeId)).size);
      figures.push({
        point: p.point,
        proposals: proposals.length,
        'no answer, put again': unanswered.length,
        'owed to intake': owed,
        'clicks answered': clicked.size,
        'clicked again: decided/had decided': `${reclicks.filter((c) => c.status === 200).length}/${reclicks.filter((c) => c.status === 409).length}`,
        reviews: Count ?? 0,
        completed: final.filter((r) => r?.status === 'COMPLETED').length,
        'outcome events': published.reduce((n, o) => n + o.length, 0),
        'published twice+': published.filter((o) => o.length > 1).length,
        'outcomeIds per review': [...new Set(distinct)].join('/'),
        're-drives': final.reduce((n, r) => n + (r?.redrives ?? 0), 0),
        lost,
      });
      expect(Count).toBe(proposals.length);
      proposals.forEach((x, i) => {
        const review = final[i]!;
        const what = review.history.map((h) => h.what);
        expect({ id: x.id, status: review.status, outcome: review.decision?.outcome }).toEqual({
          id: x.id,
          status: 'COMPLETED',
          outcome: x.outcome,
        });
        expect(what.filter((w) => w === 'opened')).toHaveLength(1);
        expect(what.filter((w) => ['approved', 'auto_approved', 'rejected'].includes(w))).toHaveLength(1);
        expect(what.filter((w) => w === 'completed')).toHaveLength(1);
        expect(published[i]!.length).toBeGreaterThan(0);
        expect(new Set(published[i]!.map((e) => e.outcomeId))).toEqual(new Set([outcomeIdOf(review)]));
        expect(new Set(published[i]!.map((e) => e.detailType))).toEqual(new Set([OUTCOMES[x.outcome]]));
      });
      expect(lost).toBe(0);
      await second.stop();
    },
    80_000,
  );
});

describe('HITL_CRASH_AT', () => {
  it('stops the start at a point that is not one, naming the points there are', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'hitl-crash-'));
    dataDirs.push(dataDir);
    const started = promisify(execFile)(process.execPath, ['local/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', HITL_DATA_DIR: dataDir, HITL_CRASH_AT: 'resume.HasCaller' },
    });
    await expect(started).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(
        /HITL_CRASH_AT=resume\.HasCaller: HasCaller is a Choice state[\s\S]*resume\.PublishOutcome/,
      ),
    });
  });

  it('exists in local mode only: nothing deployed names it', async () => {
    const deployed = [
      'serverless.yml',
      ...(await Promise.all(
        ['functions', 'events', 'statemachines'].map(async (dir) =>
          (await readdir(join(ROOT, dir), { recursive: true })).map((f) => join(dir, f)),
        ),
      )),
    ].flat();
    const naming: string[] = [];
    for (const file of deployed) {
      const text = await readFile(join(ROOT, file), 'utf8').catch(() => '');
      if (/HITL_CRASH_AT|local\/crash/.test(text)) naming.push(file);
    }
    expect(deployed.length).toBeGreaterThan(50);
    expect(naming).toEqual([]);
  });
});
