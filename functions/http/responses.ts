// HTTP concerns shared by the API handlers: negotiation, responses and security headers (errors: errors.ts).
import httpSecurityHeaders from '@middy/http-security-headers';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ReviewNotFound } from '../domain/errors.ts';
import { isReviewId } from '../domain/ids.ts';
import { STYLE_CSP_HASH } from './html.ts';

export type HttpResult = APIGatewayProxyStructuredResultV2;

/** The weight an Accept header gives a media type (`q`), by its most specific range; 0 when it names none that fit. */
function acceptWeight(accept: string, type: string): number {
  const [major] = type.split('/');
  let best = -1;
  let weight = 0;
  for (const range of accept.split(',')) {
    const [name = '', ...params] = range.split(';').map((p) => p.trim().toLowerCase());
    const specificity = name === type ? 2 : name === `${major}/*` ? 1 : name === '*/*' ? 0 : -1;
    if (specificity <= best) continue;
    const q = params.find((p) => p.startsWith('q='));
    best = specificity;
    weight = q ? Number(q.slice(2)) || 0 : 1;
  }
  return weight;
}

/** Whether the request asks for JSON by name, above HTML: a wildcard or no Accept at all is not asking for JSON. */
export function wantsJson(event: Pick<APIGatewayProxyEventV2, 'headers'>): boolean {
  const accept = event.headers?.accept ?? '';
  if (!/application\/json/i.test(accept)) return false;
  return (
    acceptWeight(accept, 'application/json') > 0 &&
    acceptWeight(accept, 'application/json') >= acceptWeight(accept, 'text/html')
  );
}

/**
 * On the API's routes for programs: a page only for a browser that asks for one (Accept text/html) or a form
 * post; JSON otherwise. The review page's link is for people instead: there, HTML unless wantsJson.
 */
export function wantsHtml(event: Pick<APIGatewayProxyEventV2, 'headers'>): boolean {
  if (wantsJson(event)) return false;
  const accept = event.headers?.accept ?? '';
  const contentType = event.headers?.['content-type'] ?? '';
  return /text\/html/i.test(accept) || contentType.startsWith('application/x-www-form-urlencoded');
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

/** The review id of a /reviews/{id} route, checked for shape before any lookup: anything else is a 404. */
export function reviewIdOf(event: Pick<APIGatewayProxyEventV2, 'pathParameters'>): string {
  const id = event.pathParameters?.id ?? '';
  if (!isReviewId(id)) throw new ReviewNotFound(id);
  return id;
}
