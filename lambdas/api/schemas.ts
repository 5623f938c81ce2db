import { z } from 'zod';
import { EXCHANGE_PATTERN, RATE_FLAGS, SYMBOL_PATTERN } from '../../services/shared/rates';

/**
 * Request and response schemas of the config API. The same objects validate
 * requests in the handler and generate the OpenAPI document (openapi.ts), so the
 * document cannot describe something the handler does not enforce.
 *
 * Request objects are strict: an unknown field or query parameter is a 400, not
 * silently ignored, so a typo (`enable` for `enabled`) never looks like success.
 */


export const exchangeSchema = z
  .string()
  .regex(EXCHANGE_PATTERN, 'lower-case letters and digits, 2 to 20 characters (e.g. binance)')
  .meta({ description: 'Exchange id', example: 'binance' });

export const symbolSchema = z
  .string()
  .regex(SYMBOL_PATTERN, 'upper-case letters and digits, 2 to 20 characters (e.g. BTCUSDT)')
  .meta({ description: 'Exchange symbol, upper case', example: 'BTCUSDT' });

/** Stream kinds the collector can subscribe per symbol. The rate engine is built on aggregated trades. */
export const STREAM_KINDS = ['aggTrade'] as const;
export const streamKindSchema = z.enum(STREAM_KINDS);

export const pairPathSchema = z.strictObject({ exchange: exchangeSchema, symbol: symbolSchema });

// ---------------------------------------------------------------------------
// Errors

export const errorDetailSchema = z.object({
  field: z.string().meta({ description: 'Where the problem is: `body.enabled`, `query.limit`, `path.symbol`, `header.if-match`' }),
  reason: z.string(),
});

export const errorResponseSchema = z
  .object({
    error: z.object({
      code: z.string().meta({ example: 'VALIDATION_FAILED' }),
      message: z.string(),
      details: z.array(errorDetailSchema).optional(),
    }),
  })
  .meta({ id: 'Error' });

// ---------------------------------------------------------------------------
// Symbols (collection_config)

export const symbolConfigSchema = z
  .object({
    exchange: exchangeSchema,
    symbol: symbolSchema,
    enabled: z.boolean(),
    streams: z.array(streamKindSchema),
    version: z.number().int().meta({ description: 'Config version of the last change to this symbol; its ETag' }),
    updatedAt: z.string().meta({ description: 'ISO-8601, UTC' }),
    updatedBy: z.string().meta({ description: 'IAM ARN of the caller that made the last change' }),
  })
  .meta({ id: 'SymbolConfig' });

export const listSymbolsQuerySchema = z.strictObject({
  exchange: exchangeSchema.optional(),
  enabled: z.enum(['true', 'false']).optional().meta({ description: 'Only enabled (true) or disabled (false) symbols' }),
});

export const symbolListSchema = z
  .object({
    version: z.number().int().meta({ description: 'Current config version (also the ETag)' }),
    symbols: z.array(symbolConfigSchema),
  })
  .meta({ id: 'SymbolList' });

export const putSymbolBodySchema = z
  .strictObject({
    enabled: z.boolean(),
    streams: z
      .array(streamKindSchema)
      .min(1)
      .max(STREAM_KINDS.length)
      .refine((streams) => new Set(streams).size === streams.length, 'streams must not repeat')
      .optional()
      .meta({ description: 'Stream kinds to subscribe; default ["aggTrade"]' }),
  })
  .meta({ id: 'PutSymbol' });

export const deletedSymbolSchema = z
  .object({ exchange: exchangeSchema, symbol: symbolSchema, deleted: z.literal(true), version: z.number().int() })
  .meta({ id: 'DeletedSymbol' });

// ---------------------------------------------------------------------------
// Settings (collection_settings): the ranges match runtimeSettingsSchema and the table's CHECKs.

export const SETTING_RANGES = {
  persistIntervalMs: { min: 100, max: 3_600_000 },
  anomalyThresholdPct: { min: 0.001, max: 1000 },
  staleAfterMs: { min: 1000, max: 86_400_000 },
  maxStreamsPerConnection: { min: 1, max: 1024 },
} as const;

const persistIntervalMs = z.number().int().min(SETTING_RANGES.persistIntervalMs.min).max(SETTING_RANGES.persistIntervalMs.max);
const anomalyThresholdPct = z.number().min(SETTING_RANGES.anomalyThresholdPct.min).max(SETTING_RANGES.anomalyThresholdPct.max);
const staleAfterMs = z.number().int().min(SETTING_RANGES.staleAfterMs.min).max(SETTING_RANGES.staleAfterMs.max);
const maxStreamsPerConnection = z.number().int().min(SETTING_RANGES.maxStreamsPerConnection.min).max(SETTING_RANGES.maxStreamsPerConnection.max);

export const settingsSchema = z
  .object({
    persistIntervalMs: persistIntervalMs.nullable().meta({ description: 'History row interval (ms); null: collector default (PERSIST_INTERVAL_MS)' }),
    anomalyThresholdPct: anomalyThresholdPct.nullable().meta({ description: 'Jump from the recent median flagged `anomaly` (%); null: default' }),
    staleAfterMs: staleAfterMs.nullable().meta({ description: 'Silence after which a symbol is flagged `stale` (ms); null: default' }),
    maxStreamsPerConnection: maxStreamsPerConnection.nullable().meta({ description: 'Streams per WebSocket connection; null: MAX_STREAMS_PER_CONNECTION' }),
    version: z.number().int(),
    updatedAt: z.string(),
    updatedBy: z.string(),
  })
  .meta({ id: 'Settings' });

export const patchSettingsBodySchema = z
  .strictObject({
    persistIntervalMs: persistIntervalMs.nullable().optional(),
    anomalyThresholdPct: anomalyThresholdPct.nullable().optional(),
    staleAfterMs: staleAfterMs.nullable().optional(),
    maxStreamsPerConnection: maxStreamsPerConnection.nullable().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'give at least one setting; null resets one to the collector default')
  .meta({ id: 'PatchSettings', description: 'Fields to change; null resets a setting to the collector default' });

// ---------------------------------------------------------------------------
// Status

export const connectionStatusSchema = z.object({
  connectionId: z.string(),
  exchange: z.string(),
  state: z.string(),
  streams: z.number().int(),
  lastMessageAt: z.string().nullable(),
  reconnects: z.number().int(),
  errors: z.number().int(),
  updatedAt: z.string(),
  ageMs: z.number().int().meta({ description: 'How old this row is (now - updatedAt)' }),
  stale: z.boolean().meta({ description: 'Older than the stale threshold: the collector stopped reporting it' }),
});

export const collectorStatusSchema = z
  .object({
    collectorId: z.string(),
    live: z.boolean().meta({ description: 'A Redis heartbeat exists and is recent' }),
    heartbeat: z
      .object({
        exchange: z.string(),
        state: z.string(),
        startedAt: z.string(),
        heartbeatAt: z.string(),
        heartbeatAgeMs: z.number().int(),
        shard: z.string(),
        configVersion: z.number().int().nullable(),
        configEpoch: z.number().int().nullable().meta({ description: 'Epoch of the applied config; null while the collector collects its SYMBOLS variable' }),
        symbols: z.number().int(),
        connections: z.number().int(),
        connectionsOpen: z.number().int(),
        reconnects: z.number().int(),
        tradesProcessed: z.number().int(),
        lastMessageAt: z.string().nullable().meta({ description: 'Newest frame received on any of its connections (ISO-8601); null before the first, or from a collector older than this field' }),
      })
      .nullable(),
    connections: z.array(connectionStatusSchema),
  })
  .meta({ id: 'CollectorStatus' });

export const statusResponseSchema = z
  .object({
    generatedAt: z.string(),
    config: z.object({
      version: z.number().int().meta({ description: 'Committed config version in PostgreSQL' }),
      epoch: z.number().int().meta({ description: 'Committed config epoch: moves on when the database was found behind Redis or a collector (a restore)' }),
      publishedVersion: z.number().int().nullable().meta({ description: 'Version of the snapshot in Redis' }),
      publishedEpoch: z.number().int().nullable().meta({ description: 'Epoch of the snapshot in Redis' }),
      inSync: z.boolean().meta({ description: 'Redis holds the committed configuration, and no collector holds one the database never committed' }),
      collectorsDiverged: z
        .array(z.string())
        .meta({ description: 'Collectors holding a configuration the database never committed (a later epoch or version, or the same version committed at another time): the database went back (a restore); reconciliation starts a new epoch' }),
    }),
    collectors: z.array(collectorStatusSchema),
  })
  .meta({ id: 'Status' });

// ---------------------------------------------------------------------------
// Latest rates (Redis)

export const RATE_SORT_FIELDS = ['change_1m', 'change_5m', 'change_15m'] as const;

export const rateSchema = z
  .object({
    exchange: exchangeSchema,
    symbol: symbolSchema,
    price: z.string().meta({ description: 'Exchange price string, exact', example: '97123.45000000' }),
    ts: z.number().int().meta({ description: 'Evaluation time, epoch ms (exchange clock)' }),
    time: z.string().meta({ description: '`ts` as ISO-8601, UTC' }),
    tradeTs: z.number().int().meta({ description: 'Time of the trade behind `price`, epoch ms' }),
    change_1m: z.number().nullable().meta({ description: 'Percent; null when unknown' }),
    change_5m: z.number().nullable(),
    change_15m: z.number().nullable(),
    flags: z.array(z.enum(RATE_FLAGS)),
  })
  .meta({ id: 'Rate' });

const limitParam = (max: number, description: string) =>
  z
    .string()
    .regex(/^[0-9]{1,6}$/, 'a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1).max(max))
    // Documented as the integer it is, not as the digit string a query carries.
    .meta({
      description,
      override: ({ jsonSchema }: { jsonSchema: Record<string, unknown> }) => {
        delete jsonSchema.pattern;
        Object.assign(jsonSchema, { type: 'integer', minimum: 1, maximum: max });
      },
    });

/** Cost bound of /v1/rates: symbols returned (HGETALLs) per request. */
export const RATES_MAX_LIMIT = 5000;
/** Without `sort`, every symbol up to the bound (a deployment collects ~1,500). */
export const RATES_DEFAULT_LIMIT = RATES_MAX_LIMIT;

export const listRatesQuerySchema = z.strictObject({
  exchange: exchangeSchema.optional().meta({ description: 'Only this exchange; required with `sort` unless it is binance (the default)' }),
  sort: z.enum(RATE_SORT_FIELDS).optional().meta({ description: 'Top movers by this change, from the rank sets' }),
  order: z.enum(['asc', 'desc']).optional().meta({ description: 'With `sort`; default desc' }),
  limit: limitParam(RATES_MAX_LIMIT, `Symbols returned. Default 20 with sort, else every symbol up to ${RATES_MAX_LIMIT} (the cost bound: 400 beyond it)`).optional(),
});

export const rateListSchema = z
  .object({ count: z.number().int(), rates: z.array(rateSchema) })
  .meta({ id: 'RateList' });

// ---------------------------------------------------------------------------
// History (price_change_rates)

/** 1s aggregates raw rows; 1m and coarser aggregate the 1-minute rollup (price_change_rates_1m). */
export const HISTORY_INTERVALS = ['1s', '1m', '5m', '15m', '1h', '4h', '1d'] as const;
export const HISTORY_MAX_LIMIT = 5000;
/** CSV rows per page: a month of 1-minute bars (31 days), the rollup cost bound. */
export const HISTORY_CSV_MAX_LIMIT = 44_640;
export const HISTORY_FORMATS = ['json', 'csv'] as const;
export const HISTORY_DEFAULT_LIMIT = 1000;

/** ISO-8601 with any offset (or Z), or epoch milliseconds. */
const instantParam = z
  .string()
  .refine((value) => /^[0-9]{1,15}$/.test(value) || (z.iso.datetime({ offset: true }).safeParse(value).success && !Number.isNaN(Date.parse(value))), 'ISO-8601 with an offset (2026-11-25T10:00:00+01:00, or Z) or epoch milliseconds')
  .transform((value) => (/^[0-9]+$/.test(value) ? Number(value) : Date.parse(value)))
  .meta({ description: 'ISO-8601 with an offset or Z, or epoch milliseconds', example: '2026-11-25T10:00:00Z' });

export const historyQuerySchema = z.strictObject({
  from: instantParam.optional().meta({ description: 'Inclusive; default `to` minus 1 hour' }),
  to: instantParam.optional().meta({ description: 'Exclusive; default now' }),
  interval: z
    .enum(HISTORY_INTERVALS)
    .optional()
    .meta({ description: 'Aggregate into buckets of this size: 1s from the raw rows, 1m and coarser from the 1-minute rollup. Absent: raw rows (rollup minutes for the part of the range older than raw retention)' }),
  limit: limitParam(
    HISTORY_CSV_MAX_LIMIT,
    `Rows per page, default ${HISTORY_DEFAULT_LIMIT} (clipped to the interval's bound); at most ${HISTORY_MAX_LIMIT} as JSON, ${HISTORY_CSV_MAX_LIMIT} as CSV. Cost bound: a page reads at most 44,640 one-minute rows (31 days), so limit x interval must not exceed 31 days (1h: 744, 4h: 186, 1d: 31); beyond it 400 COST_LIMIT_EXCEEDED`,
  ).optional(),
  format: z
    .enum(HISTORY_FORMATS)
    .optional()
    .meta({
      description:
        'json (default) or csv: `text/csv` with a header line (raw rows: time,price,change_1m,change_5m,change_15m,flags; bars: time,open,high,low,close,change_1m,change_5m,change_15m,flags,rows; flags joined by |), the source in `X-History-Source` and the next page in `X-Next-Cursor`. CSV pages hold up to 44,640 rows: a month of 1-minute bars in one request',
    }),
  cursor: z.string().regex(/^[A-Za-z0-9_-]{1,200}$/, 'a cursor returned as nextCursor').optional().meta({ description: '`nextCursor` of the previous page' }),
});

export const instantSchema = z.object({ iso: z.string(), epochMs: z.number().int() });

export const historyRowSchema = z
  .object({
    time: z.string().meta({ description: 'Row (or bucket start) time, ISO-8601 UTC' }),
    timeMs: z.number().int().meta({ description: '`time` as epoch ms' }),
    price: z.string().meta({ description: 'Last price in the row or bucket, exact' }),
    open: z.string().optional().meta({ description: 'Buckets and rollup minutes only: first price' }),
    high: z.string().optional(),
    low: z.string().optional(),
    rows: z.number().int().optional().meta({ description: 'Buckets and rollup minutes only: raw rows aggregated' }),
    change_1m: z.number().nullable(),
    change_5m: z.number().nullable(),
    change_15m: z.number().nullable(),
    flags: z.array(z.string()),
  })
  .meta({ id: 'HistoryRow' });

export const historyResponseSchema = z
  .object({
    exchange: exchangeSchema,
    symbol: symbolSchema,
    interval: z.enum(HISTORY_INTERVALS).nullable(),
    source: z
      .enum(['raw', 'rollup'])
      .meta({ description: 'Table this page came from: raw (price_change_rates) or rollup (price_change_rates_1m, 1-minute rows). A range straddling raw retention pages from rollup to raw' }),
    from: instantSchema,
    to: instantSchema,
    rows: z.array(historyRowSchema),
    nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page' }),
  })
  .meta({ id: 'History' });

// ---------------------------------------------------------------------------
// Stream tokens (the gateway's GATEWAY_AUTH=token)

/** Lifetimes a caller may ask for: long enough to connect and reconnect a while, short enough that a leaked token expires soon. */
export const STREAM_TOKEN_TTL_SECONDS = { min: 60, max: 3600, default: 900 } as const;

export const streamTokenBodySchema = z
  .strictObject({
    ttlSeconds: z
      .number()
      .int()
      .min(STREAM_TOKEN_TTL_SECONDS.min)
      .max(STREAM_TOKEN_TTL_SECONDS.max)
      .optional()
      .meta({ description: `Lifetime of the token in seconds, ${STREAM_TOKEN_TTL_SECONDS.min} to ${STREAM_TOKEN_TTL_SECONDS.max}; default ${STREAM_TOKEN_TTL_SECONDS.default}` }),
  })
  .meta({ id: 'StreamTokenRequest', description: 'Optional; an empty body takes the defaults' });

export const streamTokenSchema = z
  .object({
    token: z.string().meta({ description: 'Pass to the gateway as `?token=` (WebSocket, SSE) or `Authorization: Bearer`; secret until it expires', example: 'v1.eyJleHAiOjE3...' }),
    expiresAt: z.string().meta({ description: 'ISO-8601, UTC; the gateway refuses the token from then on (connections it already accepted stay open)' }),
    ttlSeconds: z.number().int(),
  })
  .meta({ id: 'StreamToken' });

export type SymbolConfigDto = z.infer<typeof symbolConfigSchema>;
export type SettingsDto = z.infer<typeof settingsSchema>;
export type PatchSettingsBody = z.infer<typeof patchSettingsBodySchema>;
export type PutSymbolBody = z.infer<typeof putSymbolBodySchema>;
export type RateDto = z.infer<typeof rateSchema>;
export type StatusDto = z.infer<typeof statusResponseSchema>;
export type HistoryQuery = z.infer<typeof historyQuerySchema>;
export type HistoryRowDto = z.infer<typeof historyRowSchema>;
export type HistoryResponse = z.infer<typeof historyResponseSchema>;
export type ListRatesQuery = z.infer<typeof listRatesQuerySchema>;
export type ListSymbolsQuery = z.infer<typeof listSymbolsQuerySchema>;
export type StreamTokenBody = z.infer<typeof streamTokenBodySchema>;
