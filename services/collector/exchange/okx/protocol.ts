import { ProtocolUsageError } from '../binance';
import type { SymbolDirectory } from '../symbol-directory';
import { SymbolDirectoryError } from '../symbol-directory';
import type { ExchangeStreamProtocol, FrameResult, KeepalivePolicy, ParseContext, TradeIdSemantics } from '../types';
import { withDefaultPath } from '../ws-url';
import { OKX_WS_LIMITS } from './limits';
import { DEFAULT_MAX_FRAME_BYTES, parseOkxFrame } from './parse-frame';
import { isSpotInstId, okxArgOf, okxStream, symbolOfSpotInstId, TRADES_CHANNEL } from './streams';

export const DEFAULT_OKX_WS_URL = 'wss://ws.okx.com:8443';
export const OKX_WS_PATH = '/ws/v5/public';

export interface OkxStreamProtocolOptions {
  /** Filled by `OkxRestClient.listSymbols()`; maps `BTCUSDT` to `BTC-USDT`. */
  directory: SymbolDirectory;
  maxFrameBytes?: number;
  /** Streams per connection. Default 300; see `maxStreamsPerConnection`. */
  maxStreamsPerConnection?: number;
  /** Client ping after this much silence. Default 20 s, inside OKX's 30 s idle cut with room for a late pong. */
  pingIntervalMs?: number;
}

/**
 * The longest arg the protocol lets into one request: `{"channel":"trades",
 * "instId":"<24 characters>"},` is 57 bytes, and the envelope with a 15-digit id
 * about 50, so 70 args fit OKX's 4096-byte request limit; 60 leaves margin.
 */
const MAX_ARGS_PER_REQUEST = 60;
const MAX_INST_ID_LENGTH = 24;

/**
 * OKX v5 public spot trades. One `trades` subscription per pair on
 * `/ws/v5/public`; OKX acknowledges each arg with its own event, so replies carry
 * `streams`. Requests also carry OKX's optional `id` (our request number), which
 * error events echo, so a refused request is found even when its text names no arg.
 */
export class OkxStreamProtocol implements ExchangeStreamProtocol {
  readonly exchange = 'okx';
  /**
   * OKX documents no stream cap for public connections; 300 trades streams is five
   * requests, so a reconnect resubscribes in five of the 480 requests an hour.
   */
  readonly maxStreamsPerConnection: number;
  readonly maxStreamsPerRequest = MAX_ARGS_PER_REQUEST;
  /** OKX documents no message rate for public connections beyond the subscribe cap; 2 a second keeps pings and requests polite. */
  readonly maxOutgoingMessagesPerSecond = 2;
  readonly maxConnectionAttempts = OKX_WS_LIMITS.maxConnectionAttempts;
  readonly connectionAttemptWindowMs = OKX_WS_LIMITS.connectionAttemptWindowMs;
  readonly maxSubscribeRequestsPerWindow = OKX_WS_LIMITS.maxSubscribeRequestsPerHour;
  readonly subscribeRequestWindowMs = 3_600_000;
  /** OKX documents no age cut; a service upgrade is announced by the 64008 notice (a `shutdown` frame). */
  readonly maxConnectionAgeMs = Number.POSITIVE_INFINITY;
  readonly keepalive: KeepalivePolicy;
  /**
   * Since OKX aggregates the `trades` channel (one push per taker order and price,
   * `tradeId` the last of the aggregated fills, `count` of them), ids grow but skip:
   * a jump is no proof of a gap. The 2022 capture predates the aggregation and shows
   * +1 steps; the protocol must hold for today's feed.
   */
  readonly tradeIds: TradeIdSemantics = 'increasing';
  private readonly directory: SymbolDirectory;
  private readonly maxFrameBytes: number;

  constructor(options: OkxStreamProtocolOptions) {
    this.directory = options.directory;
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.maxStreamsPerConnection = options.maxStreamsPerConnection ?? 300;
    const intervalMs = options.pingIntervalMs ?? 20_000;
    if (!(intervalMs > 0 && intervalMs < OKX_WS_LIMITS.serverIdleCutMs)) {
      throw new RangeError(`pingIntervalMs must be in (0, ${OKX_WS_LIMITS.serverIdleCutMs}) for OKX to keep the connection, got ${intervalMs}`);
    }
    this.keepalive = { kind: 'client-ping', intervalMs, encodePing: () => 'ping' };
  }

  /**
   * The pair's `trades` stream. Throws `SymbolDirectoryError` (SYMBOL_DIRECTORY_NOT_LOADED)
   * before the directory is loaded: planning streams then is a wiring bug. A pair OKX
   * does not list has no stream (`[]`): one bad entry in SYMBOLS must not stop the
   * others; `directory.has` tells the caller which ones were dropped.
   */
  streamsForSymbol(symbol: string): string[] {
    if (!this.directory.loaded) throw new SymbolDirectoryError('SYMBOL_DIRECTORY_NOT_LOADED', this.exchange, symbol);
    if (!this.directory.has(symbol)) return [];
    return [okxStream(TRADES_CHANNEL, this.directory.nativeOf(symbol))];
  }

  symbolOfStream(stream: string): string | undefined {
    const arg = okxArgOf(stream);
    if (arg === undefined || arg.channel !== TRADES_CHANNEL || !isSpotInstId(arg.instId)) return undefined;
    return this.directory.symbolOf(arg.instId) ?? symbolOfSpotInstId(arg.instId);
  }

  connectionUrl(baseWsUrl: string): string {
    return withDefaultPath(baseWsUrl, OKX_WS_PATH);
  }

  encodeSubscribe(streams: string[], id: number): string {
    return this.encode('subscribe', streams, id);
  }

  encodeUnsubscribe(streams: string[], id: number): string {
    return this.encode('unsubscribe', streams, id);
  }

  parseFrame(text: string, context: ParseContext): FrameResult {
    return parseOkxFrame(text, context, this.maxFrameBytes);
  }

  private encode(op: 'subscribe' | 'unsubscribe', streams: string[], id: number): string {
    if (streams.length === 0 || streams.length > this.maxStreamsPerRequest) {
      throw new ProtocolUsageError(`OKX ${op} needs 1 to ${this.maxStreamsPerRequest} streams, got ${streams.length}; split the request.`);
    }
    // OKX's id: up to 32 alphanumerics; a non-negative safe integer prints in at most 16 digits.
    if (!Number.isSafeInteger(id) || id < 0) throw new ProtocolUsageError(`OKX ${op} id must be a non-negative integer, got ${id}`);
    const args = streams.map((stream) => {
      const arg = okxArgOf(stream);
      if (arg === undefined || arg.instId.length > MAX_INST_ID_LENGTH) throw new ProtocolUsageError(`OKX ${op}: ${stream} is not a <channel>:<instId> stream of this protocol`);
      return arg;
    });
    const text = JSON.stringify({ id: String(id), op, args });
    if (Buffer.byteLength(text, 'utf8') > OKX_WS_LIMITS.maxRequestBytes) {
      throw new ProtocolUsageError(`OKX ${op} of ${streams.length} streams exceeds ${OKX_WS_LIMITS.maxRequestBytes} bytes; split the request.`);
    }
    return text;
  }
}
