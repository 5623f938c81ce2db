import type { Kline, SymbolInfo, Trade } from '../domain';

/** Why an incoming frame was refused; the label of `collector_rejected_messages_total{reason}`. */
export type RejectReason =
  | 'invalid_json'
  | 'oversized'
  | 'unknown_stream'
  | 'missing_field'
  | 'invalid_type'
  | 'invalid_price'
  | 'invalid_quantity'
  | 'time_out_of_range';

/** What one WebSocket text frame means to the collector. Parsing never throws. */
export type FrameResult =
  | { kind: 'trade'; trade: Trade }
  /**
   * Several trades of one stream in one push (OKX `trades` and Bybit `publicTrade`
   * carry a `data` array), ascending as the exchange sent them; a push of one trade
   * is a `trade`. The frame is all-or-nothing: one bad entry rejects it.
   */
  | { kind: 'trades'; trades: Trade[] }
  /**
   * Reply to a subscribe / unsubscribe / list request. Binance and Bybit match it by
   * request id; OKX acknowledges each stream on its own, so `streams` names what the
   * reply confirms (or refuses, with `error`) whatever `id` says.
   */
  | { kind: 'reply'; id: number | string | null; streams?: string[]; result?: unknown; error?: { code: number; msg: string } }
  /** The answer to a client keepalive ping (OKX's text `pong`, Bybit's `{"op":"pong"}` reply). */
  | { kind: 'pong' }
  /** A well-formed event of a stream the collector does not use (depth, kline, ...): counted, not rejected. */
  | { kind: 'ignored'; stream: string }
  /** The server announced it will close this connection soon (24 h cut, maintenance). */
  | { kind: 'shutdown'; eventTime: number }
  | { kind: 'rejected'; reason: RejectReason; detail: string };

export interface ParseContext {
  receivedAt: number;
  receivedAtMono: number;
  /** The collector's exchange clock (ms) at receipt; trades too far from it are rejected. */
  exchangeNow: number;
  /** Largest tolerated |tradeTime - exchangeNow| and |eventTime - exchangeNow| in ms. */
  maxClockDistanceMs: number;
  /**
   * False until the clock has seen the exchange's time (server time or a first
   * event): until then distances are not checked, so a replay of old data or a
   * local clock that is far off does not have every trade rejected.
   */
  clockSynchronized: boolean;
  /** Streams subscribed on this connection; events of others are `unknown_stream`. */
  isKnownStream(stream: string): boolean;
}

/**
 * Who keeps an idle connection alive. Binance pings and the WebSocket library
 * answers; OKX and Bybit cut a connection that stays silent (30 s, 10 min), so the
 * client must send its own ping, in the exchange's format, when idle for `intervalMs`.
 */
export type KeepalivePolicy =
  | { kind: 'server-ping' }
  | {
      kind: 'client-ping';
      intervalMs: number;
      encodePing(): string;
      /**
       * What resets the ping timer. `any` (OKX, which cuts a connection with
       * nothing pushed for 30 s): traffic either way. `sent` (Bybit, which drops a
       * client that has not pinged, however much it pushes): only our own frames,
       * so a busy stream still pings every `intervalMs`. Default `any`.
       */
      quietWhen?: 'any' | 'sent';
    };

/**
 * What trade ids let the collector guarantee. `consecutive`: every trade of a
 * symbol is numbered +1 (Binance aggTrade), so a jump is a gap to backfill.
 * `increasing`: ids only grow, so they order and deduplicate but cannot prove a
 * gap. `opaque`: ids neither order nor prove anything; only `tradeTime` orders.
 */
export type TradeIdSemantics = 'consecutive' | 'increasing' | 'opaque';

/**
 * The stream side of an exchange: how to name streams, connect, subscribe and read
 * frames. The connection and rate code speak only this interface, so another
 * exchange (OKX, Bybit) is a new implementation, not a change to them.
 */
export interface ExchangeStreamProtocol {
  /** Lower-case id used in Redis keys and tables. */
  readonly exchange: string;
  /** Hard limit of streams on one connection (Binance: 1024). */
  readonly maxStreamsPerConnection: number;
  /** Streams per SUBSCRIBE / UNSUBSCRIBE message. */
  readonly maxStreamsPerRequest: number;
  /** Outgoing messages a connection may send per second, pongs included (Binance: 5). */
  readonly maxOutgoingMessagesPerSecond: number;
  /** Connection attempts allowed per `connectionAttemptWindowMs` from one IP (Binance: 300 per 5 min). */
  readonly maxConnectionAttempts: number;
  readonly connectionAttemptWindowMs: number;
  /**
   * SUBSCRIBE / UNSUBSCRIBE requests one connection may send per
   * `subscribeRequestWindowMs`, liveness probes by subscribe included. Binance: the
   * message rate above (5 a second); OKX: 480 an hour, so an OKX connection must
   * probe with its keepalive ping, never with a subscribe.
   */
  readonly maxSubscribeRequestsPerWindow: number;
  readonly subscribeRequestWindowMs: number;
  /**
   * The server cuts every connection after this long (Binance: 24 h), so the
   * connection asks for a make-before-break rotation shortly before. `Infinity` when
   * the exchange documents no cut (OKX, Bybit): no rotation timer is armed. Must be
   * positive (0, negative and NaN are refused when a connection is created).
   */
  readonly maxConnectionAgeMs: number;
  readonly keepalive: KeepalivePolicy;
  readonly tradeIds: TradeIdSemantics;
  /** The streams that carry a symbol's trades, e.g. `btcusdt@aggTrade`. */
  streamsForSymbol(symbol: string): string[];
  /** The symbol a stream belongs to, upper-case, or undefined when it is not a symbol stream. */
  symbolOfStream(stream: string): string | undefined;
  /** URL of a new, empty connection; streams are added with `encodeSubscribe`. */
  connectionUrl(baseWsUrl: string): string;
  /**
   * `id` comes back in the reply's `id` as the same number (Bybit's string `req_id`
   * is parsed back), except on OKX whose per-stream acks are matched by `streams`.
   */
  encodeSubscribe(streams: string[], id: number): string;
  encodeUnsubscribe(streams: string[], id: number): string;
  parseFrame(text: string, context: ParseContext): FrameResult;
}

/** The REST side: symbol universe, gap backfill and warm start. */
export interface ExchangeRestClient {
  /** Every symbol the exchange lists, with its status. */
  listSymbols(): Promise<SymbolInfo[]>;
  /**
   * Trades with id >= `fromId`, ascending, at most `limit`. Only exchanges whose
   * protocol says `tradeIds` is not `opaque` can answer; Bybit rejects with a typed
   * `BACKFILL_UNSUPPORTED` error because its REST cannot page by trade id.
   */
  fetchTradesFrom(symbol: string, fromId: number, limit: number): Promise<Trade[]>;
  /**
   * Most trades one `fetchTradesFrom` returns (Binance 1000, OKX 100). Where ids
   * skip (`increasing`), a call covers the id window [fromId, fromId + limit) for
   * a limit up to this, so the sequencer asks windows no wider.
   */
  readonly tradesPageSize: number;
  /** 1m candles from `startTime`, ascending, at most `limit`. */
  fetchKlines(symbol: string, startTime: number, limit: number): Promise<Kline[]>;
  serverTime(): Promise<number>;
}
