/**
 * How much PostgreSQL storage the history needs, from bytes per row measured on
 * this project's tables (`npm run bench -- storage`, docs/database.md "Sizing").
 * The stack's storage defaults and the free-storage alarm follow from it, so
 * changing a retention or the symbol count changes them in one place.
 */

/** Raw row with its share of the primary key, plain PostgreSQL 15 (storage bench). */
export const RAW_BYTES_PER_ROW = 206;
/** 1-minute rollup row with its share of the primary key, plain PostgreSQL 15 (storage bench). */
export const ROLLUP_BYTES_PER_ROW = 261;

/**
 * A day file's bytes per 1-minute bar (migration 0012: closed days' CSV text,
 * lz4 TOAST; storage bench, random prices, the least compressible shape).
 */
export const DAY_FILE_BYTES_PER_BAR = 135;
/** Day files are kept (and built) for this many days back (mdc_minute_day_files_from). */
export const DAY_FILE_DAYS = 92;

/** What the default deployment collects: `SYMBOLS=ALL` on Binance spot is about this many pairs. */
export const DEFAULT_SIZING_SYMBOLS = 1_500;
/** collection_settings defaults (migration 0010). */
export const DEFAULT_RAW_RETENTION_DAYS = 7;
export const DEFAULT_ROLLUP_RETENTION_DAYS = 730;

/**
 * Dead tuples of rewritten rows before autovacuum reclaims them, WAL, temporary
 * files and the other tables: the stored history is at most this share of the
 * storage.
 */
export const STORAGE_HEADROOM = 0.25;

const GIB = 1024 ** 3;

export interface HistorySizingInput {
  symbols: number;
  rawRetentionDays: number;
  rollupRetentionDays: number;
  /** Default 1,000 (one raw row per symbol per second). */
  persistIntervalMs?: number;
  rawBytesPerRow?: number;
  rollupBytesPerRow?: number;
  dayFileBytesPerBar?: number;
}

export interface HistorySizing {
  rawRowsPerDay: number;
  rollupRowsPerDay: number;
  rawGiBPerDay: number;
  rollupGiBPerDay: number;
  /** Raw rows on disk at the worst moment: retention plus the day being written (partitions drop whole days). */
  rawGiB: number;
  /** Rollup rows on disk at the worst moment: retention plus one month (partitions drop whole months). */
  rollupGiB: number;
  /** Day files at most: every symbol's every kept day read (DAY_FILE_DAYS, plus the day before maintenance drops it). */
  dayFilesGiB: number;
  /** Both tiers and the day files plus STORAGE_HEADROOM: the storage the deployment must be allowed to grow to. */
  requiredGiB: number;
}

export function historySizing(input: HistorySizingInput): HistorySizing {
  const rawRowsPerDay = input.symbols * (86_400_000 / (input.persistIntervalMs ?? 1_000));
  const rollupRowsPerDay = input.symbols * 1_440;
  const rawGiBPerDay = (rawRowsPerDay * (input.rawBytesPerRow ?? RAW_BYTES_PER_ROW)) / GIB;
  const rollupGiBPerDay = (rollupRowsPerDay * (input.rollupBytesPerRow ?? ROLLUP_BYTES_PER_ROW)) / GIB;
  const rawGiB = rawGiBPerDay * (input.rawRetentionDays + 1);
  const rollupGiB = rollupGiBPerDay * (input.rollupRetentionDays + 31);
  const dayFilesGiB = (rollupRowsPerDay * (input.dayFileBytesPerBar ?? DAY_FILE_BYTES_PER_BAR) * (DAY_FILE_DAYS + 1)) / GIB;
  return { rawRowsPerDay, rollupRowsPerDay, rawGiBPerDay, rollupGiBPerDay, rawGiB, rollupGiB, dayFilesGiB, requiredGiB: (rawGiB + rollupGiB + dayFilesGiB) / (1 - STORAGE_HEADROOM) };
}

/** The default deployment's history: 1,500 symbols, 7 days raw, 2 years of minutes. */
export const DEFAULT_HISTORY_SIZING = historySizing({
  symbols: DEFAULT_SIZING_SYMBOLS,
  rawRetentionDays: DEFAULT_RAW_RETENTION_DAYS,
  rollupRetentionDays: DEFAULT_ROLLUP_RETENTION_DAYS,
});

/**
 * Storage autoscaling may grow the instance to this: the default history's
 * requirement rounded up to the next 100 GiB.
 */
export const DEFAULT_MAX_ALLOCATED_STORAGE_GIB = Math.ceil(DEFAULT_HISTORY_SIZING.requiredGiB / 100) * 100;

/**
 * The free-storage alarm fires with one day of growth left (both tiers at the
 * default scale), rounded up to whole GiB: enough time to raise the maximum or
 * shorten a retention before writes fail.
 */
export const DEFAULT_FREE_STORAGE_ALARM_GIB = Math.ceil(DEFAULT_HISTORY_SIZING.rawGiBPerDay + DEFAULT_HISTORY_SIZING.rollupGiBPerDay);

/**
 * Storage autoscaling adds space when free space falls below 10 % of the
 * allocation. Starting at ten times the alarm threshold means autoscaling
 * always acts before the alarm would fire, until the maximum is reached, so
 * the alarm means "the maximum is near", never "autoscaling is about to run".
 */
export const DEFAULT_ALLOCATED_STORAGE_GIB = Math.ceil((DEFAULT_FREE_STORAGE_ALARM_GIB * 10) / 10) * 10;
