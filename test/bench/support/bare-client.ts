/**
 * The ceiling for the collector benchmark: bare `ws` connections carrying the same
 * streams, doing nothing but JSON.parse per message, subscribed with the exchange's
 * own protocol. Prints one JSON line per second: messages and trade entries received
 * so far, and whether every stream is acknowledged yet (the caller measures from then).
 *
 * Usage: bare-client.ts <binance|okx|bybit> <wsUrl> <comma-separated streams> <streams per connection>
 * Streams are Binance `btcusdt@aggTrade`, OKX instIds `BTC-USDT`, Bybit `publicTrade.BTCUSDT`.
 */
import WebSocket from 'ws';
import { BYBIT_WS_LIMITS } from '../../../services/collector/exchange/bybit/limits';
import { OKX_WS_LIMITS } from '../../../services/collector/exchange/okx/limits';

type Exchange = 'binance' | 'okx' | 'bybit';

interface SubscribeRequest {
  id: string;
  streams: number;
  text: string;
}

interface Plan {
  path(streams: string[]): string;
  /** Subscribe requests for one connection's streams (none when the URL names them). */
  requests(streams: string[]): SubscribeRequest[];
  /** Requests a second per connection, as the collector's protocol sends them. */
  requestsPerSecond: number;
  /** Spacing of connection opens, inside the exchange's per-IP connect limit. */
  connectSpacingMs: number;
  /** Streams a reply acknowledges (OKX: one event per arg; Bybit: one reply per request). */
  acknowledged(message: Record<string, unknown>, requestSizes: Map<string, number>): number;
  /** Trade entries in a push. */
  trades(message: Record<string, unknown>): number;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

let requestId = 0;

function request(streams: unknown[], encode: (id: string) => string): SubscribeRequest {
  const id = String(++requestId);
  return { id, streams: streams.length, text: encode(id) };
}

/** The same per-request caps as services/collector/exchange/{okx,bybit}/protocol.ts: OKX 60 args (4096-byte requests), Bybit 10. */
const OKX_ARGS_PER_REQUEST = 60;

const plans: Record<Exchange, Plan> = {
  binance: {
    path: (streams) => `/stream?streams=${streams.join('/')}`,
    requests: () => [],
    requestsPerSecond: 1,
    connectSpacingMs: 0,
    acknowledged: () => 0,
    trades: (message) => ((message.data as { e?: string } | undefined)?.e === 'aggTrade' ? 1 : 0),
  },
  okx: {
    path: () => '/ws/v5/public',
    requests: (streams) => chunks(streams, OKX_ARGS_PER_REQUEST).map((instIds) => request(instIds, (id) => JSON.stringify({ id, op: 'subscribe', args: instIds.map((instId) => ({ channel: 'trades', instId })) }))),
    // The collector's OKX protocol sends at most 2 messages a second per connection.
    requestsPerSecond: 2,
    connectSpacingMs: Math.ceil(OKX_WS_LIMITS.connectionAttemptWindowMs / OKX_WS_LIMITS.maxConnectionAttempts) + 50,
    acknowledged: (message) => (message.event === 'subscribe' ? 1 : 0),
    trades: (message) => (Array.isArray(message.data) ? message.data.length : 0),
  },
  bybit: {
    path: () => '/v5/public/spot',
    requests: (streams) => chunks(streams, BYBIT_WS_LIMITS.maxArgsPerRequest).map((topics) => request(topics, (id) => JSON.stringify({ req_id: id, op: 'subscribe', args: topics }))),
    // The collector's Bybit protocol: 5 subscribe requests a second per connection.
    requestsPerSecond: 5,
    connectSpacingMs: 0,
    acknowledged: (message, sizes) => (message.op === 'subscribe' && message.success === true ? (sizes.get(String(message.req_id)) ?? 0) : 0),
    trades: (message) => (Array.isArray(message.data) ? message.data.length : 0),
  },
};

const [exchangeArg, wsUrl, streamList, perConnection] = process.argv.slice(2);
if (exchangeArg !== 'binance' && exchangeArg !== 'okx' && exchangeArg !== 'bybit') {
  console.error(`bare-client: exchange must be binance, okx or bybit, got ${String(exchangeArg)}`);
  process.exit(2);
}
const plan = plans[exchangeArg];
const streams = (streamList ?? '').split(',').filter(Boolean);
const size = Number(perConnection ?? 200);
let received = 0;
let trades = 0;
let acknowledged = 0;
let refused = 0;
const requestSizes = new Map<string, number>();
const sockets: WebSocket[] = [];

function open(group: string[]): void {
  const ws = new WebSocket(`${wsUrl}${plan.path(group)}`, { perMessageDeflate: false });
  sockets.push(ws);
  ws.on('open', () => {
    const requests = plan.requests(group);
    if (requests.length === 0) acknowledged += group.length;
    requests.forEach((subscribe, index) => {
      requestSizes.set(subscribe.id, subscribe.streams);
      setTimeout(() => ws.send(subscribe.text), Math.floor((index * 1000) / plan.requestsPerSecond));
    });
  });
  ws.on('message', (data) => {
    received += 1;
    const text = data.toString();
    // OKX answers its text `ping` with the bare text `pong`.
    if (text === 'pong') return;
    const message = JSON.parse(text) as Record<string, unknown>;
    trades += plan.trades(message);
    acknowledged += plan.acknowledged(message, requestSizes);
    if (message.event === 'error' || message.success === false) refused += 1;
  });
  ws.on('error', (error) => console.error(`bare-client: ${error.message}`));
}

chunks(streams, size).forEach((group, index) => setTimeout(() => open(group), index * plan.connectSpacingMs));

// Keepalive for the client-ping exchanges (OKX cuts a silent connection after 30 s, Bybit asks for a ping every 20 s).
const pings = setInterval(() => {
  for (const ws of sockets) if (ws.readyState === WebSocket.OPEN && exchangeArg !== 'binance') ws.send(exchangeArg === 'okx' ? 'ping' : '{"op":"ping"}');
}, 15_000);
pings.unref();
setInterval(() => console.log(JSON.stringify({ received, trades, subscribed: acknowledged >= streams.length, acknowledged, refused })), 1000);
