import { BINANCE_REST_WEIGHT_LIMIT_1M, BINANCE_WS_LIMITS } from '../shared/binance';
import { SimulatorConfigError } from './errors';
import { type ExchangeId, isExchangeId } from './exchanges/types';

/** Idle cuts of the client-ping exchanges: OKX's documented 30 s; Bybit's 10 min (its documented default `max_active_time`). */
export const DEFAULT_IDLE_TIMEOUT_MS: Record<Exclude<ExchangeId, 'binance'>, number> = { okx: 30_000, bybit: 600_000 };

export interface SimulatorOptions {
  /** Whose public spot protocol to speak. Default binance. */
  exchange?: ExchangeId;
  /** 0 picks an ephemeral port. Default 9443 (Binance's stream port). */
  port?: number;
  host?: string;
  /** How many synthetic symbols (default 200, up to 5,340), or an explicit list of pairs. */
  symbols?: number | string[];
  /** Aggregate trades a second across all symbols. Default 1,000. */
  rate?: number;
  seed?: number;
  /** A real `GET /api/v3/exchangeInfo` response: its symbols replace the synthetic universe. */
  exchangeInfoFile?: string;
  /** OKX only: a real `GET /api/v5/public/instruments?instType=SPOT` response; its instruments replace the synthetic universe. */
  instrumentsFile?: string;
  /** Recorded combined-stream JSON lines (or, for OKX, an OKX capture) to replay instead of generating trades. */
  replayFile?: string;
  /** Replay speed factor. Default 1. */
  speed?: number;
  /** Binance: server ping period. */
  pingIntervalMs?: number;
  /** Binance: a connection whose pong is this late is cut. */
  pongTimeoutMs?: number;
  /** OKX and Bybit: an idle connection is cut after this long (OKX 30 s, Bybit 10 min). */
  idleTimeoutMs?: number;
  /** OKX: connection attempts per second per IP (3). Bybit: per 5 minutes (500). */
  maxConnectsPerWindow?: number;
  /** Bybit: how long an IP that passed 600 REST requests in 5 s is refused with 403. Default 10 min. */
  ipBanMs?: number;
  /** Default 24 h on Binance; OKX and Bybit document no age cut (Infinity). */
  maxConnectionAgeMs?: number;
  /** How long before the age cut `serverShutdown` is sent. Default min(10 min, age / 10). */
  shutdownNoticeMs?: number;
  /** Minutes of synthetic history generated at start. Default 20. */
  historyMinutes?: number;
  /** Minutes of trades kept per symbol for aggTrades. Default 30. */
  retentionMinutes?: number;
  /** Cap of trades kept per symbol whatever the retention. Default 250,000. */
  maxTradesPerSymbol?: number;
  restWeightLimit?: number;
  /** A connection whose unsent bytes exceed this is disconnected as a slow consumer. Default 16 MiB. */
  maxBufferedBytes?: number;
  /** Annualised volatility of the random walk. Default 0.8. */
  volatility?: number;
  /** Trade generation period. Default 10 ms. */
  tickMs?: number;
  /** Most replay events accepted from a file. Default 2,000,000. */
  maxReplayEvents?: number;
  logLevel?: string;
}

type OptionalKeys = 'exchangeInfoFile' | 'instrumentsFile' | 'replayFile' | 'logLevel' | 'maxConnectsPerWindow' | 'ipBanMs';
export type SimulatorConfig = Required<Omit<SimulatorOptions, OptionalKeys>> & Pick<SimulatorOptions, OptionalKeys>;

/** Pre-history is generated at most at this rate so start-up stays well under a second. */
export const PREHISTORY_MAX_RATE = 250;

function positive(name: string, value: number, allowZero = false): number {
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) throw new SimulatorConfigError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${value}`);
  return value;
}

export function resolveOptions(options: SimulatorOptions): SimulatorConfig {
  const exchange = options.exchange ?? 'binance';
  if (!isExchangeId(exchange)) throw new SimulatorConfigError(`exchange must be one of binance, okx, bybit, got ${String(exchange)}`);
  if (options.instrumentsFile !== undefined && exchange !== 'okx') throw new SimulatorConfigError('instrumentsFile is an OKX instruments response; use it with exchange okx (binance takes exchangeInfoFile)');
  if (options.exchangeInfoFile !== undefined && exchange !== 'binance') throw new SimulatorConfigError(`exchangeInfoFile is a Binance exchangeInfo response; exchange ${exchange} cannot serve it${exchange === 'okx' ? ' (use instrumentsFile)' : ''}`);
  // OKX and Bybit document no age cut: Infinity unless asked for.
  const maxConnectionAgeMs =
    options.maxConnectionAgeMs === undefined && exchange !== 'binance' ? Number.POSITIVE_INFINITY : positive('maxConnectionAgeMs', options.maxConnectionAgeMs ?? BINANCE_WS_LIMITS.maxConnectionAgeMs);
  const idleDefault = exchange === 'binance' ? DEFAULT_IDLE_TIMEOUT_MS.okx : DEFAULT_IDLE_TIMEOUT_MS[exchange];
  const port = options.port ?? 9443;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new SimulatorConfigError(`port must be 0-65535, got ${port}`);
  const symbols = options.symbols ?? 200;
  if (Array.isArray(symbols) ? symbols.length === 0 : !Number.isInteger(symbols) || symbols < 1) throw new SimulatorConfigError('symbols must be a positive integer or a non-empty list');
  return {
    exchange,
    instrumentsFile: options.instrumentsFile,
    idleTimeoutMs: positive('idleTimeoutMs', options.idleTimeoutMs ?? idleDefault),
    maxConnectsPerWindow: options.maxConnectsPerWindow === undefined ? undefined : Math.trunc(positive('maxConnectsPerWindow', options.maxConnectsPerWindow)),
    ipBanMs: options.ipBanMs === undefined ? undefined : positive('ipBanMs', options.ipBanMs),
    port,
    host: options.host ?? '127.0.0.1',
    symbols,
    rate: positive('rate', options.rate ?? 1000, true),
    seed: Math.trunc(options.seed ?? 1),
    exchangeInfoFile: options.exchangeInfoFile,
    replayFile: options.replayFile,
    speed: positive('speed', options.speed ?? 1),
    pingIntervalMs: positive('pingIntervalMs', options.pingIntervalMs ?? BINANCE_WS_LIMITS.pingIntervalMs),
    pongTimeoutMs: positive('pongTimeoutMs', options.pongTimeoutMs ?? BINANCE_WS_LIMITS.pongTimeoutMs),
    maxConnectionAgeMs,
    shutdownNoticeMs: positive('shutdownNoticeMs', options.shutdownNoticeMs ?? Math.min(600_000, maxConnectionAgeMs / 10), true),
    historyMinutes: positive('historyMinutes', options.historyMinutes ?? 20, true),
    retentionMinutes: positive('retentionMinutes', options.retentionMinutes ?? 30),
    maxTradesPerSymbol: Math.trunc(positive('maxTradesPerSymbol', options.maxTradesPerSymbol ?? 250_000)),
    restWeightLimit: positive('restWeightLimit', options.restWeightLimit ?? BINANCE_REST_WEIGHT_LIMIT_1M),
    maxBufferedBytes: positive('maxBufferedBytes', options.maxBufferedBytes ?? 16 * 1024 * 1024),
    volatility: positive('volatility', options.volatility ?? 0.8, true),
    tickMs: positive('tickMs', options.tickMs ?? 10),
    maxReplayEvents: Math.trunc(positive('maxReplayEvents', options.maxReplayEvents ?? 2_000_000)),
    logLevel: options.logLevel,
  };
}
