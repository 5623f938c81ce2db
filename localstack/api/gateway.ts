import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { matchRoute, type RouteDefinition } from '../../lambdas/api/routes';
import { errorMessage } from '../../services/shared/errors';
import { createLogger, type Logger } from '../../services/shared/logger';
import { GatewayError } from './errors';
import { buildLambdaContext, buildProxyEvent, type GatewayIdentity } from './event';
import { LOCAL_ACCOUNT_ID, type KeyRole } from './keys';
import { collectHeaders, declaresTooLargeBody, MAX_BODY_BYTES, payloadTooLarge, readBody, splitTarget } from './request';
import { gatewayErrorResponse, gatewayHeaders, toProxyResponse, writeResponse, type ProxyResponse } from './response';
import { SignatureError, SigV4Verifier, type VerifierKey } from './sigv4';

/** The api Lambda's handler type (lambdas/api), repeated here so the gateway does not import the handler's I/O. */
export type ProxyHandler = (event: APIGatewayProxyEvent, context?: Context) => Promise<APIGatewayProxyResult>;

export interface GatewayKey extends VerifierKey {
  principalArn: string;
  role: KeyRole;
}

export interface LocalGatewayOptions {
  handler: ProxyHandler;
  keys: readonly GatewayKey[];
  region: string;
  /** The stage in `requestContext.stage` and the execute-api ARN; default `local`. */
  stage?: string;
  accountId?: string;
  apiId?: string;
  /** Default 10 MB, API Gateway's payload limit. */
  maxBodyBytes?: number;
  /** Default 29 s, API Gateway's REST integration timeout. */
  integrationTimeoutMs?: number;
  logger?: Logger;
  /** Milliseconds since the epoch: the clock signatures are checked against; injected by tests. */
  now?: () => number;
}

export interface LocalGateway {
  readonly server: Server;
  /** `http://host:port` once listening. */
  readonly url: string;
  /** Resolves to the URL; port 0 picks a free port. */
  listen(port?: number, host?: string): Promise<string>;
  /** Stops accepting, lets requests in flight finish, closes idle keep-alive connections. */
  close(): Promise<void>;
}

interface Outcome {
  response: ProxyResponse;
  /** The verified caller, when there is one. */
  principal?: string;
  /** The handler answered (rather than the gateway itself). */
  proxied?: boolean;
  /** The request body was not (fully) read, so the connection cannot carry another request. */
  closeConnection?: boolean;
}

export const DEFAULT_STAGE = 'local';
export const DEFAULT_API_ID = 'localapi00';
export const INTEGRATION_TIMEOUT_MS = 29_000;
const FUNCTION_NAME = 'market-data-api-local';

/** The execute-api ARN IAM evaluates for a request, as API Gateway names it in AccessDenied messages. */
export function executeApiArn(region: string, gateway: GatewayIdentity, method: string, path: string): string {
  return `arn:aws:execute-api:${region}:${gateway.accountId}:${gateway.apiId}/${gateway.stage}/${method}${path}`;
}

/** What the reader and admin IAM policies allow: readers the `read` routes, admins every route. */
export function isAllowed(role: KeyRole, route: RouteDefinition): boolean {
  return role === 'admin' || route.access === 'read';
}

function sourceIpOf(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '127.0.0.1';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new GatewayError('INTEGRATION_TIMEOUT', 'Endpoint request timed out')), timeoutMs);
  });
  // A handler that settles after the timeout must not become an unhandled rejection.
  promise.catch(() => undefined);
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A local stand-in for the REST API in front of the api Lambda: route matching,
 * SigV4 verification, the reader/admin IAM policies, payload limit, the proxy
 * event, and API Gateway's own error responses.
 */
export function createLocalGateway(options: LocalGatewayOptions): LocalGateway {
  const logger = options.logger ?? createLogger({ serviceName: 'api-gateway-local' });
  const now = options.now ?? Date.now;
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const integrationTimeoutMs = options.integrationTimeoutMs ?? INTEGRATION_TIMEOUT_MS;
  const gateway: GatewayIdentity = {
    accountId: options.accountId ?? LOCAL_ACCOUNT_ID,
    apiId: options.apiId ?? DEFAULT_API_ID,
    stage: options.stage ?? DEFAULT_STAGE,
  };
  const verifier = new SigV4Verifier({ keys: options.keys, region: options.region, now });

  async function respond(req: IncomingMessage, requestId: string, extendedRequestId: string): Promise<Outcome> {
    const receivedAt = now();
    if (declaresTooLargeBody(req, maxBodyBytes)) return { response: gatewayErrorResponse(payloadTooLarge()), closeConnection: true };
    let body: Buffer;
    try {
      body = await readBody(req, maxBodyBytes);
    } catch (error) {
      if (error instanceof GatewayError) return { response: gatewayErrorResponse(error), closeConnection: true };
      throw error;
    }
    const target = req.url ?? '/';
    const { path, query } = splitTarget(target);
    const method = (req.method ?? 'GET').toUpperCase();
    // A REST API answers every path or method it has no resource for as if it were unsigned.
    const match = path.startsWith('/') ? matchRoute(method, path) : undefined;
    if (match === undefined || match === 'method-not-allowed') {
      return { response: gatewayErrorResponse(new GatewayError('MISSING_AUTHENTICATION_TOKEN', 'Missing Authentication Token')) };
    }
    const headers = collectHeaders(req.rawHeaders);
    let key: GatewayKey;
    try {
      key = await verifier.verify({ method, path, query, headers, body });
    } catch (error) {
      if (!(error instanceof SignatureError)) throw error;
      // The canonical request and string to sign are what a client author needs to find the difference in theirs.
      logger.warn('signature refused', { method, path, reason: error.reason, detail: error.message, ...error.diagnostics });
      return { response: gatewayErrorResponse(error) };
    }
    if (!isAllowed(key.role, match.route)) {
      const message = `User: ${key.principalArn} is not authorized to perform: execute-api:Invoke on resource: ${executeApiArn(options.region, gateway, method, path)}`;
      return { response: gatewayErrorResponse(new GatewayError('ACCESS_DENIED', message)), principal: key.principalArn };
    }
    const event = buildProxyEvent({
      gateway,
      route: match.route,
      pathParameters: match.pathParameters,
      method,
      path,
      query,
      headers,
      body,
      caller: { accessKeyId: key.accessKeyId, principalArn: key.principalArn },
      sourceIp: sourceIpOf(req),
      requestId,
      extendedRequestId,
      receivedAt,
    });
    const context = buildLambdaContext(randomUUID(), FUNCTION_NAME, options.region, gateway.accountId, Date.now() + integrationTimeoutMs, Date.now);
    try {
      const result = await withTimeout(Promise.resolve().then(() => options.handler(event, context)), integrationTimeoutMs);
      return { response: toProxyResponse(result), principal: key.principalArn, proxied: true };
    } catch (error) {
      const gatewayError = error instanceof GatewayError ? error : new GatewayError('INTERNAL_ERROR', 'Internal server error', { cause: error });
      const cause = gatewayError.cause ?? error;
      logger.error('integration failed', { method, path, requestId, code: gatewayError.code, error: errorMessage(cause), stack: cause instanceof Error ? cause.stack : undefined });
      return { response: gatewayErrorResponse(gatewayError), principal: key.principalArn };
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    // One id in the event, the response header and the logs, as API Gateway does.
    const requestId = randomUUID();
    const extendedRequestId = randomBytes(12).toString('base64');
    const extraHeaders = gatewayHeaders(requestId, extendedRequestId);
    let outcome: Outcome;
    try {
      outcome = await respond(req, requestId, extendedRequestId);
    } catch (error) {
      // A client that hung up mid-body is nobody's failure and has no one to answer.
      if (req.destroyed || res.destroyed) {
        logger.debug('client went away', { method: req.method, path: req.url, requestId, error: errorMessage(error) });
        return;
      }
      logger.error('local gateway failed', { method: req.method, url: req.url, error: errorMessage(error) });
      outcome = { response: gatewayErrorResponse(new GatewayError('INTERNAL_ERROR', 'Internal server error', { cause: error })) };
    }
    // Past the body cap the rest of an upload is not read: the connection ends with the response.
    if (outcome.closeConnection) extraHeaders.Connection = 'close';
    try {
      writeResponse(res, outcome.response, extraHeaders);
    } catch (error) {
      // A header value Node refuses (the handler's) is the integration's fault: a 502, as API Gateway would answer.
      logger.error('response not writable', { method: req.method, url: req.url, error: errorMessage(error) });
      writeResponse(res, gatewayErrorResponse(new GatewayError('INTERNAL_ERROR', 'Internal server error')), extraHeaders);
    }
    // The handler logs the requests it answers; the gateway those it answered itself, like an access log would show them.
    const entry = { method: req.method, path: req.url, status: res.statusCode, principal: outcome.principal, requestId, ms: Date.now() - started };
    if (outcome.proxied) logger.debug('gateway request', entry);
    else logger.info('gateway request', entry);
  }

  const server = createServer((req, res) => void handle(req, res));
  // Clients that wait for 100-continue are told 413 before sending an oversized body.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (!declaresTooLargeBody(req, maxBodyBytes)) res.writeContinue();
    void handle(req, res);
  });

  let url: string | undefined;
  return {
    server,
    get url() {
      if (!url) throw new Error('the local gateway is not listening');
      return url;
    },
    listen(port = 0, host = '127.0.0.1') {
      return new Promise<string>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
          url = `http://${shownHost}:${address.port}`;
          resolve(url);
        });
      });
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        if (!server.listening) return resolve();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      });
    },
  };
}
