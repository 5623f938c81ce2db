import { randomUUID } from 'node:crypto';
import { SlidingWindowCounter } from '../../limits';
import type { Market, SymbolState } from '../../market';
import type { SimulatorConfig } from '../../options';
import type { RestContext, RestRequest, RestResponse } from '../../rest';
import type { ConnectionView, ControlOutcome, ExchangeProtocol, KeepaliveRule, Render, TradeEvent, UpgradeDecision } from '../types';
import { PUBLIC_TRADE_PREFIX, bybitControl } from './control';
import { type TickDirection, bybitGarbageFrames, bybitTradeEntry, bybitTradePush, fillsOf, tickDirection } from './encode';
import { BYBIT_IP_BAN_MS, BybitRest } from './rest';

export { BYBIT_MAX_ARGS_PER_REQUEST, PUBLIC_TRADE_PREFIX, bybitControl } from './control';
export { bybitTradeEntry, bybitTradeId, bybitTradePush, fillsOf, tickDirection } from './encode';
export { BYBIT_IP_BAN_MS, BYBIT_REST_LIMIT, BybitRest, BybitRetCode, bybitInstrumentRow } from './rest';

export const BYBIT_WS_PATH = '/v5/public/spot';
/** "Do not establish more than 500 connections within a 5-minute window" (services/collector/exchange/bybit/limits.ts). */
export const BYBIT_CONNECTS_PER_WINDOW = 500;
const CONNECT_WINDOW_MS = 5 * 60_000;

export interface BybitConnectionState {
  connId: string;
}

interface TickState {
  priceE8: number | undefined;
  direction: TickDirection;
}

/**
 * Bybit v5 public spot: WS `/v5/public/spot` with `publicTrade.<SYMBOL>` topics
 * (at most 10 args a request), JSON ping/pong, the cut of a connection that sends
 * nothing for the idle time, 500 connections per 5 minutes per IP; REST
 * `/v5/market/instruments-info`, `kline`, `recent-trade` and `time` in the
 * `{retCode, retMsg, result, time}` envelope, with the 600 requests / 5 s IP limit
 * answered by HTTP 403 and a ban.
 */
export class BybitProtocol implements ExchangeProtocol<BybitConnectionState> {
  readonly id = 'bybit';
  readonly keepalive: KeepaliveRule;
  /** Bybit documents no per-connection message rate for public streams. */
  readonly maxIncomingMessagesPerSecond = undefined;
  readonly variants = 1;
  readonly batchTrades = true;
  private readonly connects: SlidingWindowCounter;
  private readonly bySymbol = new Map<string, SymbolState>();
  private states: readonly SymbolState[] = [];
  private topics: string[] = [];
  private ticks: TickState[] = [];
  private readonly restApi: BybitRest;

  constructor(config: SimulatorConfig) {
    this.keepalive = { kind: 'client-ping', idleTimeoutMs: config.idleTimeoutMs, idle: 'no-client-message', onIdle: 'terminate' };
    this.connects = new SlidingWindowCounter(config.maxConnectsPerWindow ?? BYBIT_CONNECTS_PER_WINDOW, CONNECT_WINDOW_MS);
    this.restApi = new BybitRest({ states: () => this.states, stateOf: (symbol) => this.bySymbol.get(symbol) }, config.ipBanMs ?? BYBIT_IP_BAN_MS);
  }

  attach(market: Market): void {
    this.states = market.states;
    for (const state of market.states) this.bySymbol.set(state.spec.symbol, state);
    this.topics = market.states.map((state) => `${PUBLIC_TRADE_PREFIX}${state.spec.symbol}`);
    this.ticks = market.states.map(() => ({ priceE8: undefined, direction: 'ZeroPlusTick' }));
  }

  upgrade(url: URL, client: string, now: number): UpgradeDecision<BybitConnectionState> {
    if (url.pathname !== BYBIT_WS_PATH) return { kind: 'refuse', status: 404, statusText: 'Not Found', body: '' };
    if (!this.connects.hit(client, now)) return { kind: 'refuse', status: 429, statusText: 'Too Many Requests', body: '' };
    return { kind: 'accept', state: { connId: randomUUID() }, streams: [] };
  }

  variantOf(): number {
    return 0;
  }

  control(text: string, connection: ConnectionView<BybitConnectionState>): ControlOutcome {
    return bybitControl(text, { connId: connection.state.connId, knows: (symbol) => this.bySymbol.has(symbol), subscribed: connection.streams });
  }

  serves(stream: string): boolean {
    return stream.startsWith(PUBLIC_TRADE_PREFIX) && this.bySymbol.has(stream.slice(PUBLIC_TRADE_PREFIX.length));
  }

  tradeTopics(state: SymbolState): string[] {
    return [this.topics[state.index] as string];
  }

  /** Every fill of the batch's aggregates, in order, with the tick direction carried across pushes. */
  renderTrades(_topic: string, events: readonly TradeEvent[]): Render {
    const state = (events[0] as TradeEvent).state;
    const tick = this.ticks[state.index] as TickState;
    const entries: string[] = [];
    let ts = 0;
    for (const event of events) {
      ts = Math.max(ts, event.eventTime);
      for (const fill of fillsOf(event.trade, state.spec.stepE8)) {
        tick.direction = tickDirection(fill.priceE8, tick.priceE8, tick.direction);
        tick.priceE8 = fill.priceE8;
        entries.push(bybitTradeEntry(state.spec.symbol, fill, tick.direction));
      }
    }
    const frame = bybitTradePush(state.spec.symbol, entries, ts);
    return () => [frame];
  }

  /** Bybit documents no shutdown notice for public connections. */
  shutdownNotice(): undefined {
    return undefined;
  }

  garbage(connection: ConnectionView<BybitConnectionState>, now: number): string[] {
    const topic = [...connection.streams][0] ?? this.topics[0] ?? 'publicTrade.BTCUSDT';
    return bybitGarbageFrames(topic.slice(PUBLIC_TRADE_PREFIX.length), now);
  }

  rest(context: RestContext, request: RestRequest): RestResponse {
    return this.restApi.handle(context, request);
  }
}

export function createBybitProtocol(config: SimulatorConfig): BybitProtocol {
  return new BybitProtocol(config);
}
