// The action types hitl-gate performs itself once approved (registry.ts has how), apart from their executors:
// intake and the restart ask only whether a type is one, and need none of the executors' code or schemas.
export const PERFORMED_BY_HITL_GATE = ['customer_email'] as const;
export type PerformedType = (typeof PERFORMED_BY_HITL_GATE)[number];

export function performedByHitlGate(type: string): type is PerformedType {
  return (PERFORMED_BY_HITL_GATE as readonly string[]).includes(type);
}
