// Local API Gateway (HTTP API, payload format 2.0): routes of serverless.yml's httpApi events
// turned into the same events API Gateway sends, for the same handlers.
import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { FunctionWiring } from './wiring.ts';

/** A path whose percent-encoding does not decode (`/reviews/%ZZ/decision`): API Gateway answers 400, whatever the route. */
export class MalformedPath extends Error {
  constructor(segment: string) {
    super(`Bad Request: the path segment "${segment}" is not valid percent-encoding`);
    this.name = 'MalformedPath';
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new MalformedPath(segment);
  }
}

export interface Route {
  method: string;
  path: string;
  authorizer?: 'aws_iam';
  functionArn: string;
  match(method: string, path: string): Record<string, string> | undefined;
}

export function routesFrom(functions: FunctionWiring[]): Route[] {
  return functions.flatMap((f) =>
    f.http.map((h) => {
      const names: string[] = [];
      const source = h.path
        .split('/')
        .map((seg) => {
          const m = /^\{(\w+)(\+)?\}$/.exec(seg);
          if (!m) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          names.push(m[1]!);
          return m[2] ? '(.+)' : '([^/]+)';
        })
        .join('/');
      const re = new RegExp(`^${source}$`);
      return {
        method: h.method,
        path: h.path,
        ...(h.authorizer ? { authorizer: h.authorizer } : {}),
        functionArn: f.arn,
        /** The route's path parameters, decoded; throws MalformedPath when one does not decode. */
        match(method: string, path: string) {
          if (h.method !== '*' && h.method !== method) return undefined;
          const m = re.exec(path);
          if (!m) return undefined;
          return Object.fromEntries(names.map((n, i) => [n, decodeSegment(m[i + 1]!)]));
        },
      };
    }),
  );
}

export function apiGatewayEvent(
  req: IncomingMessage,
  url: URL,
  route: Route,
  params: Record<string, string>,
  body: Buffer,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined && k !== 'cookie') headers[k] = Array.isArray(v) ? v.join(',') : v;
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
  const textual = /^(application\/(json|x-www-form-urlencoded)|text\/)/.test(headers['content-type'] ?? '');
  const now = new Date();
  return {
    version: '2.0',
    routeKey: `${route.method === '*' ? 'ANY' : route.method} ${route.path}`,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(req.headers.cookie ? { cookies: req.headers.cookie.split(/;\s*/) } : {}),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(Object.keys(params).length ? { pathParameters: params } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: url.host,
      domainPrefix: 'local',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: `${route.method === '*' ? 'ANY' : route.method} ${route.path}`,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length ? { body: textual ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0 && !textual,
  };
}

/** A handler's result as API Gateway turns it into an HTTP response (a bare object becomes JSON). */
export function httpResponse(result: unknown): { status: number; headers: Record<string, string>; body: Buffer } {
  const structured =
    result && typeof result === 'object' && 'statusCode' in result
      ? (result as APIGatewayProxyStructuredResultV2)
      : undefined;
  if (!structured)
    return {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify(result ?? null)),
    };
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(structured.headers ?? {})) headers[k.toLowerCase()] = String(v);
  const raw = structured.body ?? '';
  return {
    status: structured.statusCode ?? 200,
    headers,
    body: structured.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw),
  };
}
