// The one place where a refusal becomes an HTTP answer: domain errors by their code, request errors by
// middy's convention (`statusCode` with `expose`), anything else a logged 500 that says nothing internal.
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { logger } from '../adapters/logger.ts';
import { type DomainError, type DomainErrorCode, isDomainError } from '../domain/errors.ts';
import { type HttpResult, html, json, seeOther, wantsHtml, wantsJson } from './responses.ts';
import { messagePage } from './review-page.ts';
import { reviewView } from './review-view.ts';

/** A client's mistake with its status and what is wrong (middy's convention, like its own parsers' errors). */
export class ClientError extends Error {
  readonly expose = true;
  readonly statusCode: number;
  constructor(statusCode: number, message: string, name: string) {
    super(message);
    this.statusCode = statusCode;
    this.name = name;
  }
}

/** A request's shape is wrong: 400 with what is wrong. */
export class BadRequest extends ClientError {
  constructor(message: string) {
    super(400, message, 'BadRequest');
  }
}

/** Each refusal's status. A new DomainErrorCode without one does not compile. */
export const STATUS: Record<DomainErrorCode, number> = {
  ReasonRequired: 400,
  TokenInvalid: 401,
  TokenExpired: 401,
  TokenWrongReview: 403,
  TokenWrongStep: 403,
  NotCurrentApprover: 403,
  SelfApproval: 403,
  ReviewNotFound: 404,
  TokenUsed: 409,
  AlreadyDecided: 409,
  DuplicateApproval: 409,
  ActionChanged: 409,
  ReviewBusy: 409,
  FieldNotEditable: 422,
  InvalidEdit: 422,
  BeyondAuthority: 422,
  NotApproved: 409,
  OutcomeMismatch: 409,
  AlreadyExecuted: 409,
  StandingRefused: 422,
  GrantNotFound: 404,
  GrantNotYours: 403,
  // The approved action no longer matches its hash: nothing is granted, and it is not the client's mistake.
  ActionHashMismatch: 500,
};

const TITLES: Record<number, string> = {
  400: 'Something is missing',
  401: 'This link does not work',
  403: 'Not yours to decide',
  404: 'Review not found',
  409: 'Already done',
  413: 'Too large',
  415: 'Not a form or JSON',
  422: 'That change is not allowed',
};

interface Answer {
  status: number;
  code: string;
  message: string;
  error: Error;
  domain?: DomainError;
}

function answerFor(err: Error & { statusCode?: number; expose?: boolean }): Answer | undefined {
  if (isDomainError(err))
    return { status: STATUS[err.code], code: err.code, message: err.message, error: err, domain: err };
  if (err.expose && err.statusCode && err.statusCode >= 400 && err.statusCode < 500)
    return { status: err.statusCode, code: 'BadRequest', message: err.message, error: err };
  return undefined;
}

export interface HttpErrorOptions<E> {
  /** For a person's browser: where a refusal sends them instead of an error page (e.g. the review's page). */
  redirect?: (err: DomainError, event: E) => string | undefined;
  /** A route people open from a link (the review page): its refusals are pages unless JSON is asked for. */
  forPeople?: boolean;
}

/**
 * Refusals become 4xx with their message (JSON for programs, a page for people), with the review as it is
 * when the refusal carries it; anything else is a logged 500 that says nothing internal.
 */
export function httpErrors<E extends Pick<APIGatewayProxyEventV2, 'headers'> = APIGatewayProxyEventV2>(
  options: HttpErrorOptions<E> = {},
): MiddlewareObj<E, HttpResult> {
  return {
    onError: async (request) => {
      const known = answerFor(request.error as Error);
      const status = known && known.status < 500 ? known.status : 500;
      if (!known || status >= 500) logger.error('request failed', { error: request.error as Error });
      else logger.info('request refused', { code: known.code, status });
      const code = status < 500 && known ? known.code : 'InternalError';
      const message =
        status < 500 && known
          ? known.message
          : 'Something went wrong on our side; nothing was changed. Please try again.';
      const person = options.forPeople ? !wantsJson(request.event) : wantsHtml(request.event);
      const location = person && known?.domain && options.redirect?.(known.domain, request.event);
      if (location) request.response = seeOther(location);
      else if (person)
        request.response = html(
          status,
          messagePage(TITLES[status] ?? 'Error', message, status >= 500 ? 'bad' : 'warn'),
        );
      else {
        const current = status < 500 ? known?.domain?.current : undefined;
        request.response = json(status, { error: code, message, ...(current ? { review: reviewView(current) } : {}) });
      }
    },
  };
}
