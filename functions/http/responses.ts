// HTTP concerns shared by the API handlers: negotiation, responses, security headers, and the one
// place where domain errors become HTTP statuses.
import httpSecurityHeaders from '@middy/http-security-headers';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { isDomainError } from '../domain/errors.ts';
import { logger } from '../adapters/logger.ts';
import { STYLE_CSP_HASH } from './html.ts';
import { messagePage } from './review-page.ts';

export type HttpResult = APIGatewayProxyStructuredResultV2;

/** A request's shape is wrong: 400 with what is wrong. */
export class BadRequest extends Error {
  readonly status = 400;
  readonly code = 'BadRequest';
  constructor(message: string) {
    super(message);
    this.name = 'BadRequest';
  }
}

/** People (browsers, form posts) get pages; programs get JSON. */
export function wantsHtml(event: Pick<APIGatewayProxyEventV2, 'headers'>): boolean {
  const accept = event.headers?.accept ?? '';
  const contentType = event.headers?.['content-type'] ?? '';
  if (accept.includes('application/json')) return false;
  return accept.includes('text/html') || contentType.startsWith('application/x-www-form-urlencoded');
}

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

export function html(status: number, body: string, headers: Record<string, string> = {}): HttpResult {
  return { statusCode: status, headers: { 'content-type': 'text/html; charset=utf-8', ...NO_STORE, ...headers }, body };
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json', ...NO_STORE, ...headers },
    body: JSON.stringify(body),
  };
}

export function seeOther(location: string): HttpResult {
  return { statusCode: 303, headers: { location, ...NO_STORE }, body: '' };
}

const TITLES: Record<number, string> = {
  400: 'Something is missing',
  401: 'This link does not work',
  403: 'Not yours to decide',
  404: 'Review not found',
  409: 'Already done',
  422: 'That change is not allowed',
};

/** Domain and input errors become 4xx with their message; anything else is a logged 500 that says nothing internal. */
export function httpErrors<E extends Pick<APIGatewayProxyEventV2, 'headers'> = APIGatewayProxyEventV2>(): MiddlewareObj<
  E,
  HttpResult
> {
  return {
    onError: async (request) => {
      const err = request.error as Error & { statusCode?: number; expose?: boolean };
      // Middy's own 4xx (unsupported media type, malformed JSON) count as the client's mistakes too.
      const middy4xx =
        err.expose && err.statusCode && err.statusCode < 500
          ? { status: err.statusCode, code: 'BadRequest', message: err.message }
          : undefined;
      const known = isDomainError(err) || err instanceof BadRequest ? err : middy4xx;
      const status = known ? known.status : 500;
      const code = known ? known.code : 'InternalError';
      const message = known ? err.message : 'Something went wrong on our side; nothing was changed. Please try again.';
      if (!known) logger.error('request failed', { error: err });
      else logger.info('request refused', { code, status });
      request.response = wantsHtml(request.event)
        ? html(status, messagePage(TITLES[status] ?? 'Error', message, status >= 500 ? 'bad' : 'warn'))
        : json(status, { error: code, message });
    },
  };
}

/** Security headers for pages: a strict CSP that still allows the page's own form posts and its one stylesheet. */
export function securityHeaders() {
  return httpSecurityHeaders({
    contentSecurityPolicy: {
      'default-src': "'none'",
      'style-src': STYLE_CSP_HASH,
      'form-action': "'self'",
      'base-uri': "'none'",
      'frame-ancestors': "'none'",
      sandbox: false as unknown as string,
      'upgrade-insecure-requests': false as unknown as string,
      'report-to': false as unknown as string,
    },
  });
}
