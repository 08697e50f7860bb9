// `npm run load [-- --rate 200 --duration 60 --mix 70/20/8/2 --shape steady|burst --ses-rate 14 --json]`:
// proposals at a steady rate (or in bursts, each second's at once) with the real EventBridge client, against
// local mode with SES's sending quota on, then waits for the backlog of emails to drain. It reports what was
// accepted, opened and emailed (the emails' delay from the review's opening, p50/p99), what was lost (must
// be 0), the throttles SES answered, and the time the backlog took to drain. See docs/capacity.md.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { QUIET_FUNCTIONS, startLocal } from '../local/app.ts';
import { reviewIdFor } from '../functions/domain/ids.ts';
import type { Review } from '../functions/domain/review.ts';
import { ReviewsTable, documentClient } from '../functions/adapters/reviews-table.ts';
import { CostFlagError, type Proposal, proposalOf, proposalsPerTier, TIERS, type Tier } from './cost-model.ts';
import { LOAD_USAGE, LoadFlagError, type LoadFlags, parseLoadFlags, percentile } from './load-flags.ts';

const root = resolve(import.meta.dirname, '..');

async function main(flags: LoadFlags): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'hitl-load-'));
  const app = await startLocal({
    root,
    port: 0,
    dataDir,
    // The senders pace themselves at the account's rate, as serverless.yml's sesSendRate tells them in AWS.
    environment: { ...QUIET_FUNCTIONS, MAIL_SEND_RATE: String(flags.sesRate) },
    sesQuota: { maxSendRate: flags.sesRate, max24HourSend: flags.sesDaily },
    quotas: {
      lambdaConcurrency: flags.lambdaConcurrency,
      putEventsRate: flags.putEventsRate,
      startExecutionRate: flags.startRate,
      startExecutionBurst: flags.startRate,
    },
  });
  try {
    const total = flags.rate * flags.duration;
    const perTier = proposalsPerTier(total, flags.mix);
    // The tiers interleaved, as traffic comes: every proposal's tier drawn from what is left of its share.
    const tiers: Tier[] = TIERS.flatMap((t) => Array<Tier>(perTier[t]).fill(t));
    for (let i = tiers.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [tiers[i], tiers[j]] = [tiers[j]!, tiers[i]!];
    }
    const run = `load-${Date.now().toString(36)}`;
    const proposals: Proposal[] = tiers.map((t, n) => proposalOf(t, n, run, 'load-agent'));
    const eventBridge = new EventBridgeClient({
      endpoint: app.url,
      region: app.wiring.region,
      credentials: { accessKeyId: 'agent', secretAccessKey: 'agent' },
      maxAttempts: 1,
      // A burst sends a second's PutEvents at once: more sockets than the SDK's 50.
      requestHandler: { httpAgent: { maxSockets: 500 } },
    });

    // The load: each second's proposals, in PutEvents of 10, spread over the second or all at its start.
    let accepted = 0;
    let refused = 0;
    const putErrors = new Map<string, number>();
    const sends: Promise<void>[] = [];
    const put = async (batch: Proposal[]) => {
      try {
        const out = await eventBridge.send(
          new PutEventsCommand({
            Entries: batch.map((p) => ({
              EventBusName: app.wiring.buses[0],
              Source: 'agent.load',
              DetailType: 'Action Proposed',
              Detail: JSON.stringify(p),
            })),
          }),
        );
        for (const e of out.Entries ?? []) {
          if (e.ErrorCode) {
            refused++;
            putErrors.set(e.ErrorCode, (putErrors.get(e.ErrorCode) ?? 0) + 1);
          } else accepted++;
        }
      } catch (err) {
        refused += batch.length;
        const name = (err as Error).name;
        putErrors.set(name, (putErrors.get(name) ?? 0) + batch.length);
      }
    };
    const started = performance.now();
    const startedAt = app.clock.now();
    for (let second = 0; second < flags.duration; second++) {
      const ofSecond = proposals.slice(second * flags.rate, (second + 1) * flags.rate);
      const batches = Array.from({ length: Math.ceil(ofSecond.length / 10) }, (_, b) =>
        ofSecond.slice(b * 10, b * 10 + 10),
      );
      for (const [b, batch] of batches.entries()) {
        const at = started + second * 1000 + (flags.shape === 'steady' ? (b * 1000) / batches.length : 0);
        await new Promise((r) => setTimeout(r, Math.max(0, at - performance.now())));
        sends.push(put(batch));
      }
    }
    await Promise.all(sends);
    const loadSeconds = (performance.now() - started) / 1000;

    // The backlog: intake first, then the emails waiting their turn at SES's rate.
    const ids = proposals.map((p) => reviewIdFor(p.agentId, p.proposalId));
    const store = new ReviewsTable(documentClient(), app.wiring.environment.REVIEWS_TABLE!, {
      retentionDays: () => 365,
    });
    await app.idle();
    const intakeDoneSeconds = (performance.now() - started) / 1000;
    const queue = app.sqs.queues.find((q) => q.name.endsWith('-notifications'))!;
    const dlq = app.sqs.queues.find((q) => q.name.endsWith('-notifications-dlq'))!;
    const backlog = () => {
      const c = app.sqs.counts(queue.url);
      return c.visible + c.notVisible + c.delayed;
    };
    // Done when every approver due an email has it (or it is in the dead-letter queue): a notification claim
    // whose intake failed is taken over by the sweeper after its lease (2 minutes), so this waits for it.
    const failedAtIntake = () =>
      new Set(
        app.bus.events
          .filter((x) => x.DetailType === 'Intake Failed')
          .map((x) => {
            const input = (JSON.parse(x.Detail) as { input?: { agentId?: string; proposalId?: string } }).input;
            return reviewIdFor(String(input?.agentId), String(input?.proposalId));
          }),
      );
    const unfinished = async () => {
      let left = 0;
      const failed = failedAtIntake();
      for (let i = 0; i < ids.length; i += 100) {
        const found = await Promise.all(ids.slice(i, i + 100).map((id) => store.get(id)));
        for (const [k, r] of found.entries()) {
          if (!r) left += failed.has(ids[i + k]!) ? 0 : 1;
          else if (r.status === 'PENDING')
            left += (r.route[r.step]?.approvers ?? []).filter(
              (a) => !(r.emailed?.step === r.step && r.emailed.to[a.id]),
            ).length;
        }
      }
      const dead = app.sqs.counts(dlq.url);
      return Math.max(0, left - dead.visible - dead.notVisible);
    };
    const drainStarted = performance.now();
    while (
      (backlog() > 0 || (await unfinished()) > 0) &&
      (performance.now() - drainStarted) / 1000 < flags.drainLimit
    ) {
      await new Promise((r) => setTimeout(r, 1000));
      await app.idle();
    }
    const drainSeconds = (performance.now() - drainStarted) / 1000;
    const intakeFailures = new Map<string, number>();
    for (const e of app.bus.events.filter((x) => x.DetailType === 'Intake Failed')) {
      const error = String((JSON.parse(e.Detail) as { error?: unknown }).error);
      intakeFailures.set(error, (intakeFailures.get(error) ?? 0) + 1);
    }

    // What became of every proposal: a review (open or decided), an invalid one, or nothing (lost).
    const reviews: Review[] = [];
    let missing = 0;
    for (let i = 0; i < ids.length; i += 50) {
      const found = await Promise.all(ids.slice(i, i + 50).map((id) => store.get(id)));
      for (const r of found) {
        if (r) reviews.push(r);
        else missing++;
      }
    }
    const opened = new Set(reviews.map((r) => r.id));
    const pending = reviews.filter((r) => r.status === 'PENDING');
    const delays: number[] = [];
    let lastEmailAt = startedAt;
    let toEmail = 0;
    let unemailed = 0;
    for (const r of pending) {
      for (const a of r.route[r.step]?.approvers ?? []) {
        toEmail++;
        const at = r.emailed?.step === r.step ? r.emailed.to[a.id] : undefined;
        if (at) {
          delays.push(Date.parse(at) - Date.parse(r.stepStartedAt ?? r.createdAt));
          lastEmailAt = Math.max(lastEmailAt, Date.parse(at));
        } else unemailed++;
      }
    }
    const dead = app.sqs.counts(dlq.url);
    const deadLetters = dead.visible + dead.notVisible;
    const result = {
      flags: { ...flags, json: undefined },
      proposals: total,
      accepted,
      refused,
      refusedByPutEvents: Object.fromEntries(putErrors),
      opened: reviews.length,
      // A proposal whose intake gave up without a review is not lost: its "Intake Failed" event carries it
      // (and alarms). One whose intake gave up after its review opened is counted as opened.
      failedAtIntake: [...failedAtIntake()].filter((id) => !opened.has(id)).length,
      lost: {
        proposals: accepted - reviews.length - [...failedAtIntake()].filter((id) => !opened.has(id)).length,
        emails: unemailed - backlog() - deadLetters,
      },
      emails: {
        due: toEmail,
        sent: delays.length,
        stillQueued: backlog(),
        deadLetters,
        delayMs: { p50: percentile(delays, 50), p99: percentile(delays, 99), max: percentile(delays, 100) },
      },
      // Requests each quota refused (each retried by its caller: the SDK, a Retry, a rule's retry policy, SQS).
      throttles: { 'SES SendEmail': app.mail.throttled, ...app.throttles.all },
      targetRetriesOnThrottle: app.bus.throttled,
      // Intake executions that gave up (each one's proposal is in its event; the sweeper finishes what it claimed).
      intakeFailed: Object.fromEntries(intakeFailures),
      seconds: {
        load: +loadSeconds.toFixed(1),
        intakeDone: +intakeDoneSeconds.toFixed(1),
        lastEmail: +((lastEmailAt - startedAt) / 1000).toFixed(1),
        drainAfterIntake: +drainSeconds.toFixed(1),
      },
      missingReviews: missing,
    };
    if (flags.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else process.stdout.write(text(result));
  } finally {
    await app.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

function text(r: {
  flags: Omit<LoadFlags, 'json'>;
  proposals: number;
  accepted: number;
  opened: number;
  failedAtIntake: number;
  lost: { proposals: number; emails: number };
  emails: {
    due: number;
    sent: number;
    stillQueued: number;
    deadLetters: number;
    delayMs: Record<string, number | undefined>;
  };
  throttles: Record<string, number>;
  targetRetriesOnThrottle: number;
  intakeFailed: Record<string, number>;
  seconds: { load: number; intakeDone: number; lastEmail: number; drainAfterIntake: number };
}): string {
  const f = r.flags;
  const ms = (v: number | undefined) => (v === undefined ? '-' : `${(v / 1000).toFixed(1)} s`);
  return [
    `hitl-gate load test in local mode: ${f.rate} proposals/s for ${f.duration} s (${f.shape}), mix ${f.mix.low}/${f.mix.medium}/${f.mix.high}/${f.mix.critical}, SES ${f.sesRate}/s`,
    `  proposals ${r.proposals}, accepted ${r.accepted}, opened ${r.opened}, failed at intake ${r.failedAtIntake} (each in its "Intake Failed" event), lost ${r.lost.proposals}`,
    `  emails due ${r.emails.due}, sent ${r.emails.sent}, still queued ${r.emails.stillQueued}, dead letters ${r.emails.deadLetters}, lost ${r.lost.emails}`,
    `  email delay from the review's opening: p50 ${ms(r.emails.delayMs.p50)}, p99 ${ms(r.emails.delayMs.p99)}, max ${ms(r.emails.delayMs.max)}`,
    `  limits: SES ${f.sesRate}/s, Lambda concurrency ${f.lambdaConcurrency}, PutEvents ${f.putEventsRate}/s, StartExecution ${f.startRate}/s`,
    `  throttled requests: ${
      Object.entries(r.throttles)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none'
    }; rule deliveries retried after a throttle: ${r.targetRetriesOnThrottle}`,
    `  intake executions failed: ${JSON.stringify(r.intakeFailed)}`,
    `  from the first proposal: load sent in ${r.seconds.load} s, every review opened by ${r.seconds.intakeDone} s (${(r.opened / r.seconds.intakeDone).toFixed(0)} a second), the last email at ${r.seconds.lastEmail} s`,
    '',
  ].join('\n');
}

try {
  await main(parseLoadFlags(process.argv.slice(2)));
} catch (err) {
  if (err instanceof LoadFlagError || err instanceof CostFlagError) {
    process.stderr.write(`${err.message}\n${LOAD_USAGE}\n`);
    process.exit(2);
  }
  throw err;
}
