// The scheduled sweep: what is due in the sharded due index (a Query per shard, never a Scan).
import { logger } from '../adapters/logger.ts';
import { count, Metric } from '../adapters/observability.ts';
import { markBreached, markReminded, reminderDue } from '../domain/escalation.ts';
import { slaBreached } from '../domain/review-events.ts';
import { attentionAt, isDecided, NOTIFY_LEASE_MS, redriven, unchanged, unsentNotification } from '../domain/review.ts';
import type { Deps } from './deps.ts';
import { mutate } from './mutate.ts';
import { notifyStep, queueApproverEmails } from './notify.ts';

export interface SweepResult {
  /** Items the due-index queries returned: what this sweep cost, whatever the backlog. */
  itemsRead: number;
  breached: string[];
  /** Pending reviews whose approvers were reminded before the deadline (policy `remindAt`). */
  reminded: string[];
  /** Pending reviews whose first emails never went out (intake died after claiming them): sent now. */
  notified: string[];
  redriven: string[];
}

type SweepPorts = Pick<Deps, 'store' | 'clock' | 'bus' | 'workflows' | 'notifications' | 'directory'>;

/**
 * A pending review past its deadline gets "Review SLA Breached" once per step (claimed with a conditional
 * write, so overlapping sweeps publish once); the escalate rule takes it from there. One whose reminder is
 * due (the policy's remindAt) has its approvers emailed again, with new links, once per reminder. A decided
 * review whose restart did not complete is re-driven: restarted again.
 */
export async function sweep(deps: SweepPorts): Promise<SweepResult> {
  const now = deps.clock.now();
  const { ids, itemsRead } = await deps.store.due(now);
  const result: SweepResult = { itemsRead, breached: [], reminded: [], notified: [], redriven: [] };
  const failed: string[] = [];
  for (const id of ids) {
    try {
      const kind = await handleDue(deps, id, now);
      if (kind) result[kind].push(id);
    } catch (err) {
      // One review's trouble must not starve the others; it stays due and the next sweep tries again.
      failed.push(id);
      logger.error('sweep could not handle a due review', { reviewId: id, error: err as Error });
    }
  }
  // Every review failing is the sweep failing (e.g. the table or the bus is down): let it show as an error.
  if (failed.length && failed.length === ids.length)
    throw new Error(`sweep failed for all ${failed.length} due reviews`);
  if (ids.length) {
    const { breached, reminded, notified, redriven } = result;
    logger.info('sweep done', {
      itemsRead,
      due: ids.length,
      breached: breached.length,
      reminded: reminded.length,
      notified: notified.length,
      redriven: redriven.length,
    });
  }
  return result;
}

/**
 * What a due review needs, claimed in one conditional write before anything is sent: a crash after the
 * claim loses that reminder or leaves the breach claim to expire (the next sweep publishes again), and
 * never sends twice. A lost race is decided again on the review as it is now: another sweep's claim, a
 * decision or a completed restart leaves nothing to do.
 */
async function handleDue(
  deps: SweepPorts,
  id: string,
  now: Date,
): Promise<'breached' | 'reminded' | 'notified' | 'redriven' | undefined> {
  let percent: number | undefined;
  const { step, before, review } = await mutate(deps.store, id, (current) => {
    // Read again: what the index listed may have changed since (a decision, a completed restart).
    const at = current && attentionAt(current);
    if (!current || !at || at > now.toISOString()) return unchanged('not-due');
    if (isDecided(current.status)) return redriven(current, now);
    if (current.status !== 'PENDING') return unchanged('not-due');
    const claim = unsentNotification(current);
    if (claim && Date.parse(claim.at) + NOTIFY_LEASE_MS <= now.getTime()) return unchanged('unsent');
    const breach = markBreached(current, now);
    if (breach.kind !== 'unchanged') return breach;
    percent = reminderDue(current, now);
    return percent === undefined ? unchanged('not-due') : markReminded(current, percent, now);
  });
  if (step.kind === 'unchanged' && step.reason === 'unsent') {
    // notifyStep takes the dead execution's claim over, sends, marks it sent; its event is intake's to publish.
    const sent = await notifyStep(deps, { reviewId: id, executionRef: `sweep:${now.toISOString()}` });
    if (sent.event) await deps.bus.publish([sent.event]);
    logger.warn('sent the emails of a notification claim that never sent them', { reviewId: id, to: sent.notified });
    return sent.notified.length ? 'notified' : undefined;
  }
  if (step.kind === 'unchanged' || !before || !review) return undefined;
  if (step.kind === 'breached') {
    await deps.bus.publish([slaBreached(before, now)]);
    count(Metric.SlaBreaches);
    logger.info('SLA breached', { reviewId: id, step: before.step, deadline: before.deadline });
    return 'breached';
  }
  if (step.kind === 'reminder-sent') {
    // The email says the deadline itself, in each approver's own zone.
    const intro = `Reminder: ${percent}% of the time to decide has passed`;
    await queueApproverEmails(deps, review, intro);
    logger.info('approvers reminded', { reviewId: id, step: before.step, percent, deadline: before.deadline });
    return 'reminded';
  }
  const executionArn = await deps.workflows.restart(id);
  count(Metric.RestartFailures);
  logger.warn('re-drove a decided review whose restart had not completed', {
    reviewId: id,
    redrives: review.redrives,
    executionArn,
  });
  return 'redriven';
}
