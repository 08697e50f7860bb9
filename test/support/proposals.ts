import type { ActionProposed } from '../../events/index.ts';

let n = 0;
/** A valid "Action Proposed" detail; override what the test is about. */
export function proposal(
  overrides: Omit<Partial<ActionProposed>, 'action'> & { action?: Partial<ActionProposed['action']> } = {},
): ActionProposed {
  n++;
  const { action, ...rest } = overrides;
  return {
    proposalId: `prop-${process.pid}-${Date.now()}-${n}`,
    agentId: 'procurement-agent',
    requestedBy: 'sam.rivera',
    ...rest,
    action: {
      type: 'purchase_order',
      summary: `Laptops for the new team (${n})`,
      amount: { value: 5000, currency: 'USD' },
      ...action,
    },
  } as ActionProposed;
}

export function purchaseOrder(value: number, extra: Partial<ActionProposed> = {}): ActionProposed {
  return proposal({
    ...extra,
    action: { type: 'purchase_order', summary: `Purchase order for $${value}`, amount: { value, currency: 'USD' } },
  });
}

/** A critical schema change (two approvals needed), proposed by the DBA agent. */
export function schemaChange(extra: Partial<ActionProposed> = {}): ActionProposed {
  return proposal({
    agentId: 'dba-agent',
    ...extra,
    action: {
      type: 'db_schema_change',
      summary: 'Drop column orders.legacy_id',
      target: 'production/orders-db',
      amount: undefined,
    },
  });
}

/** A customer email, an action hitl-gate performs itself once approved (it sends it through SES). */
export function customerEmail(extra: Partial<ActionProposed> = {}): ActionProposed {
  return proposal({
    ...extra,
    action: {
      type: 'customer_email',
      summary: 'Apology',
      target: 'dana@customer.example.org',
      amount: undefined,
      payload: { subject: 'About your order', body: 'Sorry.' },
    },
  });
}

/** A refund up to $10,000: the support leads are asked by email and in their Slack channel first. */
export function refund(value: number, extra: Partial<ActionProposed> = {}): ActionProposed {
  return proposal({
    agentId: 'support-agent',
    ...extra,
    action: { type: 'refund', summary: `Refund of $${value} for a late order`, amount: { value, currency: 'USD' } },
  });
}
