// Why a standing approval is revoked: required, as an admin's API call and the granter's inbox both ask it.
import * as z from 'zod';
import { MAX_REASON_LENGTH } from '../domain/review.ts';

export const RevokeReason = z
  .string({ error: 'reason is required: say why the standing approval is revoked' })
  .trim()
  .min(1, 'reason is required: say why the standing approval is revoked')
  .max(MAX_REASON_LENGTH, 'reason must be at most 2,000 characters');
