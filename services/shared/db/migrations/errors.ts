import { CollectorError } from '../../errors';

/** A migration file is unusable as written (name, duplicate version, transaction control). */
export class MigrationFileError extends CollectorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MIGRATION_FILE_INVALID', message, options);
  }
}

/** An applied migration's file no longer matches what was applied. */
export class MigrationChangedError extends CollectorError {
  constructor(readonly fileName: string, message: string) {
    super('MIGRATION_CHANGED', message);
  }
}

/** A pending migration sorts before one that is already applied. */
export class MigrationOrderError extends CollectorError {
  constructor(message: string) {
    super('MIGRATION_OUT_OF_ORDER', message);
  }
}

/** Another runner held the advisory lock longer than we were willing to wait. */
export class MigrationLockError extends CollectorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MIGRATION_LOCK_TIMEOUT', message, options);
  }
}

/** A migration's SQL failed; its transaction was rolled back. */
export class MigrationFailedError extends CollectorError {
  constructor(readonly fileName: string, message: string, options?: { cause?: unknown }) {
    super('MIGRATION_FAILED', message, options);
  }
}

/**
 * The server closed the migration's connection (an administrator, a failover,
 * or an extension's loader raising FATAL, as TimescaleDB's does when it is
 * installed but not in shared_preload_libraries). Nothing of the running file
 * was applied.
 */
export class MigrationConnectionLostError extends CollectorError {
  constructor(readonly server: string, readonly fileName: string | undefined, message: string, options?: { cause?: unknown }) {
    super('MIGRATION_CONNECTION_LOST', message, options);
  }
}
