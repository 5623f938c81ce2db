import { BINANCE_WS_LIMITS } from '../../../shared/binance';
import type { ExchangeStreamProtocol, FrameResult, KeepalivePolicy, ParseContext, TradeIdSemantics } from '../types';
import { ProtocolUsageError } from './errors';
import { DEFAULT_MAX_FRAME_BYTES, parseBinanceFrame } from './parse-frame';

export const DEFAULT_BINANCE_WS_URL = 'wss://stream.binance.com:9443';

export interface BinanceStreamProtocolOptions {
  /** Frames longer than this are rejected as `oversized` before parsing. Default 64 KiB. */
  maxFrameBytes?: number;
  /** Ask for `timeUnit=MICROSECOND` timestamps (the parser accepts either unit regardless). */
  microsecondTimestamps?: boolean;
  /**
   * Streams per SUBSCRIBE message. Binance documents no per-request cap; 200 keeps a
   * request far below any frame limit while five of them fill a 1024-stream connection.
   */
  maxStreamsPerRequest?: number;
}

/**
 * Binance spot market streams: aggregate trades on combined-stream connections
 * (`/stream`), subscribed after connecting so streams can be added and removed
 * without reconnecting. Limits are Binance's documented ones.
 */
export class BinanceStreamProtocol implements ExchangeStreamProtocol {
  readonly exchange = 'binance';
  readonly maxStreamsPerConnection = BINANCE_WS_LIMITS.maxStreamsPerConnection;
  readonly maxStreamsPerRequest: number;
  readonly maxOutgoingMessagesPerSecond = BINANCE_WS_LIMITS.maxIncomingMessagesPerSecond;
  readonly maxConnectionAttempts = 300;
  readonly connectionAttemptWindowMs = 5 * 60_000;
  readonly maxSubscribeRequestsPerWindow = BINANCE_WS_LIMITS.maxIncomingMessagesPerSecond;
  readonly subscribeRequestWindowMs = 1000;
  readonly maxConnectionAgeMs = BINANCE_WS_LIMITS.maxConnectionAgeMs;
  readonly keepalive: KeepalivePolicy = { kind: 'server-ping' };
  readonly tradeIds: TradeIdSemantics = 'consecutive';
  private readonly maxFrameBytes: number;
  private readonly microsecond: boolean;

  constructor(options: BinanceStreamProtocolOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.microsecond = options.microsecondTimestamps ?? false;
    this.maxStreamsPerRequest = Math.min(options.maxStreamsPerRequest ?? 200, this.maxStreamsPerConnection);
  }

  streamsForSymbol(symbol: string): string[] {
    return [`${symbol.toLowerCase()}@aggTrade`];
  }

  symbolOfStream(stream: string): string | undefined {
    const at = stream.indexOf('@');
    // `!miniTicker@arr`-style streams are market-wide, not a symbol's.
    if (at <= 0 || stream.charCodeAt(0) === 33) return undefined;
    return stream.slice(0, at).toUpperCase();
  }

  /** `/stream` without `streams=`: Binance and the simulator accept an empty combined connection. */
  connectionUrl(baseWsUrl: string): string {
    const base = baseWsUrl.endsWith('/') ? baseWsUrl.slice(0, -1) : baseWsUrl;
    return this.microsecond ? `${base}/stream?timeUnit=MICROSECOND` : `${base}/stream`;
  }

  encodeSubscribe(streams: string[], id: number): string {
    return this.encode('SUBSCRIBE', streams, id);
  }

  encodeUnsubscribe(streams: string[], id: number): string {
    return this.encode('UNSUBSCRIBE', streams, id);
  }

  parseFrame(text: string, context: ParseContext): FrameResult {
    return parseBinanceFrame(text, context, this.exchange, this.maxFrameBytes);
  }

  private encode(method: 'SUBSCRIBE' | 'UNSUBSCRIBE', streams: string[], id: number): string {
    if (streams.length === 0 || streams.length > this.maxStreamsPerRequest) {
      throw new ProtocolUsageError(`${method} needs 1 to ${this.maxStreamsPerRequest} streams, got ${streams.length}; split the request.`);
    }
    if (!Number.isSafeInteger(id) || id < 0) throw new ProtocolUsageError(`${method} id must be a non-negative integer, got ${id}`);
    return JSON.stringify({ method, params: streams, id });
  }
}
