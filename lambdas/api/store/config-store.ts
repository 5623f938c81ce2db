import type { Pool, PoolClient } from 'pg';
import type { ConfigCommit, ConfigPosition, ConfigSnapshot, RuntimeSettings } from '../../../services/shared/config-snapshot';
import { ApiError, notFound, preconditionFailed } from '../errors';
import { checkPairAdmission } from './pair-admission';
import type { PatchSettingsBody, PutSymbolBody, SettingsDto, SymbolConfigDto } from '../schemas';

/**
 * collection_config, collection_settings and config_state: PostgreSQL is the
 * source of truth of the configuration; Redis holds its projection (the
 * snapshot), published after each commit (cache/snapshot-publisher.ts).
 *
 * Every write runs in one transaction that first takes config_state's row lock
 * and draws the next version: writes are serialized, so versions commit in the
 * order they were drawn and the snapshot built inside the transaction is exactly
 * the configuration at that version.
 */

export interface WriteResult<T> {
  value: T;
  /** The config version this write committed; `undefined` when nothing changed (no new version). */
  committedVersion: number | undefined;
  /** The snapshot at `committedVersion`, to publish. */
  snapshot: ConfigSnapshot | undefined;
  created?: boolean;
}

/** `If-Match` / `If-None-Match` as the handler parsed them. */
export interface Preconditions {
  /** Versions the client accepts as current; `'*'` = any existing. */
  ifMatch?: number[] | '*';
  /** `If-None-Match: *` on a write: create only. */
  ifNoneMatchAny?: boolean;
}

interface SymbolRow {
  exchange: string;
  symbol: string;
  enabled: boolean;
  streams: string[];
  version: string;
  updated_at: Date;
  updated_by: string;
}

interface SettingsRow {
  persist_interval_ms: number | null;
  anomaly_threshold_pct: number | null;
  stale_after_ms: number | null;
  max_streams_per_connection: number | null;
  version: string;
  updated_at: Date;
  updated_by: string;
}

const DEFAULT_STREAMS = ['aggTrade'];

const SETTING_COLUMNS: Record<keyof PatchSettingsBody, string> = {
  persistIntervalMs: 'persist_interval_ms',
  anomalyThresholdPct: 'anomaly_threshold_pct',
  staleAfterMs: 'stale_after_ms',
  maxStreamsPerConnection: 'max_streams_per_connection',
};

function toSymbolDto(row: SymbolRow): SymbolConfigDto {
  return {
    exchange: row.exchange,
    symbol: row.symbol,
    enabled: row.enabled,
    streams: (row.streams.length > 0 ? row.streams : DEFAULT_STREAMS) as SymbolConfigDto['streams'],
    version: Number(row.version),
    updatedAt: row.updated_at.toISOString(),
    updatedBy: row.updated_by,
  };
}

function toSettingsDto(row: SettingsRow): SettingsDto {
  return {
    persistIntervalMs: row.persist_interval_ms,
    anomalyThresholdPct: row.anomaly_threshold_pct,
    staleAfterMs: row.stale_after_ms,
    maxStreamsPerConnection: row.max_streams_per_connection,
    version: Number(row.version),
    updatedAt: row.updated_at.toISOString(),
    updatedBy: row.updated_by,
  };
}

function runtimeSettings(row: SettingsRow): RuntimeSettings {
  const settings: RuntimeSettings = {};
  if (row.persist_interval_ms !== null) settings.persistIntervalMs = row.persist_interval_ms;
  if (row.anomaly_threshold_pct !== null) settings.anomalyThresholdPct = row.anomaly_threshold_pct;
  if (row.stale_after_ms !== null) settings.staleAfterMs = row.stale_after_ms;
  if (row.max_streams_per_connection !== null) settings.maxStreamsPerConnection = row.max_streams_per_connection;
  return settings;
}

function checkPreconditions(current: number | undefined, preconditions: Preconditions, what: string): void {
  const { ifMatch, ifNoneMatchAny } = preconditions;
  if (ifNoneMatchAny && current !== undefined) throw preconditionFailed(`${what} already exists (version ${current}) and If-None-Match: * asks to create only`);
  if (ifMatch === undefined) return;
  if (current === undefined) throw preconditionFailed(`${what} does not exist, so If-Match cannot match`);
  if (ifMatch !== '*' && !ifMatch.includes(current)) {
    throw preconditionFailed(`${what} changed: it is at version ${current}, the request was based on ${ifMatch.join(', ')}. Read it again and retry`);
  }
}

/** Reads that must see one consistent state (a list and its version, a snapshot). */
const READ_SNAPSHOT = 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY';

const SYMBOL_COLUMNS = 'exchange, symbol, enabled, streams, version, updated_at, updated_by';
const SETTINGS_COLUMNS = 'persist_interval_ms, anomaly_threshold_pct, stale_after_ms, max_streams_per_connection, version, updated_at, updated_by';

export class ConfigStore {
  constructor(private readonly pool: Pool) {}

  async currentVersion(client: Pool | PoolClient = this.pool): Promise<number> {
    const { rows } = await client.query<{ version: string }>('SELECT version FROM config_state');
    return Number(rows[0]?.version ?? 0);
  }

  /** The committed epoch and version, and when they were committed (the snapshot's `updatedAt`). */
  async currentCommit(): Promise<Required<ConfigCommit>> {
    const { rows } = await this.pool.query<{ epoch: string; version: string; updated_at: Date }>('SELECT epoch, version, updated_at FROM config_state');
    const row = rows[0];
    return { epoch: Number(row?.epoch ?? 0), version: Number(row?.version ?? 0), updatedAt: row?.updated_at.toISOString() ?? '' };
  }

  async listSymbols(filter: { exchange?: string; enabled?: boolean }): Promise<{ version: number; symbols: SymbolConfigDto[] }> {
    // One snapshot for the list and its version, so the ETag describes exactly this list.
    return this.transaction(READ_SNAPSHOT, async (client) => {
      const version = await this.currentVersion(client);
      const { rows } = await client.query<SymbolRow>(
        `SELECT ${SYMBOL_COLUMNS} FROM collection_config
          WHERE ($1::text IS NULL OR exchange = $1) AND ($2::boolean IS NULL OR enabled = $2)
          ORDER BY exchange, symbol`,
        [filter.exchange ?? null, filter.enabled ?? null],
      );
      return { version, symbols: rows.map(toSymbolDto) };
    });
  }

  async getSymbol(exchange: string, symbol: string): Promise<SymbolConfigDto | undefined> {
    const { rows } = await this.pool.query<SymbolRow>(`SELECT ${SYMBOL_COLUMNS} FROM collection_config WHERE exchange = $1 AND symbol = $2`, [exchange, symbol]);
    return rows[0] ? toSymbolDto(rows[0]) : undefined;
  }

  async getSettings(): Promise<SettingsDto> {
    const { rows } = await this.pool.query<SettingsRow>(`SELECT ${SETTINGS_COLUMNS} FROM collection_settings`);
    return toSettingsDto(rows[0]!);
  }

  async putSymbol(exchange: string, symbol: string, body: PutSymbolBody, caller: string, preconditions: Preconditions): Promise<WriteResult<SymbolConfigDto>> {
    return this.write(caller, async (client, nextVersion) => {
      const { rows: existingRows } = await client.query<SymbolRow>(`SELECT ${SYMBOL_COLUMNS} FROM collection_config WHERE exchange = $1 AND symbol = $2 FOR UPDATE`, [exchange, symbol]);
      const existing = existingRows[0];
      checkPreconditions(existing ? Number(existing.version) : undefined, preconditions, `${exchange}:${symbol}`);
      const streams = body.streams ?? DEFAULT_STREAMS;
      if (existing && existing.enabled === body.enabled && sameStreams(existing.streams.length > 0 ? existing.streams : DEFAULT_STREAMS, streams)) {
        return { value: toSymbolDto(existing), changed: false, created: false };
      }
      await this.checkListedPair(client, exchange, symbol, body.enabled);
      const version = await nextVersion();
      const { rows } = await client.query<SymbolRow>(
        `INSERT INTO collection_config (exchange, symbol, enabled, streams, version, updated_at, updated_by)
         VALUES ($1, $2, $3, $4, $5, now(), $6)
         ON CONFLICT (exchange, symbol) DO UPDATE
           SET enabled = EXCLUDED.enabled, streams = EXCLUDED.streams, version = EXCLUDED.version,
               updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
         RETURNING ${SYMBOL_COLUMNS}`,
        [exchange, symbol, body.enabled, streams, version, caller],
      );
      // Keep the platform's pair list in step where it lists the pair.
      await client.query(
        `UPDATE trading_pairs SET collect = $3, updated_at = now(),
                first_collected_at = CASE WHEN $3 THEN coalesce(first_collected_at, now()) ELSE first_collected_at END
          WHERE exchange = $1 AND symbol = $2 AND collect IS DISTINCT FROM $3`,
        [exchange, symbol, body.enabled],
      );
      return { value: toSymbolDto(rows[0]!), changed: true, created: existing === undefined };
    });
  }

  async deleteSymbol(exchange: string, symbol: string, caller: string, preconditions: Preconditions): Promise<WriteResult<{ version: number }>> {
    return this.write(caller, async (client, nextVersion) => {
      const { rows: existingRows } = await client.query<SymbolRow>(`SELECT ${SYMBOL_COLUMNS} FROM collection_config WHERE exchange = $1 AND symbol = $2 FOR UPDATE`, [exchange, symbol]);
      const existing = existingRows[0];
      // A conditional DELETE that lost to another DELETE is a failed precondition, not a missing resource.
      if (!existing && preconditions.ifMatch !== undefined) checkPreconditions(undefined, preconditions, `${exchange}:${symbol}`);
      if (!existing) throw notFound(`${exchange}:${symbol} in the collection config`);
      checkPreconditions(Number(existing.version), preconditions, `${exchange}:${symbol}`);
      const version = await nextVersion();
      await client.query('DELETE FROM collection_config WHERE exchange = $1 AND symbol = $2', [exchange, symbol]);
      await client.query('UPDATE trading_pairs SET collect = false, updated_at = now() WHERE exchange = $1 AND symbol = $2 AND collect', [exchange, symbol]);
      return { value: { version }, changed: true };
    });
  }

  async patchSettings(body: PatchSettingsBody, caller: string, preconditions: Preconditions): Promise<WriteResult<SettingsDto>> {
    return this.write(caller, async (client, nextVersion) => {
      const { rows: currentRows } = await client.query<SettingsRow>(`SELECT ${SETTINGS_COLUMNS} FROM collection_settings FOR UPDATE`);
      const current = currentRows[0]!;
      checkPreconditions(Number(current.version), preconditions, 'The settings');
      const entries = (Object.keys(SETTING_COLUMNS) as Array<keyof PatchSettingsBody>).filter((key) => key in body);
      if (entries.every((key) => current[SETTING_COLUMNS[key] as keyof SettingsRow] === body[key])) {
        return { value: toSettingsDto(current), changed: false };
      }
      const version = await nextVersion();
      // Column names come from the fixed SETTING_COLUMNS map, never from the request.
      const assignments = entries.map((key, i) => `${SETTING_COLUMNS[key]} = $${i + 3}`);
      const { rows } = await client.query<SettingsRow>(
        `UPDATE collection_settings SET ${[...assignments, 'version = $1', 'updated_at = now()', 'updated_by = $2'].join(', ')} RETURNING ${SETTINGS_COLUMNS}`,
        [version, caller, ...entries.map((key) => body[key] ?? null)],
      );
      return { value: toSettingsDto(rows[0]!), changed: true };
    });
  }

  /**
   * Writes `symbols` as the whole configuration, in one version, but only while
   * nothing was ever configured (version 0). Environments that bootstrap from a
   * symbol list (`npm start` from the simulator's list) use it so the API shows
   * from the start what the collectors collect, and a first PUT adds to that set
   * instead of replacing it. Returns the snapshot to publish, or undefined when
   * the configuration already existed.
   */
  async seedIfUnconfigured(exchange: string, symbols: readonly string[], caller: string): Promise<ConfigSnapshot | undefined> {
    const result = await this.write(caller, async (client, nextVersion) => {
      if ((await this.currentVersion(client)) !== 0 || symbols.length === 0) return { value: undefined, changed: false };
      const version = await nextVersion();
      await client.query(
        `INSERT INTO collection_config (exchange, symbol, enabled, streams, version, updated_at, updated_by)
         SELECT $1, symbol, true, $3, $4, now(), $5 FROM unnest($2::text[]) AS symbol
         ON CONFLICT (exchange, symbol) DO NOTHING`,
        [exchange, [...new Set(symbols)], DEFAULT_STREAMS, version, caller],
      );
      return { value: undefined, changed: true };
    });
    return result.snapshot;
  }

  /**
   * Seeds, in one version, every exchange of `seeds` that has no row in
   * collection_config at all, so an exchange added to a local run later still
   * starts with its symbols while a configured exchange is left as it is. An
   * exchange whose rows were all deleted is seeded again: this is for `npm start`
   * and tests, never for the API. Returns the exchanges seeded and the snapshot.
   */
  async seedExchangesIfUnconfigured(seeds: ReadonlyArray<{ exchange: string; symbols: readonly string[] }>, caller: string): Promise<{ seeded: Array<{ exchange: string; symbols: number }>; snapshot?: ConfigSnapshot }> {
    const result = await this.write(caller, async (client, nextVersion) => {
      const seeded: Array<{ exchange: string; symbols: number }> = [];
      for (const { exchange, symbols } of seeds) {
        if (symbols.length === 0) continue;
        const { rows } = await client.query<{ configured: boolean }>('SELECT EXISTS (SELECT 1 FROM collection_config WHERE exchange = $1) AS configured', [exchange]);
        if (rows[0]?.configured) continue;
        const unique = [...new Set(symbols)];
        await client.query(
          `INSERT INTO collection_config (exchange, symbol, enabled, streams, version, updated_at, updated_by)
           SELECT $1, symbol, true, $3, $4, now(), $5 FROM unnest($2::text[]) AS symbol
           ON CONFLICT (exchange, symbol) DO NOTHING`,
          [exchange, unique, DEFAULT_STREAMS, await nextVersion(), caller],
        );
        seeded.push({ exchange, symbols: unique.length });
      }
      return { value: seeded, changed: seeded.length > 0 };
    });
    return { seeded: result.value, ...(result.snapshot ? { snapshot: result.snapshot } : {}) };
  }

  /**
   * Starts the epoch after both the database's and `ahead`'s (what Redis or a
   * collector holds while the database is behind it), for the unchanged
   * configuration, with a version above `ahead.version` as well: collectors apply
   * a new epoch whatever its version, and the higher version also reaches
   * collectors older than epochs and keeps ETags from repeating.
   */
  async startEpochPast(ahead: ConfigPosition, caller: string): Promise<ConfigSnapshot> {
    const result = await this.write(caller, async (client, nextVersion) => {
      await client.query('UPDATE config_state SET epoch = greatest(epoch, $1::bigint) + 1', [ahead.epoch]);
      await client.query(`SELECT setval('config_version_seq', greatest($1::bigint, (SELECT last_value FROM config_version_seq)))`, [ahead.version]);
      await nextVersion();
      return { value: undefined, changed: true };
    });
    return result.snapshot!;
  }

  /** The configuration at the current version, read in one consistent snapshot. */
  async readSnapshot(): Promise<ConfigSnapshot> {
    return this.transaction(READ_SNAPSHOT, (client) => this.buildSnapshot(client));
  }

  private async buildSnapshot(client: PoolClient): Promise<ConfigSnapshot> {
    const { rows: state } = await client.query<{ epoch: string; version: string; updated_at: Date }>('SELECT epoch, version, updated_at FROM config_state');
    const { rows: symbols } = await client.query<SymbolRow>(`SELECT ${SYMBOL_COLUMNS} FROM collection_config ORDER BY exchange, symbol`);
    const { rows: settings } = await client.query<SettingsRow>(`SELECT ${SETTINGS_COLUMNS} FROM collection_settings`);
    return {
      version: Number(state[0]?.version ?? 0),
      epoch: Number(state[0]?.epoch ?? 0),
      updatedAt: state[0]?.updated_at.toISOString(),
      symbols: symbols.map((row) => ({ exchange: row.exchange, symbol: row.symbol, enabled: row.enabled, streams: row.streams.length > 0 ? row.streams : DEFAULT_STREAMS })),
      settings: settings[0] ? runtimeSettings(settings[0]) : {},
    };
  }

  /** Refuses a pair trading_pairs does not list, or enabling one it lists as not trading (pair-admission.ts). */
  private async checkListedPair(client: PoolClient, exchange: string, symbol: string, enabled: boolean): Promise<void> {
    const { rows } = await client.query<{ listed: boolean; known_exchange: boolean; status: string | null }>(
      `SELECT EXISTS (SELECT 1 FROM trading_pairs WHERE exchange = $1 AND symbol = $2) AS listed,
              EXISTS (SELECT 1 FROM trading_pairs WHERE exchange = $1) AS known_exchange,
              (SELECT status FROM trading_pairs WHERE exchange = $1 AND symbol = $2) AS status`,
      [exchange, symbol],
    );
    const row = rows[0]!;
    checkPairAdmission({ listed: row.listed, knownExchange: row.known_exchange, status: row.status }, exchange, symbol, enabled);
  }

  private async write<T>(
    caller: string,
    work: (client: PoolClient, nextVersion: () => Promise<number>) => Promise<{ value: T; changed: boolean; created?: boolean }>,
  ): Promise<WriteResult<T>> {
    return this.transaction('BEGIN', async (client) => {
      // The row lock serializes config writes (see the class comment).
      await client.query('SELECT version FROM config_state FOR UPDATE');
      let drawn: number | undefined;
      const nextVersion = async (): Promise<number> => {
        if (drawn !== undefined) return drawn;
        const { rows } = await client.query<{ version: string }>(
          `UPDATE config_state SET version = nextval('config_version_seq'), updated_at = now(), updated_by = $1 RETURNING version`,
          [caller],
        );
        drawn = Number(rows[0]!.version);
        return drawn;
      };
      const outcome = await work(client, nextVersion);
      const snapshot = outcome.changed ? await this.buildSnapshot(client) : undefined;
      return { value: outcome.value, committedVersion: outcome.changed ? drawn : undefined, snapshot, created: outcome.created };
    });
  }

  /** `work` between `begin` and COMMIT on one client; rolled back on any error. */
  private async transaction<T>(begin: string, work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let failure: unknown;
    try {
      await client.query(begin);
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      failure = error;
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      releaseClient(client, failure);
    }
  }
}

/**
 * A connection that failed (timeout, reset) may still be busy or dead: destroy it
 * rather than hand it to the next request. A refusal of ours (ApiError) leaves it
 * healthy, the transaction rolled back.
 */
function releaseClient(client: PoolClient, failure: unknown): void {
  client.release(failure !== undefined && !(failure instanceof ApiError) ? (failure instanceof Error ? failure : new Error(String(failure))) : undefined);
}

function sameStreams(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().every((value, i) => value === [...b].sort()[i]);
}
