import { isDomainError } from '../../functions/domain/errors.ts';
import { STATUS } from '../../functions/http/errors.ts';

/** The HTTP status the API answers a refusal with (http/errors.ts), or undefined for what is no refusal. */
export function statusOf(err: unknown): number | undefined {
  return isDomainError(err) ? STATUS[err.code] : undefined;
}
