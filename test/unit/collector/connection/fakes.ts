import { EventEmitter } from 'node:events';
import type { Trade } from '../../../../services/collector/domain';
import type { ExchangeStreamProtocol, FrameResult, ParseContext } from '../../../../services/collector/exchange';
import type { ExchangeClock, SocketFactory, SocketLike } from '../../../../services/collector/connection';

/**
 * A small Binance-shaped protocol (combined streams, JSON SUBSCRIBE with ids) so the
 * connection layer can be tested before, and independently of, the real adapter.
 */
export function testProtocol(overrides: Partial<ExchangeStreamProtocol> = {}): ExchangeStreamProtocol {
  return {
    exchange: 'test',
    maxStreamsPerConnection: 1024,
    maxStreamsPerRequest: 100,
    maxOutgoingMessagesPerSecond: 5,
    maxConnectionAttempts: 300,
    connectionAttemptWindowMs: 300_000,
    maxSubscribeRequestsPerWindow: 5,
    subscribeRequestWindowMs: 1000,
    maxConnectionAgeMs: 24 * 60 * 60 * 1000,
    keepalive: { kind: 'server-ping' },
    tradeIds: 'consecutive',
    streamsForSymbol: (symbol) => [`${symbol.toLowerCase()}@aggTrade`],
    symbolOfStream: (stream) => (stream.includes('@') ? stream.slice(0, stream.indexOf('@')).toUpperCase() : undefined),
    connectionUrl: (base) => `${base}/stream`,
    encodeSubscribe: (streams, id) => JSON.stringify({ method: 'SUBSCRIBE', params: streams, id }),
    encodeUnsubscribe: (streams, id) => JSON.stringify({ method: 'UNSUBSCRIBE', params: streams, id }),
    parseFrame,
    ...overrides,
  };
}

function parseFrame(text: string, context: ParseContext): FrameResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'rejected', reason: 'invalid_json', detail: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { kind: 'rejected', reason: 'invalid_type', detail: 'not an object' };
  const message = value as Record<string, unknown>;
  if ('result' in message || 'error' in message) {
    const id = typeof message.id === 'number' || typeof message.id === 'string' ? message.id : null;
    const error = message.error as { code: number; msg: string } | undefined;
    return error ? { kind: 'reply', id, error } : { kind: 'reply', id, result: message.result };
  }
  const stream = message.stream;
  const data = message.data as Record<string, unknown> | undefined;
  if (typeof stream !== 'string' || typeof data !== 'object' || data === null) return { kind: 'rejected', reason: 'missing_field', detail: 'stream/data' };
  if (data.e === 'serverShutdown') return { kind: 'shutdown', eventTime: Number(data.E) };
  if (data.e !== 'aggTrade') return { kind: 'ignored', stream };
  if (!context.isKnownStream(stream)) return { kind: 'rejected', reason: 'unknown_stream', detail: stream };
  if (typeof data.p !== 'string' || typeof data.a !== 'number' || typeof data.T !== 'number' || typeof data.E !== 'number' || typeof data.s !== 'string') {
    return { kind: 'rejected', reason: 'invalid_type', detail: 'aggTrade fields' };
  }
  const price = Number(data.p);
  if (!Number.isFinite(price) || price <= 0) return { kind: 'rejected', reason: 'invalid_price', detail: data.p };
  if (Math.abs(data.T - context.exchangeNow) > context.maxClockDistanceMs) return { kind: 'rejected', reason: 'time_out_of_range', detail: String(data.T) };
  const trade: Trade = {
    exchange: 'test',
    symbol: data.s,
    priceText: data.p,
    price,
    quantityText: String(data.q),
    tradeId: data.a,
    tradeTime: data.T,
    eventTime: data.E,
    receivedAt: context.receivedAt,
    receivedAtMono: context.receivedAtMono,
    source: 'live',
  };
  return { kind: 'trade', trade };
}

export const testClock = (): ExchangeClock & { observed: number[] } => {
  const observed: number[] = [];
  return { observed, now: () => Date.now(), observe: (t) => void observed.push(t), synchronized: true };
};

export interface SentRequest {
  method: string;
  params: string[];
  id: number;
}

/** A socket driven by the test: it records what the connection sends and lets the test play the server. */
export class FakeSocket extends EventEmitter implements SocketLike {
  readyState = 0;
  readonly sent: Array<{ at: number; kind: 'text' | 'ping' | 'pong'; text?: string }> = [];
  terminated = false;
  /** Play a live server that answers our pings; false plays a stalled one. */
  answerPings = true;
  /** Play a server that acknowledges every request by itself shortly after it arrives. */
  autoReply = false;
  closedWith: number | undefined;

  constructor(readonly url: string) {
    super();
  }

  requests(): SentRequest[] {
    return this.sent.filter((m) => m.kind === 'text').map((m) => JSON.parse(m.text as string) as SentRequest);
  }

  open(): void {
    this.readyState = 1;
    this.emit('open');
  }

  /** Acknowledges every request not answered yet. */
  ackAll(answered: Set<number> = this.answered): void {
    for (const request of this.requests()) {
      if (answered.has(request.id)) continue;
      answered.add(request.id);
      this.serverSend({ result: null, id: request.id });
    }
  }

  readonly answered = new Set<number>();

  serverSend(message: unknown): void {
    this.emit('message', Buffer.from(typeof message === 'string' ? message : JSON.stringify(message)), false);
  }

  serverClose(code = 1006): void {
    this.readyState = 3;
    this.emit('close', code, Buffer.alloc(0));
  }

  send(data: string): void {
    this.sent.push({ at: Date.now(), kind: 'text', text: data });
    if (this.autoReply) setTimeout(() => this.readyState === 1 && this.ackAll(), 20);
  }

  ping(): void {
    this.sent.push({ at: Date.now(), kind: 'ping' });
    if (this.answerPings) setTimeout(() => this.readyState === 1 && this.emit('pong', Buffer.alloc(0)), 20);
  }

  pong(): void {
    this.sent.push({ at: Date.now(), kind: 'pong' });
  }

  close(code?: number): void {
    this.closedWith = code ?? 1000;
    if (this.readyState === 3) return;
    this.readyState = 2;
    setTimeout(() => this.serverClose(code ?? 1000), 1);
  }

  terminate(): void {
    this.terminated = true;
    if (this.readyState === 3) return;
    this.serverClose(1006);
  }
}

export function fakeSocketFactory(): { factory: SocketFactory; sockets: FakeSocket[] } {
  const sockets: FakeSocket[] = [];
  return {
    sockets,
    factory: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket;
    },
  };
}

export function aggTrade(stream: string, id: number, now = Date.now()): unknown {
  const symbol = stream.slice(0, stream.indexOf('@')).toUpperCase();
  return { stream, data: { e: 'aggTrade', E: now, s: symbol, a: id, p: '1.50', q: '2', f: id, l: id, T: now, m: false, M: true } };
}

export function streamsOf(count: number, offset = 0): string[] {
  return Array.from({ length: count }, (_, i) => `sym${i + offset}usdt@aggTrade`);
}
