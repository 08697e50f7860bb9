import * as z from 'zod';
import { ActionProposed } from './action-proposed.ts';
import {
  ActionRejectedAsInvalid,
  ApprovalCancelled,
  ApprovalExpired,
  ApprovalGranted,
  ApprovalRejected,
  ApprovalRequested,
  IntakeFailed,
  ReviewEscalated,
  ReviewSlaBreached,
} from './outcomes.ts';
import { DetailType, HITL_SOURCE, type DetailTypeName } from './names.ts';

/** Every event on the bus with its detail schema; what consumers get as JSON Schema. */
export const DETAIL_SCHEMAS: { detailType: DetailTypeName; source: string; schema: z.ZodType }[] = [
  { detailType: DetailType.ActionProposed, source: '<the agent>', schema: ActionProposed },
  { detailType: DetailType.ApprovalRequested, source: HITL_SOURCE, schema: ApprovalRequested },
  { detailType: DetailType.ApprovalGranted, source: HITL_SOURCE, schema: ApprovalGranted },
  { detailType: DetailType.ApprovalRejected, source: HITL_SOURCE, schema: ApprovalRejected },
  { detailType: DetailType.ApprovalExpired, source: HITL_SOURCE, schema: ApprovalExpired },
  { detailType: DetailType.ApprovalCancelled, source: HITL_SOURCE, schema: ApprovalCancelled },
  { detailType: DetailType.ReviewSlaBreached, source: HITL_SOURCE, schema: ReviewSlaBreached },
  { detailType: DetailType.ReviewEscalated, source: HITL_SOURCE, schema: ReviewEscalated },
  { detailType: DetailType.ActionRejectedAsInvalid, source: HITL_SOURCE, schema: ActionRejectedAsInvalid },
  { detailType: DetailType.IntakeFailed, source: HITL_SOURCE, schema: IntakeFailed },
];

export function schemaFileName(detailType: string): string {
  return `${detailType.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.schema.json`;
}

/** JSON Schema (draft 2020-12) of one event's detail, titled with its detail-type. */
export function jsonSchemaOf(entry: (typeof DETAIL_SCHEMAS)[number]): Record<string, unknown> {
  return {
    $id: `https://hitl-gate.example.com/events/${schemaFileName(entry.detailType)}`,
    title: entry.detailType,
    description: `detail of "${entry.detailType}" events (source ${entry.source})`,
    ...z.toJSONSchema(entry.schema, { target: 'draft-2020-12', io: 'input' }),
  };
}
