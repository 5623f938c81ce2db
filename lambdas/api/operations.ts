import type { APIGatewayProxyResult } from 'aws-lambda';
import type Redis from 'ioredis';
import type { Pool } from 'pg';
import { compareConfigPositions, type ConfigSnapshot } from '../../services/shared/config-snapshot';
import { errorMessage } from '../../services/shared/errors';
import type { Logger } from '../../services/shared/logger';
import { signStreamToken } from '../../services/shared/tokens';
import { appliedCommit, readAppliedCommits, readHeartbeats } from './cache/heartbeats';
import type { InstrumentLookup, InstrumentsReader } from './cache/instruments-reader';
import type { RatesReader } from './cache/rates-reader';
import type { SnapshotPublisher } from './cache/snapshot-publisher';
import { costLimitExceeded, notFound, validationError } from './errors';
import { reconcileSnapshot, unknownToDatabase, type ReconcileSources } from './reconcile';
import { csvResponse, etagOf, jsonResponse, notModified, parseEntityTags } from './http';
import type { OperationId } from './routes';
import {
  HISTORY_CSV_MAX_LIMIT,
  HISTORY_DEFAULT_LIMIT,
  HISTORY_MAX_LIMIT,
  RATES_DEFAULT_LIMIT,
  STREAM_TOKEN_TTL_SECONDS,
  type HistoryQuery,
  type ListRatesQuery,
  type ListSymbolsQuery,
  type PatchSettingsBody,
  type PutSymbolBody,
  type StatusDto,
  type StreamTokenBody,
} from './schemas';
import type { ConfigStore, Preconditions, WriteResult } from './store/config-store';
import type { HistoryStore } from './store/history-store';
import { checkInstrumentAdmission } from './store/pair-admission';
import { readConnectionStatus } from './store/status-store';
import { pageLimit } from './store/history-plan';
import { DEFAULT_STATEMENT_TIMEOUTS, type StatementTimeouts } from './config';
import { streamTokensNotConfigured, type SigningKeySource } from './tokens';

/** What the handler records; Powertools' Metrics in the Lambda, a recorder in tests. */
export interface ApiMetrics {
  addMetric(name: string, unit: 'Count' | 'Milliseconds', value: number): unknown;
}

export interface ApiDependencies {
  pool: Pool;
  redis: Redis;
  configStore: ConfigStore;
  historyStore: HistoryStore;
  rates: RatesReader;
  /** The instrument lists the collectors publish; absent, pairs are checked against trading_pairs only. */
  instruments?: InstrumentsReader;
  publisher: SnapshotPublisher;
  logger: Logger;
  metrics: ApiMetrics;
  openApiDocument: () => Record<string, unknown>;
  /** Per-route statement timeouts; default DEFAULT_STATEMENT_TIMEOUTS. */
  statementTimeouts?: StatementTimeouts;
  /** The stream token signing key; absent when the API has none configured (the route answers 503). */
  streamTokenKey?: SigningKeySource;
  now?: () => number;
  /** Ends the connections (the handler drops them after the database refused its credentials). */
  close?: () => Promise<void>;
}

export interface OperationRequest {
  pathParams: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
  headers: Map<string, string>;
  caller: string;
  requestId: string;
}

export type Operation = (request: OperationRequest, deps: ApiDependencies) => Promise<APIGatewayProxyResult>;

/** A heartbeat older than this means the collector stopped (it refreshes every 5 s). */
const HEARTBEAT_LIVE_MS = 20_000;
/** Collectors report connection status every 15 s through the queue; twice that plus ingest delay. */
const CONNECTION_STALE_MS = 60_000;
/** Rows older than this are not status any more (tasks replaced by deployments). */
const CONNECTION_HISTORY_MS = 3_600_000;
const HISTORY_DEFAULT_SPAN_MS = 3_600_000;

function preconditionsOf(headers: Map<string, string>): Preconditions {
  const ifMatch = parseEntityTags(headers.get('if-match'), 'if-match');
  const ifNoneMatch = parseEntityTags(headers.get('if-none-match'), 'if-none-match');
  if (ifNoneMatch !== undefined && ifNoneMatch !== '*') {
    throw validationError([{ field: 'header.if-none-match', reason: 'on a write only * (create only) is meaningful' }]);
  }
  return { ifMatch, ifNoneMatchAny: ifNoneMatch === '*' };
}

function ifNoneMatchHits(headers: Map<string, string>, version: number): boolean {
  const tags = parseEntityTags(headers.get('if-none-match'), 'if-none-match');
  return tags === '*' || (tags !== undefined && tags.includes(version));
}

/** What reconciliation reads, from the handler's connections. */
export function reconcileSourcesOf(deps: ApiDependencies): ReconcileSources {
  return { store: deps.configStore, publisher: deps.publisher, appliedCommits: () => readAppliedCommits(deps.redis), logger: deps.logger };
}

/**
 * After a committed write: publish the snapshot to Redis. A failure here does not
 * undo or fail the write (it is committed); reconciliation publishes it later,
 * and the response says so in X-Config-Published.
 */
async function publishAfterCommit(result: WriteResult<unknown>, deps: ApiDependencies, requestId: string): Promise<Record<string, string>> {
  if (result.committedVersion === undefined || !result.snapshot) return {};
  const headers: Record<string, string> = { 'X-Config-Version': String(result.committedVersion) };
  try {
    let published = await deps.publisher.publish(result.snapshot as ConfigSnapshot);
    if (!published) {
      // Redis already holds this version or a later one: normal when a concurrent
      // write or reconciliation got there first, divergence when Redis is ahead of
      // the database (restored database, reused Redis). Reconciliation settles both.
      const reconciled = await reconcileSnapshot(reconcileSourcesOf(deps));
      if (reconciled.diverged) deps.metrics.addMetric('ConfigVersionDivergence', 'Count', 1);
      const held = reconciled.publishedVersion === null ? null : { epoch: reconciled.publishedEpoch ?? 0, version: reconciled.publishedVersion };
      published = reconciled.republished || (!reconciled.diverged && held !== null && compareConfigPositions(held, result.snapshot) >= 0);
    }
    deps.metrics.addMetric(published ? 'ConfigPublished' : 'ConfigPublishFailures', 'Count', 1);
    headers['X-Config-Published'] = String(published);
  } catch (error) {
    deps.metrics.addMetric('ConfigPublishFailures', 'Count', 1);
    deps.logger.error('the config change is committed but publishing it to Redis failed; reconciliation will publish it', {
      requestId,
      version: result.committedVersion,
      error: errorMessage(error),
    });
    headers['X-Config-Published'] = 'false';
  }
  deps.metrics.addMetric('ConfigWrites', 'Count', 1);
  return headers;
}

const listSymbols: Operation = async (request, deps) => {
  const query = request.query as ListSymbolsQuery;
  const list = await deps.configStore.listSymbols({ exchange: query.exchange, enabled: query.enabled === undefined ? undefined : query.enabled === 'true' });
  if (ifNoneMatchHits(request.headers, list.version)) return notModified(etagOf(list.version));
  return jsonResponse(200, list, { ETag: etagOf(list.version) });
};

const getSymbol: Operation = async (request, deps) => {
  const { exchange, symbol } = request.pathParams;
  const found = await deps.configStore.getSymbol(exchange!, symbol!);
  if (!found) throw notFound(`${exchange}:${symbol} in the collection config`);
  if (ifNoneMatchHits(request.headers, found.version)) return notModified(etagOf(found.version));
  return jsonResponse(200, found, { ETag: etagOf(found.version) });
};

const putSymbol: Operation = async (request, deps) => {
  const { exchange, symbol } = request.pathParams;
  await checkListedByExchange(deps, exchange!, symbol!, (request.body as PutSymbolBody).enabled, request.requestId);
  const result = await deps.configStore.putSymbol(exchange!, symbol!, request.body as PutSymbolBody, request.caller, preconditionsOf(request.headers));
  const published = await publishAfterCommit(result, deps, request.requestId);
  deps.logger.info('symbol config written', { requestId: request.requestId, exchange, symbol, enabled: result.value.enabled, version: result.value.version, changed: result.committedVersion !== undefined, caller: request.caller });
  return jsonResponse(result.created ? 201 : 200, result.value, { ETag: etagOf(result.value.version), ...published });
};

/**
 * Refuses a pair the exchange's collector did not find in the exchange's
 * instrument list. Redis unavailable is not a reason to refuse a write the
 * database can take: the check is skipped, counted and logged (trading_pairs
 * still applies inside the write).
 */
async function checkListedByExchange(deps: ApiDependencies, exchange: string, symbol: string, enabled: boolean, requestId: string): Promise<void> {
  if (!deps.instruments) return;
  let lookup: InstrumentLookup;
  try {
    lookup = await deps.instruments.lookup(exchange, symbol);
  } catch (error) {
    deps.metrics.addMetric('InstrumentCheckSkipped', 'Count', 1);
    deps.logger.warn('instrument list unreadable; the pair is checked against trading_pairs only', { requestId, exchange, symbol, error: errorMessage(error) });
    return;
  }
  checkInstrumentAdmission(lookup, exchange, symbol, enabled);
}

const deleteSymbol: Operation = async (request, deps) => {
  const { exchange, symbol } = request.pathParams;
  const result = await deps.configStore.deleteSymbol(exchange!, symbol!, request.caller, preconditionsOf(request.headers));
  const published = await publishAfterCommit(result, deps, request.requestId);
  deps.logger.info('symbol config deleted', { requestId: request.requestId, exchange, symbol, version: result.value.version, caller: request.caller });
  return jsonResponse(200, { exchange: exchange!, symbol: symbol!, deleted: true, version: result.value.version }, { ETag: etagOf(result.value.version), ...published });
};

const getSettings: Operation = async (request, deps) => {
  const settings = await deps.configStore.getSettings();
  if (ifNoneMatchHits(request.headers, settings.version)) return notModified(etagOf(settings.version));
  return jsonResponse(200, settings, { ETag: etagOf(settings.version) });
};

const patchSettings: Operation = async (request, deps) => {
  const result = await deps.configStore.patchSettings(request.body as PatchSettingsBody, request.caller, preconditionsOf(request.headers));
  const published = await publishAfterCommit(result, deps, request.requestId);
  deps.logger.info('settings written', { requestId: request.requestId, changes: request.body, version: result.value.version, caller: request.caller });
  return jsonResponse(200, result.value, { ETag: etagOf(result.value.version), ...published });
};

const toNumber = (text: string | undefined): number => (text === undefined || text === '' ? 0 : Number(text));

const getStatus: Operation = async (_request, deps) => {
  const now = deps.now?.() ?? Date.now();
  const [connections, heartbeats, published] = await Promise.all([readConnectionStatus(deps.pool, CONNECTION_HISTORY_MS, (deps.statementTimeouts ?? DEFAULT_STATEMENT_TIMEOUTS).status), readHeartbeats(deps.redis), deps.publisher.publishedCommit()]);
  // After Redis, as reconciliation does: a write landing between the reads cannot make a collector look ahead.
  const database = await deps.configStore.currentCommit();
  const collectorIds = [...new Set([...heartbeats.keys(), ...connections.map((row) => row.collector_id)])].sort();
  const collectors: StatusDto['collectors'] = collectorIds.map((collectorId) => {
    const beat = heartbeats.get(collectorId);
    const heartbeatAt = beat?.heartbeatAt ? Date.parse(beat.heartbeatAt) : Number.NaN;
    const heartbeatAgeMs = Number.isFinite(heartbeatAt) ? Math.max(0, now - heartbeatAt) : Number.MAX_SAFE_INTEGER;
    return {
      collectorId,
      live: beat !== undefined && heartbeatAgeMs <= HEARTBEAT_LIVE_MS,
      heartbeat: beat
        ? {
            exchange: beat.exchange ?? '',
            state: beat.state ?? 'unknown',
            startedAt: beat.startedAt ?? '',
            heartbeatAt: beat.heartbeatAt ?? '',
            heartbeatAgeMs: Math.round(heartbeatAgeMs),
            shard: beat.shard ?? '',
            configVersion: beat.configVersion ? Number(beat.configVersion) : null,
            configEpoch: appliedCommit(beat)?.epoch ?? null,
            symbols: toNumber(beat.symbols),
            connections: toNumber(beat.connections),
            connectionsOpen: toNumber(beat.connectionsOpen),
            reconnects: toNumber(beat.reconnects),
            tradesProcessed: toNumber(beat.tradesProcessed),
            lastMessageAt: beat.lastMessageAt ? beat.lastMessageAt : null,
          }
        : null,
      connections: connections
        .filter((row) => row.collector_id === collectorId)
        .map((row) => {
          const ageMs = Math.max(0, Math.round(now - row.updated_at.getTime()));
          return {
            connectionId: row.connection_id,
            exchange: row.exchange,
            state: row.state,
            streams: row.streams,
            lastMessageAt: row.last_message_at?.toISOString() ?? null,
            reconnects: row.reconnects,
            errors: row.errors,
            updatedAt: row.updated_at.toISOString(),
            ageMs,
            stale: ageMs > CONNECTION_STALE_MS,
          };
        }),
    };
  });
  // A collector holding a configuration the database never committed ignores the database's until reconciliation starts a new epoch.
  const collectorsDiverged = [...heartbeats]
    .filter(([, beat]) => {
      const commit = appliedCommit(beat);
      return commit !== undefined && unknownToDatabase(commit, database);
    })
    .map(([collectorId]) => collectorId)
    .sort();
  const publishedMatches = published !== null && !unknownToDatabase(published, database) && compareConfigPositions(published, database) === 0;
  const body: StatusDto = {
    generatedAt: new Date(now).toISOString(),
    config: {
      version: database.version,
      epoch: database.epoch,
      publishedVersion: published?.version ?? null,
      publishedEpoch: published?.epoch ?? null,
      inSync: collectorsDiverged.length === 0 && (database.version === 0 || publishedMatches),
      collectorsDiverged,
    },
    collectors,
  };
  return jsonResponse(200, body);
};

const listRates: Operation = async (request, deps) => {
  const query = request.query as ListRatesQuery;
  if (query.order !== undefined && query.sort === undefined) throw validationError([{ field: 'query.order', reason: 'only meaningful with sort' }]);
  const rates =
    query.sort === undefined
      ? await deps.rates.list({ exchange: query.exchange, limit: query.limit ?? RATES_DEFAULT_LIMIT })
      : await deps.rates.top({ exchange: query.exchange ?? 'binance', sort: query.sort, order: query.order ?? 'desc', limit: query.limit ?? 20 });
  return jsonResponse(200, { count: rates.length, rates });
};

const getRate: Operation = async (request, deps) => {
  const { exchange, symbol } = request.pathParams;
  const rate = await deps.rates.get(exchange!, symbol!);
  if (!rate) throw notFound(`A live rate for ${exchange}:${symbol} (not collected, or no trade for longer than the key's TTL)`);
  return jsonResponse(200, rate);
};

const instant = (ms: number) => ({ iso: new Date(ms).toISOString(), epochMs: ms });

const getHistory: Operation = async (request, deps) => {
  const { exchange, symbol } = request.pathParams;
  const query = request.query as HistoryQuery;
  const toMs = query.to ?? deps.now?.() ?? Date.now();
  const fromMs = query.from ?? toMs - HISTORY_DEFAULT_SPAN_MS;
  if (!(fromMs < toMs)) throw validationError([{ field: 'query.from', reason: `must be before to (${new Date(toMs).toISOString()})` }]);
  // The cost bound, before any database work: 400 COST_LIMIT_EXCEEDED naming the largest limit.
  const csv = query.format === 'csv';
  if (!csv && query.limit !== undefined && query.limit > HISTORY_MAX_LIMIT) {
    throw costLimitExceeded('query.limit', `JSON pages hold at most ${HISTORY_MAX_LIMIT} rows; ask for format=csv (up to ${HISTORY_CSV_MAX_LIMIT} rows a page) or lower limit`);
  }
  const limit = pageLimit(query.interval, query.limit, { defaultLimit: HISTORY_DEFAULT_LIMIT, schemaMax: csv ? HISTORY_CSV_MAX_LIMIT : HISTORY_MAX_LIMIT });
  const pageRequest = { exchange: exchange!, symbol: symbol!, fromMs, toMs, interval: query.interval, limit, cursor: query.cursor };
  if (csv) {
    const page = await deps.historyStore.csvPage(pageRequest);
    return csvResponse(page.csv, { 'X-History-Source': page.source, ...(page.nextCursor ? { 'X-Next-Cursor': page.nextCursor } : {}) });
  }
  const page = await deps.historyStore.page(pageRequest);
  return jsonResponse(200, { exchange: exchange!, symbol: symbol!, interval: query.interval ?? null, source: page.source, from: instant(fromMs), to: instant(toMs), rows: page.rows, nextCursor: page.nextCursor });
};

const createStreamToken: Operation = async (request, deps) => {
  if (!deps.streamTokenKey) throw streamTokensNotConfigured();
  const ttlSeconds = (request.body as StreamTokenBody | undefined)?.ttlSeconds ?? STREAM_TOKEN_TTL_SECONDS.default;
  const secret = await deps.streamTokenKey.current();
  const { token, expiresAt, claims } = signStreamToken({ secret, ttlMs: ttlSeconds * 1000, subject: request.caller, now: deps.now?.() ?? Date.now() });
  deps.metrics.addMetric('StreamTokensIssued', 'Count', 1);
  // The jti, never the token: the log must not hold something that opens the stream.
  deps.logger.info('stream token issued', { requestId: request.requestId, jti: claims.jti, expiresAt, caller: request.caller });
  return jsonResponse(201, { token, expiresAt, ttlSeconds });
};

const getOpenApi: Operation = async (_request, deps) => jsonResponse(200, deps.openApiDocument());

export const OPERATIONS: Record<OperationId, Operation> = {
  listSymbols,
  getSymbol,
  putSymbol,
  deleteSymbol,
  getSettings,
  patchSettings,
  getStatus,
  listRates,
  getRate,
  getHistory,
  createStreamToken,
  getOpenApi,
};

