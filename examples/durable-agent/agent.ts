// A procurement agent written as a Lambda durable function. It drafts a purchase order, proposes it to
// hitl-gate with the callback id context.waitForCallback hands it, and waits: for days if need be, at
// no compute cost (the function is not running while it waits). hitl-gate answers the callback once the
// review ends. Approved: the agent goes on with exactly the order the person approved, edits included.
// Rejected, expired or cancelled: it stops, and says why.
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CallbackError, withDurableExecution, type DurableContext } from '@aws/durable-execution-sdk-js';

/** What the agent is asked to buy, and for whom. */
export interface OrderRequest {
  /** The agent's own id for the order: the proposal's idempotency key at hitl-gate. */
  orderId: string;
  /** The person the agent buys for; hitl-gate never lets them approve it. */
  requestedBy: string;
  item: string;
  quantity: number;
  unitPrice: number;
  currency: string;
}

interface PurchaseOrder {
  type: 'purchase_order';
  summary: string;
  amount: { value: number; currency: string };
  payload: { item: string; quantity: number; unitPrice: number };
}

export type AgentResult =
  | {
      status: 'approved';
      /** The order as approved: the proposal, or what the approver edited it to. */
      order: PurchaseOrder;
      edited: boolean;
      approvedBy: string[];
      reviewId: string;
      outcomeId: string;
    }
  | {
      status: 'refused';
      refusal: Refusal;
      reason: string;
      decidedBy: string[];
      reviewId: string;
      outcomeId: string;
    };

/** How hitl-gate fails a callback: the name is the error's message, the cause (JSON) its errorData. */
const REFUSALS = ['HumanRejected', 'ReviewExpired', 'ReviewCancelled'] as const;
type Refusal = (typeof REFUSALS)[number];

export const AGENT_ID = 'durable-procurement-agent';
/** hitl-gate's bus: `hitl-<stage>`. */
const BUS = process.env.HITL_EVENT_BUS ?? 'hitl-dev';
const eventBridge = new EventBridgeClient({});

async function procure(request: OrderRequest, context: DurableContext): Promise<AgentResult> {
  const draft = await context.step('draft-order', async (): Promise<PurchaseOrder> => {
    const { item, quantity, unitPrice, currency } = request;
    return {
      type: 'purchase_order',
      summary: `${quantity} x ${item}`,
      amount: { value: Math.round(quantity * unitPrice * 100) / 100, currency },
      payload: { item, quantity, unitPrice },
    };
  });
  try {
    const granted = await context.waitForCallback(
      'human-approval',
      async (callbackId) => {
        const out = await eventBridge.send(
          new PutEventsCommand({
            Entries: [
              {
                EventBusName: BUS,
                Source: 'agent.procurement',
                DetailType: 'Action Proposed',
                Detail: JSON.stringify({
                  proposalId: request.orderId,
                  agentId: AGENT_ID,
                  requestedBy: request.requestedBy,
                  action: draft,
                  callback: { durableCallbackId: callbackId },
                }),
              },
            ],
          }),
        );
        if (out.FailedEntryCount)
          throw new Error(
            `the bus refused the proposal: ${out.Entries?.[0]?.ErrorCode} ${out.Entries?.[0]?.ErrorMessage}`,
          );
      },
      // Longer than any review's route takes to end (the default policy's longest is a few days).
      { timeout: { days: 7 } },
    );
    // The callback's Result is the "Approval Granted" event's detail.
    const outcome = JSON.parse(granted) as {
      reviewId: string;
      outcomeId: string;
      action: PurchaseOrder;
      edited: boolean;
      decidedBy: { id: string }[];
    };
    return {
      status: 'approved',
      order: outcome.action,
      edited: outcome.edited,
      approvedBy: outcome.decidedBy.map((d) => d.id),
      reviewId: outcome.reviewId,
      outcomeId: outcome.outcomeId,
    };
  } catch (err) {
    const refusal = REFUSALS.find((r) => err instanceof CallbackError && err.message === r);
    if (!refusal || !(err instanceof CallbackError)) throw err;
    const cause = JSON.parse(err.errorData ?? '{}') as {
      reviewId: string;
      outcomeId: string;
      reason: string;
      decidedBy: string[];
    };
    return {
      status: 'refused',
      refusal,
      reason: cause.reason,
      decidedBy: cause.decidedBy,
      reviewId: cause.reviewId,
      outcomeId: cause.outcomeId,
    };
  }
}

export const handler = withDurableExecution(procure);
