import { ProtocolUsageError } from '../binance';
import type { SymbolDirectory } from '../symbol-directory';
import type { ExchangeStreamProtocol, FrameResult, KeepalivePolicy, ParseContext, TradeIdSemantics } from '../types';
import { withDefaultPath } from '../ws-url';
import { BYBIT_WS_LIMITS } from './limits';
import { DEFAULT_MAX_FRAME_BYTES, parseBybitFrame, PUBLIC_TRADE_PREFIX } from './parse-frame';

export const DEFAULT_BYBIT_WS_URL = 'wss://stream.bybit.com';
export const BYBIT_WS_PATH = '/v5/public/spot';

/** `publicTrade.` plus the longest spot symbol we plan for, with quotes and comma. */
const MAX_SYMBOL_LENGTH = 25;
const ARG_CHARACTERS = PUBLIC_TRADE_PREFIX.length + MAX_SYMBOL_LENGTH + 3;

export interface BybitStreamProtocolOptions {
  /**
   * When given and loaded, names streams by Bybit's listed symbol and plans none for
   * a pair Bybit does not list. Without it (or before it is loaded) the project's
   * symbol is used as is, which is Bybit's own spot naming (`BTCUSDT`).
   */
  directory?: SymbolDirectory;
  maxFrameBytes?: number;
  /** Client ping after this much silence. Default 20 s, Bybit's recommendation. */
  pingIntervalMs?: number;
}

/**
 * Bybit v5 public spot trades: `publicTrade.<SYMBOL>` topics on `/v5/public/spot`,
 * subscribed in requests of at most 10 args whose `req_id` is our request number,
 * kept alive by the JSON `{"op":"ping"}`.
 */
export class BybitStreamProtocol implements ExchangeStreamProtocol {
  readonly exchange = 'bybit';
  /** 500 topics of the longest symbols stay inside the 21,000 characters of args a connection may hold. */
  readonly maxStreamsPerConnection = Math.floor(BYBIT_WS_LIMITS.maxArgsCharactersPerConnection / ARG_CHARACTERS / 100) * 100;
  readonly maxStreamsPerRequest = BYBIT_WS_LIMITS.maxArgsPerRequest;
  /** Bybit documents no message rate for public connections; 5 a second matches Binance's and stays polite. */
  readonly maxOutgoingMessagesPerSecond = 5;
  readonly maxConnectionAttempts = BYBIT_WS_LIMITS.maxConnectionAttempts;
  readonly connectionAttemptWindowMs = BYBIT_WS_LIMITS.connectionAttemptWindowMs;
  readonly maxSubscribeRequestsPerWindow = 5;
  readonly subscribeRequestWindowMs = 1000;
  /** Bybit documents no age cut and no shutdown notice for public connections. */
  readonly maxConnectionAgeMs = Number.POSITIVE_INFINITY;
  readonly keepalive: KeepalivePolicy;
  /**
   * Spot trade ids (`i`) are 19-digit strings, documented only as "Trade id": no
   * order, no sequence, and beyond a safe integer. Only `T` orders trades, and no
   * gap can be seen or refilled (recent-trade cannot page by id).
   */
  readonly tradeIds: TradeIdSemantics = 'opaque';
  private readonly directory: SymbolDirectory | undefined;
  private readonly maxFrameBytes: number;

  constructor(options: BybitStreamProtocolOptions = {}) {
    this.directory = options.directory;
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    const intervalMs = options.pingIntervalMs ?? BYBIT_WS_LIMITS.pingIntervalMs;
    if (!(intervalMs > 0)) throw new RangeError(`pingIntervalMs must be positive, got ${intervalMs}`);
    this.keepalive = { kind: 'client-ping', intervalMs, encodePing: () => '{"op":"ping"}', quietWhen: 'sent' };
  }

  streamsForSymbol(symbol: string): string[] {
    if (this.directory?.loaded !== true) return [`${PUBLIC_TRADE_PREFIX}${symbol}`];
    return this.directory.has(symbol) ? [`${PUBLIC_TRADE_PREFIX}${this.directory.nativeOf(symbol)}`] : [];
  }

  symbolOfStream(stream: string): string | undefined {
    if (!stream.startsWith(PUBLIC_TRADE_PREFIX) || stream.length === PUBLIC_TRADE_PREFIX.length) return undefined;
    const native = stream.slice(PUBLIC_TRADE_PREFIX.length);
    return this.directory?.symbolOf(native) ?? native;
  }

  connectionUrl(baseWsUrl: string): string {
    return withDefaultPath(baseWsUrl, BYBIT_WS_PATH);
  }

  encodeSubscribe(streams: string[], id: number): string {
    return this.encode('subscribe', streams, id);
  }

  encodeUnsubscribe(streams: string[], id: number): string {
    return this.encode('unsubscribe', streams, id);
  }

  parseFrame(text: string, context: ParseContext): FrameResult {
    return parseBybitFrame(text, context, this.maxFrameBytes);
  }

  private encode(op: 'subscribe' | 'unsubscribe', streams: string[], id: number): string {
    if (streams.length === 0 || streams.length > this.maxStreamsPerRequest) {
      throw new ProtocolUsageError(`Bybit ${op} needs 1 to ${this.maxStreamsPerRequest} topics (Bybit's spot cap), got ${streams.length}; split the request.`);
    }
    if (!Number.isSafeInteger(id) || id < 0) throw new ProtocolUsageError(`Bybit ${op} id must be a non-negative integer, got ${id}`);
    for (const stream of streams) {
      if (this.symbolOfStream(stream) === undefined || stream.length > PUBLIC_TRADE_PREFIX.length + MAX_SYMBOL_LENGTH) throw new ProtocolUsageError(`Bybit ${op}: ${stream} is not a publicTrade topic of this protocol`);
    }
    return JSON.stringify({ req_id: String(id), op, args: streams });
  }
}
