import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { errorMessage, type Logger } from '../shared';
import { ProtocolError } from './errors';
import type { StreamHub } from './hub';
import type { GatewayMetrics } from './metrics';
import { parseSseQuery } from './protocol';
import type { Transport } from './session';
import { PAGE_HEADERS, type DashboardPage, type PageFile } from './static-page';
import { tokenOfRequest, verifyStreamToken } from './tokens';

export interface GatewayServerOptions {
  hub: StreamHub;
  metrics: GatewayMetrics;
  logger: Logger;
  auth: 'none' | 'token';
  /** The verification keys now, current first (they change when the signing key rotates). */
  tokenSecrets: () => readonly string[];
  /** A token signed by no known key: the keys may have rotated since they were read. */
  onUnknownKey?: () => void;
  maxMessageBytes: number;
  trustProxy: boolean;
  /** The exchanges served (GATEWAY_EXCHANGES), answered at EXCHANGES_PATH so a page need not guess them. */
  exchanges: readonly string[];
  /** The dashboard page at `/`; none: only the streaming and health routes. */
  page?: DashboardPage;
  /** `/ready`: Redis subscribed. */
  ready(): { ready: boolean; reasons: string[] };
}

export const STREAM_PATH = '/v1/stream';
export const SSE_PATH = '/v1/stream/sse';
/** `{"exchanges":[...]}`: names only, the same for every client, so it needs no token (like the page itself). */
export const EXCHANGES_PATH = '/v1/exchanges';
/** WebSocket pings find peers that vanished without a close; an unanswered ping ends the connection at the next one. */
const WS_PING_MS = 30_000;
/** An SSE comment this often keeps proxies from closing an idle stream. */
const SSE_KEEPALIVE_MS = 15_000;

/**
 * The gateway's HTTP surface: `/health`, `/ready`, `/metrics`, the WebSocket
 * upgrade at `/v1/stream`, the SSE stream at `/v1/stream/sse` and the served
 * exchanges at `/v1/exchanges`. Auth and the
 * connection caps are checked before any byte of data: a refused WebSocket gets
 * a plain HTTP answer on the upgrade, an SSE request a JSON error.
 */
export class GatewayServer {
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();
  private readonly sseResponses = new Set<ServerResponse>();
  private pingTimer: NodeJS.Timeout | undefined;
  private readonly alive = new WeakSet<WebSocket>();

  constructor(private readonly options: GatewayServerOptions) {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 5000;
    // ws enforces maxPayload while reading a frame: a larger message closes the connection with 1009 before it is buffered.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes, perMessageDeflate: false, clientTracking: false });
    this.server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
  }

  async listen(port: number, host: string): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    this.pingTimer = setInterval(() => this.pingAll(), WS_PING_MS);
    this.pingTimer.unref();
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : port;
  }

  /** Stops accepting, closes clients with 1001 (going away), then waits up to `deadlineMs` for them to go. */
  async close(deadlineMs = 3000): Promise<void> {
    clearInterval(this.pingTimer);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.options.hub.closeAll(1001, 'server shutting down');
    const deadline = Date.now() + deadlineMs;
    while (this.sockets.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    for (const socket of this.sockets) socket.terminate();
    for (const res of this.sseResponses) res.destroy();
    this.server.closeAllConnections();
    await closed;
  }

  private clientAddress(req: IncomingMessage): string {
    if (this.options.trustProxy) {
      // The load balancer appends the address it saw: the last entry is the one no client can forge.
      const forwarded = req.headers['x-forwarded-for'];
      const last = (Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? '')).split(',').pop()?.trim();
      if (last) return last;
    }
    return req.socket.remoteAddress ?? 'unknown';
  }

  /** The 401 reason, or undefined when the request may stream. */
  private authRefusal(req: IncomingMessage, url: URL, transport: 'ws' | 'sse'): string | undefined {
    if (this.options.auth === 'none') return undefined;
    const check = verifyStreamToken(tokenOfRequest(url, req.headers.authorization), this.options.tokenSecrets());
    if (check.ok) return undefined;
    if (check.reason === 'forged') this.options.onUnknownKey?.();
    this.options.metrics.authRefusals.inc({ reason: check.reason, transport });
    this.options.logger.info('refusing a stream request without a valid token', { reason: check.reason, transport, address: this.clientAddress(req) });
    return check.reason;
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (url.pathname !== STREAM_PATH) {
      this.options.metrics.connectionsRefused.inc({ reason: 'not_found' });
      return refuseUpgrade(socket, 404, { error: `no WebSocket at ${url.pathname}; connect to ${STREAM_PATH}` });
    }
    const refusal = this.authRefusal(req, url, 'ws');
    if (refusal) return refuseUpgrade(socket, 401, { error: `a valid stream token is required (${refusal}); pass ?token= or Authorization: Bearer` }, { 'www-authenticate': 'Bearer' });
    const address = this.clientAddress(req);
    const capped = this.options.hub.admit(address);
    if (capped) {
      this.options.metrics.connectionsRefused.inc({ reason: capped });
      return refuseUpgrade(socket, capped === 'ip_limit' ? 429 : 503, { error: capped === 'ip_limit' ? 'too many connections from this address' : 'the gateway is at its connection limit; try another task or later' });
    }
    try {
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onWebSocket(ws, address));
    } catch (error) {
      this.options.hub.unadmit(address);
      this.options.logger.warn('WebSocket upgrade failed', { error: errorMessage(error) });
      socket.destroy();
    }
  }

  private onWebSocket(ws: WebSocket, address: string): void {
    const { hub, metrics } = this.options;
    this.sockets.add(ws);
    this.alive.add(ws);
    const transport: Transport = {
      kind: 'ws',
      write: (_type, text) => ws.send(text),
      bufferedAmount: () => ws.bufferedAmount,
      close: (code, reason) => ws.close(code, reason),
    };
    const session = hub.open(transport, address);
    ws.on('pong', () => this.alive.add(ws));
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) return hub.refuse(session, new ProtocolError('binary_not_supported', 'binary frames are not part of the protocol; send JSON text frames'));
      hub.handleMessage(session, rawText(data));
    });
    ws.on('error', (error: Error & { code?: string }) => {
      // ws closes the connection itself (1009 for WS_ERR_UNSUPPORTED_MESSAGE_LENGTH, 1002 for protocol errors).
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') metrics.badClientMessages.inc({ reason: 'message_too_large' });
      this.options.logger.debug('WebSocket error', { session: session.id, error: errorMessage(error), code: error.code });
    });
    ws.on('close', () => {
      this.sockets.delete(ws);
      hub.close(session);
    });
  }

  private pingAll(): void {
    for (const ws of this.sockets) {
      if (!this.alive.has(ws)) {
        ws.terminate();
        continue;
      }
      this.alive.delete(ws);
      ws.ping();
    }
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://gateway');
    void this.route(req, res, url).catch((error: unknown) => {
      this.options.logger.error('HTTP handler failed', { path: url.pathname, error: errorMessage(error) });
      if (!res.headersSent) sendJson(res, 500, { error: errorMessage(error) });
      else res.end();
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'method not allowed' });
    switch (url.pathname) {
      case '/health':
        return sendJson(res, 200, { status: 'ok' });
      case '/ready': {
        const readiness = this.options.ready();
        return sendJson(res, readiness.ready ? 200 : 503, readiness);
      }
      case '/metrics': {
        const body = await this.options.metrics.registry.metrics();
        res.writeHead(200, { 'content-type': this.options.metrics.registry.contentType });
        res.end(body);
        return;
      }
      case EXCHANGES_PATH:
        return sendJson(res, 200, { exchanges: this.options.exchanges }, { 'cache-control': 'no-cache' });
      case SSE_PATH:
        return this.sse(req, res, url);
      case STREAM_PATH:
        return sendJson(res, 426, { error: `${STREAM_PATH} is a WebSocket endpoint; for HTTP streaming use ${SSE_PATH}` }, { upgrade: 'websocket' });
      default: {
        const file = this.options.page?.get(url.pathname);
        if (file) return sendPageFile(req, res, file);
        return sendJson(res, 404, { error: `no route ${url.pathname}; try / (the dashboard), ${STREAM_PATH}, ${SSE_PATH}, ${EXCHANGES_PATH}, /health, /ready or /metrics` });
      }
    }
  }

  private sse(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const { hub, metrics } = this.options;
    const refusal = this.authRefusal(req, url, 'sse');
    if (refusal) return sendJson(res, 401, { error: `a valid stream token is required (${refusal}); pass ?token= or Authorization: Bearer` }, { 'www-authenticate': 'Bearer' });
    let topics;
    try {
      topics = parseSseQuery(url.searchParams, hub.protocolLimits);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      metrics.badClientMessages.inc({ reason: error.errorCode });
      metrics.connectionsRefused.inc({ reason: 'bad_request' });
      return sendJson(res, 400, { error: error.message, code: error.errorCode });
    }
    const address = this.clientAddress(req);
    const capped = hub.admit(address);
    if (capped) {
      metrics.connectionsRefused.inc({ reason: capped });
      return sendJson(res, capped === 'ip_limit' ? 429 : 503, { error: capped === 'ip_limit' ? 'too many connections from this address' : 'the gateway is at its connection limit' });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    this.sseResponses.add(res);
    const transport: Transport = {
      kind: 'sse',
      write: (type, text) => void res.write(`event: ${type}\ndata: ${text}\n\n`),
      bufferedAmount: () => res.writableLength,
      // A slow client is cut (its buffered bytes go with it); a shutdown ends the stream cleanly.
      close: (code) => (code === 1013 ? res.destroy() : res.end()),
    };
    const session = hub.open(transport, address);
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), SSE_KEEPALIVE_MS);
    keepalive.unref();
    const done = () => {
      clearInterval(keepalive);
      this.sseResponses.delete(res);
      hub.close(session);
    };
    // 'close' comes for every ending: client gone, socket error, our end() or destroy().
    res.on('close', done);
    for (const topic of topics) {
      try {
        hub.subscribe(session, topic, null, false);
      } catch (error) {
        if (error instanceof ProtocolError) hub.refuse(session, error);
        else throw error;
      }
    }
  }
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function sendPageFile(req: IncomingMessage, res: ServerResponse, file: PageFile): void {
  if (req.headers['if-none-match'] === file.etag) {
    res.writeHead(304, { ...PAGE_HEADERS, etag: file.etag });
    res.end();
    return;
  }
  res.writeHead(200, { ...PAGE_HEADERS, 'content-type': file.contentType, 'content-length': file.body.length, etag: file.etag });
  res.end(req.method === 'HEAD' ? undefined : file.body);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Answers a refused upgrade with a plain HTTP response, before any WebSocket frame. */
function refuseUpgrade(socket: Duplex, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  const reason = { 401: 'Unauthorized', 404: 'Not Found', 429: 'Too Many Requests', 503: 'Service Unavailable' }[status] ?? 'Error';
  const lines = [`HTTP/1.1 ${status} ${reason}`, 'content-type: application/json', `content-length: ${Buffer.byteLength(text)}`, 'connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${text}`);
}
