import type { DisconnectReason } from '../connection';
import type { AggTradeRecord } from '../history';
import type { Market, SymbolState } from '../market';
import type { SimulatorConfig } from '../options';
import type { ReplayEvent } from '../replay';
import type { RestContext, RestRequest, RestResponse } from '../rest';
import type { SymbolSpec } from '../universe';

/** The exchanges the simulator speaks. */
export const EXCHANGE_IDS = ['binance', 'okx', 'bybit'] as const;
export type ExchangeId = (typeof EXCHANGE_IDS)[number];

export function isExchangeId(value: unknown): value is ExchangeId {
  return typeof value === 'string' && (EXCHANGE_IDS as readonly string[]).includes(value);
}

/** What the server knows of a connection, as a plug-in sees it. */
export interface ConnectionView<S> {
  readonly id: number;
  readonly streams: ReadonlySet<string>;
  readonly createdAt: number;
  readonly state: S;
}

/** A server-initiated close: the WebSocket close code and reason, and the stats label. */
export interface CloseAction {
  code: number;
  reason: string;
  cause: DisconnectReason;
}

export type UpgradeDecision<S> =
  | {
      kind: 'accept';
      state: S;
      /** Streams named by the URL, subscribed on open. */
      streams: string[];
      /** Set when the URL alone breaks a limit: the connection opens, then is closed with this. */
      closeOnOpen?: CloseAction;
    }
  | { kind: 'refuse'; status: number; statusText: string; body: string };

/** What one client text frame asks of its connection, decided without touching it. */
export interface ControlOutcome {
  /** Frames sent back, in order, before any close. */
  replies: string[];
  subscribe: string[];
  unsubscribe: string[];
  close?: CloseAction;
}

/**
 * Who keeps a connection alive. `server-ping`: the server pings and cuts a connection
 * whose pong is late (Binance). `client-ping`: the client sends the exchange's own
 * ping and the server cuts a connection idle for `idleTimeoutMs`, where idle is either
 * no frame in either direction (OKX: "data has not been pushed for more than 30
 * seconds") or no frame from the client (Bybit: a connection that never pings).
 */
export type KeepaliveRule =
  | { kind: 'server-ping'; pingIntervalMs: number; pongTimeoutMs: number }
  | { kind: 'client-ping'; idleTimeoutMs: number; idle: 'no-traffic' | 'no-client-message'; onIdle: { code: number; reason: string } | 'terminate' };

/** One trade on its way to subscribers; `original` is set in replay. */
export interface TradeEvent {
  state: SymbolState;
  trade: AggTradeRecord;
  eventTime: number;
  original?: ReplayEvent;
}

/** Frames of one event for one encoding variant (see `variants`). */
export type Render = (variant: number) => string[];

export interface PeriodicEvent {
  topic: string;
  render: Render;
}

/** Shared services a plug-in's REST handler answers from. */
export type PluginRestContext = RestContext;

/**
 * One exchange's public spot protocol, plugged into the shared server. The market
 * model, history, replay clock, faults and the HTTP server are shared; a plug-in
 * owns everything a client can tell apart between exchanges: WebSocket paths, control
 * frames and their answers, push encoding, keepalive, stream naming, REST routes
 * with their envelopes, limits and error answers. `S` is the per-connection state.
 */
export interface ExchangeProtocol<S> {
  readonly id: ExchangeId;
  readonly keepalive: KeepaliveRule;
  /** Incoming frames a second a connection may send before it is cut (Binance: 5), or undefined. */
  readonly maxIncomingMessagesPerSecond: number | undefined;
  /** How many encodings of one event exist (Binance: raw/combined x ms/µs). */
  readonly variants: number;
  /**
   * True when trades of one symbol due in the same tick go out as one push
   * (OKX and Bybit carry a `data` array); false for one frame per trade (Binance).
   */
  readonly batchTrades: boolean;
  /** Takes the market once it is built (names, universe checks). */
  attach(market: Market, config: SimulatorConfig): void;
  /**
   * The symbol universe from an exchange-specific file (OKX instruments), or
   * undefined to use the shared ones. Called before `attach`.
   */
  loadUniverse?(config: SimulatorConfig): Promise<SymbolSpec[] | undefined>;
  upgrade(url: URL, client: string, now: number): UpgradeDecision<S>;
  variantOf(state: S): number;
  control(text: string, connection: ConnectionView<S>, now: number): ControlOutcome;
  /** True when the exchange delivers data on `stream` (a replay starts with the first such subscription). */
  serves(stream: string): boolean;
  /** Binance's `combined` property, for stats; undefined elsewhere. */
  isCombined?(state: S): boolean;
  /** Topics whose subscribers receive the trades of `state`. */
  tradeTopics(state: SymbolState): string[];
  renderTrades(topic: string, events: readonly TradeEvent[]): Render;
  /** Periodic pushes (Binance klines and miniTickers), called once a second. */
  periodic?(state: SymbolState, now: number, subscribed: (topic: string) => boolean): PeriodicEvent[];
  /** The frame announcing a server-side close soon, or undefined when the exchange has none. */
  shutdownNotice(connection: ConnectionView<S>, now: number): string | undefined;
  /** Frames a client must survive: broken JSON, wrong types, impossible values, huge frames. */
  garbage(connection: ConnectionView<S>, now: number): string[];
  /** Answers a REST GET; 404 for paths the exchange does not serve. */
  rest(context: PluginRestContext, request: RestRequest): RestResponse;
}
