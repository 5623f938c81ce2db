import { BINANCE_WS_LIMITS } from '../../../shared/binance';
import { garbageFrames } from '../../faults';
import { aggTradePayload, combinedMessage, klinePayload, miniTickerPayload, serverShutdownMessage, splitQuantity, tickerStats, tradePayload } from '../../format';
import { minuteOf } from '../../history';
import { RequestWeightLimiter } from '../../limits';
import type { Market, SymbolState } from '../../market';
import type { SimulatorConfig } from '../../options';
import { decideControl, parseControlMessage } from '../../protocol';
import { type RestContext, type RestRequest, type RestResponse, handleRest } from '../../rest';
import { isWellFormedStream, servedStream } from '../../streams';
import type { ConnectionView, ControlOutcome, ExchangeProtocol, KeepaliveRule, PeriodicEvent, Render, TradeEvent, UpgradeDecision } from '../types';

const DAY_MS = 24 * 60 * 60 * 1000;

/** A Binance connection: raw or combined payloads, in ms or µs (`timeUnit=MICROSECOND`). */
export interface BinanceConnectionState {
  combined: boolean;
  timeFactor: number;
}

interface StreamKeys {
  aggTrade: string;
  trade: string;
  kline: string;
  miniTicker: string;
}

function tooManyStreams(): { code: number; reason: string; cause: 'too-many-streams' } {
  return { code: 1008, reason: 'Too many streams', cause: 'too-many-streams' };
}

/**
 * Binance spot WebSocket Streams and REST `/api/v3`: `/ws`, `/ws/<stream>`,
 * `/stream?streams=`, SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS / SET_PROPERTY /
 * GET_PROPERTY, server pings with a pong timeout, 5 incoming messages a second,
 * 1,024 streams, the 24 h cut announced by `serverShutdown`, and request weights.
 */
export class BinanceProtocol implements ExchangeProtocol<BinanceConnectionState> {
  readonly id = 'binance';
  readonly keepalive: KeepaliveRule;
  readonly maxIncomingMessagesPerSecond = BINANCE_WS_LIMITS.maxIncomingMessagesPerSecond;
  /** raw/combined x ms/µs. */
  readonly variants = 4;
  readonly batchTrades = false;
  private readonly weights: RequestWeightLimiter;
  private keys: StreamKeys[] = [];

  constructor(config: SimulatorConfig) {
    this.keepalive = { kind: 'server-ping', pingIntervalMs: config.pingIntervalMs, pongTimeoutMs: config.pongTimeoutMs };
    this.weights = new RequestWeightLimiter(config.restWeightLimit);
  }

  attach(market: Market): void {
    this.keys = market.states.map((s) => ({ aggTrade: `${s.lower}@aggTrade`, trade: `${s.lower}@trade`, kline: `${s.lower}@kline_1m`, miniTicker: `${s.lower}@miniTicker` }));
  }

  /**
   * `/ws/<name>` takes one stream; a name that is not a stream (a listenKey, any
   * token) still opens a connection that waits for SUBSCRIBE, as Binance's does.
   * `/stream?streams=` with a malformed name is refused with 400.
   */
  upgrade(url: URL): UpgradeDecision<BinanceConnectionState> {
    let streams: string[];
    let combined: boolean;
    if (url.pathname === '/ws' || url.pathname === '/ws/') {
      streams = [];
      combined = false;
    } else if (url.pathname.startsWith('/ws/')) {
      const name = decodeURIComponent(url.pathname.slice(4));
      streams = isWellFormedStream(name) ? [name] : [];
      combined = false;
    } else if (url.pathname === '/stream' || url.pathname === '/stream/') {
      const list = url.searchParams.get('streams');
      streams = list ? list.split('/').filter((s) => s !== '') : [];
      combined = true;
      if (!streams.every(isWellFormedStream)) {
        return { kind: 'refuse', status: 400, statusText: 'Bad Request', body: JSON.stringify({ code: 2, msg: 'Invalid request: invalid stream' }) };
      }
    } else {
      return { kind: 'refuse', status: 404, statusText: 'Not Found', body: '' };
    }
    const timeUnit = (url.searchParams.get('timeUnit') ?? 'MILLISECOND').toUpperCase();
    const state = { combined, timeFactor: timeUnit === 'MICROSECOND' ? 1000 : 1 };
    const unique = [...new Set(streams)];
    return { kind: 'accept', state, streams: unique, closeOnOpen: unique.length > BINANCE_WS_LIMITS.maxStreamsPerConnection ? tooManyStreams() : undefined };
  }

  variantOf(state: BinanceConnectionState): number {
    return (state.combined ? 1 : 0) + (state.timeFactor === 1 ? 0 : 2);
  }

  isCombined(state: BinanceConnectionState): boolean {
    return state.combined;
  }

  control(text: string, connection: ConnectionView<BinanceConnectionState>): ControlOutcome {
    const parsed = parseControlMessage(text);
    if ('error' in parsed) return { replies: [JSON.stringify(parsed)], subscribe: [], unsubscribe: [] };
    const outcome = decideControl(parsed, connection.streams, connection.state.combined, BINANCE_WS_LIMITS.maxStreamsPerConnection);
    if (outcome.exceedsStreamLimit) return { replies: [], subscribe: [], unsubscribe: [], close: tooManyStreams() };
    if (outcome.setCombined !== undefined) connection.state.combined = outcome.setCombined;
    return { replies: [JSON.stringify(outcome.reply)], subscribe: outcome.subscribe, unsubscribe: outcome.unsubscribe };
  }

  serves(stream: string): boolean {
    return servedStream(stream) !== undefined;
  }

  tradeTopics(state: SymbolState): string[] {
    const keys = this.keys[state.index] as StreamKeys;
    return [keys.aggTrade, keys.trade];
  }

  /** One trade per call (`batchTrades` is false); a recorded line is re-sent byte for byte. */
  renderTrades(topic: string, events: readonly TradeEvent[]): Render {
    const event = events[0] as TradeEvent;
    const { state, trade, eventTime, original } = event;
    const symbol = state.spec.symbol;
    if (topic.endsWith('@aggTrade')) {
      return (variant) => {
        if (original?.combined !== undefined && original.payload !== undefined && variant < 2) return [variant === 1 ? original.combined : original.payload];
        const payload = aggTradePayload(symbol, trade, eventTime, variant >= 2 ? 1000 : 1);
        return [variant & 1 ? combinedMessage(topic, payload) : payload];
      };
    }
    const quantities = splitQuantity(trade.qtyE8, trade.l - trade.f + 1, state.spec.stepE8);
    return (variant) =>
      quantities.map((qtyE8, i) => {
        const payload = tradePayload(symbol, trade.f + i, trade.priceE8, qtyE8, trade.T, trade.m, eventTime, variant >= 2 ? 1000 : 1);
        return variant & 1 ? combinedMessage(topic, payload) : payload;
      });
  }

  /** Kline updates (at most once a second, plus the closing candle) and miniTickers. */
  periodic(state: SymbolState, now: number, subscribed: (topic: string) => boolean): PeriodicEvent[] {
    const keys = this.keys[state.index] as StreamKeys;
    const events: PeriodicEvent[] = [];
    const symbol = state.spec.symbol;
    if (subscribed(keys.kline)) {
      const closed = state.klines.closeIfBefore(minuteOf(now));
      if (closed) events.push({ topic: keys.kline, render: periodicRender(keys.kline, (factor) => klinePayload(symbol, closed, true, now, factor)) });
      const current = state.klines.current;
      if (current && state.klines.dirty) events.push({ topic: keys.kline, render: periodicRender(keys.kline, (factor) => klinePayload(symbol, current, false, now, factor)) });
      state.klines.dirty = false;
    }
    if (subscribed(keys.miniTicker) && state.tickerDirty) {
      const bars = state.klines.barsBetween(now - DAY_MS, now);
      const stats = tickerStats(bars, bars[0]?.o ?? state.klines.lastPrice());
      if (stats) events.push({ topic: keys.miniTicker, render: periodicRender(keys.miniTicker, (factor) => miniTickerPayload(symbol, stats, now, factor)) });
      state.tickerDirty = false;
    }
    return events;
  }

  shutdownNotice(connection: ConnectionView<BinanceConnectionState>, now: number): string {
    return serverShutdownMessage(now, connection.state.combined, connection.state.timeFactor);
  }

  garbage(connection: ConnectionView<BinanceConnectionState>, now: number): string[] {
    const stream = [...connection.streams][0] ?? this.keys[0]?.aggTrade ?? 'btcusdt@aggTrade';
    const symbol = stream.split('@')[0]?.toUpperCase() ?? 'BTCUSDT';
    return garbageFrames(stream, symbol, connection.state.combined, now);
  }

  rest(context: RestContext, request: RestRequest): RestResponse {
    return handleRest({ ...context, weights: this.weights }, request);
  }
}

function periodicRender(stream: string, payload: (factor: number) => string): Render {
  return (variant) => {
    const data = payload(variant >= 2 ? 1000 : 1);
    return [variant & 1 ? combinedMessage(stream, data) : data];
  };
}

export function createBinanceProtocol(config: SimulatorConfig): BinanceProtocol {
  return new BinanceProtocol(config);
}
