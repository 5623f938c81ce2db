import type Redis from 'ioredis';
import {
  CONFIG_SNAPSHOT_KEY,
  CONFIG_UPDATES_CHANNEL,
  configSnapshotSchema,
  errorMessage,
  LogThrottle,
  snapshotHeadPosition,
  type ConfigCommit,
  type ConfigPosition,
  type ConfigSnapshot,
  type Logger,
  type RuntimeSettings,
} from '../../shared';
import type { CollectorMetrics } from '../metrics';
import { decideApply } from './apply-rule';

export interface DesiredConfiguration {
  /** Symbols to collect before sharding, upper-case, sorted. */
  symbols: string[];
  settings: RuntimeSettings;
  /** Snapshot version; `undefined` when taken from the SYMBOLS variable. */
  version: number | undefined;
  /** Snapshot epoch (0 for a snapshot without one); `undefined` when taken from the SYMBOLS variable. */
  epoch: number | undefined;
  /** When the snapshot's version was committed; `undefined` when the snapshot does not say or from the SYMBOLS variable. */
  updatedAt: string | undefined;
  source: 'redis' | 'environment';
}

export interface SymbolSourceOptions {
  exchange: string;
  /** Redis connection for GET; a second, subscriber-mode connection is duplicated from it. */
  redis: Redis;
  /** What SYMBOLS resolved to (ALL already expanded), used while Redis holds no snapshot. */
  fallbackSymbols: () => Promise<string[]>;
  pollIntervalMs: number;
  onChange: (config: DesiredConfiguration) => void | Promise<void>;
  logger?: Logger;
  metrics?: CollectorMetrics;
}

/**
 * Where the collector learns what to collect: the `config:collector` snapshot
 * written by the config API, announced on `config:collector:updates`, and polled
 * as a fallback in case a notification is lost (pub/sub is fire-and-forget).
 * Within an epoch versions only move forward and an older or equal snapshot is
 * ignored; a snapshot of another epoch is applied whatever its version
 * (apply-rule.ts).
 */
export class SymbolSource {
  private subscriber: Redis | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private applied: ConfigCommit | undefined;
  private appliedSource: DesiredConfiguration['source'] | undefined;
  private refreshing: Promise<void> | undefined;
  /** A notification arrived during a load: load once more, it may carry a newer version. */
  private refreshAgain = false;
  private lastRaw: string | undefined;
  /** Position (`epoch:version`) of the last snapshot that failed validation. */
  private rejected: string | undefined;
  private readonly throttle = new LogThrottle();
  private stopped = false;

  constructor(private readonly options: SymbolSourceOptions) {}

  get version(): number | undefined {
    return this.applied?.version;
  }

  get epoch(): number | undefined {
    return this.applied?.epoch;
  }

  get updatedAt(): string | undefined {
    return this.applied?.updatedAt;
  }

  /** Loads the current configuration (resolving when it is applied) and starts listening. */
  async start(): Promise<void> {
    await this.refresh();
    // The subscriber may queue its SUBSCRIBE until connected: that queue holds one command.
    // and retries without limit, so a Redis that is down at start is subscribed once it answers.
    // ioredis resubscribes after a reconnect by itself, but leaves that SUBSCRIBE's
    // promise unhandled: with the command timeout this client inherits, a reconnect
    // onto a stuck network rejected it as an unhandled rejection. Resubscribing here
    // instead handles it.
    const subscriber = this.options.redis.duplicate({ enableOfflineQueue: true, lazyConnect: false, maxRetriesPerRequest: null, autoResubscribe: false });
    this.subscriber = subscriber;
    subscriber.on('error', (error) => this.options.logger?.debug('config subscriber error; ioredis reconnects', { error: errorMessage(error) }));
    subscriber.on('message', () => void this.refresh());
    const subscribe = () =>
      subscriber.subscribe(CONFIG_UPDATES_CHANNEL).catch((error: unknown) => {
        this.options.metrics?.errors.inc({ component: 'config', code: 'SUBSCRIBE' });
        this.options.logger?.warn('subscribing to config updates failed; polling only until Redis answers', { error: errorMessage(error) });
      });
    // After a reconnect: subscribe again and refresh, since notifications sent while disconnected are lost.
    let connectedOnce = false;
    subscriber.on('ready', () => {
      if (connectedOnce) void subscribe();
      connectedOnce = true;
      void this.refresh();
    });
    await subscribe();
    this.pollTimer = setInterval(() => {
      void this.refresh();
      this.probeSubscriber();
    }, this.options.pollIntervalMs);
    this.pollTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.subscriber?.disconnect();
    await this.refreshing;
  }

  /** Reads the snapshot and applies it when it is newer; concurrent calls share one read. */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = this.load().finally(() => {
      this.refreshing = undefined;
      if (this.refreshAgain) {
        this.refreshAgain = false;
        void this.refresh();
      }
    });
    return this.refreshing;
  }

  private async load(): Promise<void> {
    if (this.stopped) return;
    let raw: string | null;
    try {
      // Most polls find nothing new: the snapshot's first bytes carry its version
      // (the API writes it first), so a 64-byte GETRANGE decides whether the whole
      // snapshot (hundreds of KiB for thousands of symbols) needs reading. That
      // keeps a 1 s poll cheap, so a lost notification delays a change by a
      // second, not by minutes.
      const head = await this.options.redis.getrange(CONFIG_SNAPSHOT_KEY, 0, 63);
      const headPosition = snapshotHeadPosition(head);
      if (headPosition && decideApply(this.applied, headPosition) === 'ignore') return;
      // A snapshot already refused is not fetched and parsed again every poll; a rewrite through the API has a new version.
      if (headPosition && positionKey(headPosition) === this.rejected) return;
      raw = head === '' ? null : await this.options.redis.get(CONFIG_SNAPSHOT_KEY);
    } catch (error) {
      this.options.metrics?.errors.inc({ component: 'config', code: 'REDIS_READ' });
      const admitted = this.throttle.admit('read');
      if (admitted) this.options.logger?.warn('reading the config snapshot failed; keeping the current configuration', { error: errorMessage(error), suppressedSinceLastLog: admitted.suppressed });
      if (this.appliedSource === undefined) await this.applyFallback();
      return;
    }
    // Polls mostly find the snapshot unchanged: skip parsing and validating it again.
    if (raw !== null && raw === this.lastRaw) return;
    if (raw === null) {
      if (this.appliedSource === undefined) await this.applyFallback();
      return;
    }
    let snapshot: ConfigSnapshot;
    try {
      snapshot = configSnapshotSchema.parse(JSON.parse(raw));
    } catch (error) {
      const rawPosition = snapshotHeadPosition(raw);
      this.rejected = rawPosition ? positionKey(rawPosition) : undefined;
      this.options.metrics?.errors.inc({ component: 'config', code: 'SNAPSHOT_INVALID' });
      this.options.logger?.error(`${CONFIG_SNAPSHOT_KEY} holds an invalid snapshot; keeping the current configuration. Rewrite it through the config API`, { error: errorMessage(error) });
      if (this.appliedSource === undefined) await this.applyFallback();
      return;
    }
    this.lastRaw = raw;
    const next: ConfigPosition = { epoch: snapshot.epoch, version: snapshot.version };
    const decision = decideApply(this.applied, next);
    if (decision === 'ignore') return;
    const symbols = [...new Set(snapshot.symbols.filter((s) => s.enabled && s.exchange === this.options.exchange).map((s) => s.symbol))].sort();
    if (decision === 'apply-new-epoch') {
      // Rare and worth an operator's attention: the configuration went back (a restored database).
      this.options.logger?.error('the config snapshot belongs to another epoch: the database was restored or diverged; applying it whatever its version', {
        heldEpoch: this.applied?.epoch,
        heldVersion: this.applied?.version,
        epoch: next.epoch,
        version: next.version,
      });
    }
    this.applied = { ...next, updatedAt: snapshot.updatedAt };
    this.appliedSource = 'redis';
    this.options.logger?.info('applying config snapshot', { epoch: next.epoch, version: next.version, symbols: symbols.length });
    await this.options.onChange({ symbols, settings: snapshot.settings, version: next.version, epoch: next.epoch, updatedAt: snapshot.updatedAt, source: 'redis' });
  }

  /**
   * Once subscribed the subscriber sends nothing, so a socket stuck on a peer that
   * stopped answering would go unnoticed and notifications would stop for good.
   * A PING per poll gives the timeouts it inherits from the main connection
   * (`commandTimeout`, `socketTimeout`) something to time: a stuck socket is
   * replaced, resubscribed, and the snapshot re-read on 'ready'.
   */
  private probeSubscriber(): void {
    const subscriber = this.subscriber;
    if (!subscriber || subscriber.status !== 'ready') return;
    subscriber.ping().catch((error: unknown) => {
      this.options.metrics?.errors.inc({ component: 'config', code: 'SUBSCRIBER_PING' });
      const admitted = this.throttle.admit('subscriber-ping');
      if (admitted) this.options.logger?.warn('the config subscriber did not answer a PING; ioredis replaces its connection', { error: errorMessage(error), suppressedSinceLastLog: admitted.suppressed });
    });
  }

  private async applyFallback(): Promise<void> {
    let listed: string[];
    try {
      listed = await this.options.fallbackSymbols();
    } catch (error) {
      // SYMBOLS=ALL needs exchangeInfo; the poll retries, the collector stays not ready meanwhile.
      this.options.metrics?.errors.inc({ component: 'config', code: 'SYMBOL_LIST' });
      this.options.logger?.error('listing the exchange symbols for SYMBOLS failed; retrying on the next poll', { error: errorMessage(error) });
      return;
    }
    const symbols = [...new Set(listed)].sort();
    this.appliedSource = 'environment';
    this.options.logger?.info('no config snapshot in Redis; collecting the SYMBOLS of the environment', { symbols: symbols.length });
    await this.options.onChange({ symbols, settings: {}, version: undefined, epoch: undefined, updatedAt: undefined, source: 'environment' });
  }
}

const positionKey = (position: ConfigPosition): string => `${position.epoch}:${position.version}`;
