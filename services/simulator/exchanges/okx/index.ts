import { readFile } from 'node:fs/promises';
import type { Market, SymbolState } from '../../market';
import type { SimulatorConfig } from '../../options';
import type { RestContext, RestRequest, RestResponse } from '../../rest';
import type { SymbolSpec } from '../../universe';
import { SlidingWindowCounter } from '../../limits';
import { ConnectionIds } from '../common';
import type { ConnectionView, ControlOutcome, ExchangeProtocol, KeepaliveRule, Render, TradeEvent, UpgradeDecision } from '../types';
import { OKX_TRADES_CHANNEL, okxControl, okxServiceUpgradeNotice, okxTopic } from './control';
import { okxGarbageFrames, okxTradesPush } from './encode';
import { type OkxInstrumentRow, okxInstIdOf, okxInstrumentsUniverse, syntheticInstrumentRow } from './instruments';
import { OkxRest } from './rest';

export { OKX_TRADES_CHANNEL, OkxWsCode, okxControl, okxTopic } from './control';
export { okxFillsNewestFirst, okxTradeEntry, okxTradesPush } from './encode';
export { okxInstIdOf, okxInstrumentsUniverse, syntheticInstrumentRow } from './instruments';
export { OKX_REST_LIMITS, OkxRest, OkxRestCode } from './rest';

export const OKX_WS_PATH = '/ws/v5/public';
/**
 * "The total number of 'subscribe'/'unsubscribe'/'login' requests per connection is
 * limited to 480 times per hour"; "Connection limit: 3 requests per second (based on
 * IP)". Copied from services/collector/exchange/okx/limits.ts (OKX_WS_LIMITS).
 */
export const OKX_SUBSCRIBE_REQUESTS_PER_HOUR = 480;
export const OKX_CONNECTS_PER_SECOND = 3;
const HOUR_MS = 3_600_000;

export interface OkxConnectionState {
  connId: string;
  /** Times of this connection's subscribe/unsubscribe requests in the last hour (at most 480). */
  requests: number[];
}

/**
 * OKX v5 public spot: WS `/ws/v5/public` with the `trades` channel, text ping/pong,
 * the cut of a connection idle 30 s, 480 subscribe requests an hour per connection,
 * 3 connections a second per IP, the 64008 service-upgrade notice; REST
 * `/api/v5/public/instruments`, `/market/candles`, `/market/history-trades`,
 * `/market/trades` and `/public/time` in the `{code,msg,data}` envelope.
 */
export class OkxProtocol implements ExchangeProtocol<OkxConnectionState> {
  readonly id = 'okx';
  readonly keepalive: KeepaliveRule;
  /** OKX documents no per-connection message rate for public streams beyond the subscribe cap. */
  readonly maxIncomingMessagesPerSecond = undefined;
  readonly variants = 1;
  readonly batchTrades = true;
  private readonly connects: SlidingWindowCounter;
  private readonly ids = new ConnectionIds(0x0c5);
  private readonly byInstId = new Map<string, SymbolState>();
  private instIds: string[] = [];
  private topics: string[] = [];
  private realRows: Map<string, OkxInstrumentRow> | undefined;
  private rows: OkxInstrumentRow[] = [];
  private readonly restApi: OkxRest;

  constructor(config: SimulatorConfig) {
    const seconds = Math.round(config.idleTimeoutMs / 1000);
    this.keepalive = { kind: 'client-ping', idleTimeoutMs: config.idleTimeoutMs, idle: 'no-traffic', onIdle: { code: 4004, reason: `No data received in ${seconds}s` } };
    this.connects = new SlidingWindowCounter(config.maxConnectsPerWindow ?? OKX_CONNECTS_PER_SECOND, 1000);
    this.restApi = new OkxRest({ rows: () => this.rows, stateOf: (instId) => this.byInstId.get(instId) });
  }

  async loadUniverse(config: SimulatorConfig): Promise<SymbolSpec[] | undefined> {
    if (config.instrumentsFile === undefined) return undefined;
    const universe = okxInstrumentsUniverse(JSON.parse(await readFile(config.instrumentsFile, 'utf8')));
    this.realRows = universe.rows;
    return universe.specs;
  }

  attach(market: Market): void {
    this.instIds = market.states.map((state) => okxInstIdOf(state.spec));
    this.topics = this.instIds.map((instId) => okxTopic(instId));
    market.states.forEach((state, i) => this.byInstId.set(this.instIds[i] as string, state));
    this.rows = market.states.map((state, i) => this.realRows?.get(this.instIds[i] as string) ?? syntheticInstrumentRow(state.spec));
  }

  /** Only `/ws/v5/public`; past 3 connection attempts a second from one IP, HTTP 429. */
  upgrade(url: URL, client: string, now: number): UpgradeDecision<OkxConnectionState> {
    if (url.pathname !== OKX_WS_PATH) return { kind: 'refuse', status: 404, statusText: 'Not Found', body: '' };
    if (!this.connects.hit(client, now)) return { kind: 'refuse', status: 429, statusText: 'Too Many Requests', body: '' };
    return { kind: 'accept', state: { connId: this.ids.take(), requests: [] }, streams: [] };
  }

  variantOf(): number {
    return 0;
  }

  control(text: string, connection: ConnectionView<OkxConnectionState>, now: number): ControlOutcome {
    const state = connection.state;
    return okxControl(text, {
      connId: state.connId,
      knows: (instId) => this.byInstId.has(instId),
      admitRequest: () => {
        while (state.requests.length > 0 && (state.requests[0] as number) <= now - HOUR_MS) state.requests.shift();
        if (state.requests.length >= OKX_SUBSCRIBE_REQUESTS_PER_HOUR) return false;
        state.requests.push(now);
        return true;
      },
    });
  }

  serves(stream: string): boolean {
    return stream.startsWith(`${OKX_TRADES_CHANNEL}:`) && this.byInstId.has(stream.slice(OKX_TRADES_CHANNEL.length + 1));
  }

  tradeTopics(state: SymbolState): string[] {
    return [this.topics[state.index] as string];
  }

  renderTrades(_topic: string, events: readonly TradeEvent[]): Render {
    const first = events[0] as TradeEvent;
    const frame = okxTradesPush(this.instIds[first.state.index] as string, events.map((e) => e.trade));
    return () => [frame];
  }

  shutdownNotice(connection: ConnectionView<OkxConnectionState>): string {
    return okxServiceUpgradeNotice(connection.state.connId);
  }

  garbage(connection: ConnectionView<OkxConnectionState>, now: number): string[] {
    const topic = [...connection.streams][0] ?? this.topics[0] ?? 'trades:BTC-USDT';
    return okxGarbageFrames(topic.slice(OKX_TRADES_CHANNEL.length + 1), now);
  }

  rest(context: RestContext, request: RestRequest): RestResponse {
    return this.restApi.handle(context, request);
  }
}

export function createOkxProtocol(config: SimulatorConfig): OkxProtocol {
  return new OkxProtocol(config);
}
