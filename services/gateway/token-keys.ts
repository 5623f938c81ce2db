import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { errorMessage, type Logger } from '../shared';
import { TokenKeyError } from './errors';
import { TOKEN_SECRET_MIN_LENGTH } from './tokens';

/** Reads one staged version of the signing secret; undefined when that stage does not exist. */
export type SecretStageReader = (stage: 'AWSCURRENT' | 'AWSPREVIOUS') => Promise<string | undefined>;

export interface TokenKeyringOptions {
  /** Named in logs and errors. */
  secretArn: string;
  read: SecretStageReader;
  /** How often the keys are read again; a rotation is seen within this. Default 5 minutes. */
  refreshMs?: number;
  logger: Logger;
  /** A refresh that failed (the old keys stay in use). */
  onRefreshFailed?: () => void;
}

const DEFAULT_REFRESH_MS = 5 * 60_000;
/** Unknown-key refreshes at most this often: forged tokens must not turn into a Secrets Manager request each. */
export const MIN_REFRESH_GAP_MS = 30_000;

/** The reader of a real secret: GetSecretValue by stage, AWSPREVIOUS absent until the first rotation. */
export function secretsManagerStageReader(client: Pick<SecretsManagerClient, 'send'>, secretArn: string): SecretStageReader {
  return async (stage) => {
    try {
      const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretArn, VersionStage: stage }));
      return SecretString;
    } catch (error) {
      // Before the first rotation there is no AWSPREVIOUS version.
      if (stage === 'AWSPREVIOUS' && (error as { name?: string }).name === 'ResourceNotFoundException') return undefined;
      throw error;
    }
  };
}

/**
 * The stream-token verification keys from the Secrets Manager secret the
 * rotation Lambda rotates (lambdas/token-keys): AWSCURRENT, which the config
 * API signs with, and AWSPREVIOUS, so tokens signed just before a rotation stay
 * valid until they expire and no connection holding one is refused on
 * reconnect. Read at start-up (a failure stops the start, naming the secret)
 * and every `refreshMs` after; a failed refresh keeps the keys it had, is
 * logged and counted, and is tried again at the next period.
 *
 * After a rotation the config API may sign with the new key (a cold Lambda
 * reads it at once) before this gateway has re-read the secret. Such a token
 * looks forged here; the server then calls `refreshSoon()`, which re-reads the
 * secret at most every MIN_REFRESH_GAP_MS, so the client's first upgrade is
 * refused (401) and its reconnect, after the client's backoff, is accepted.
 */
export class TokenKeyring {
  private current: readonly string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly refreshMs: number;
  private lastRefreshAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: TokenKeyringOptions & { now?: () => number }) {
    this.refreshMs = options.refreshMs ?? DEFAULT_REFRESH_MS;
  }

  /** The verification keys, current first. */
  keys(): readonly string[] {
    return this.current;
  }

  async start(): Promise<void> {
    this.lastRefreshAt = (this.options.now ?? Date.now)();
    try {
      this.current = await this.read();
    } catch (error) {
      throw new TokenKeyError(`cannot read the stream-token signing key from ${this.options.secretArn} (GATEWAY_TOKEN_SECRET_ARN): ${errorMessage(error)}; check the task role may secretsmanager:GetSecretValue on it and the secret holds a key of at least ${TOKEN_SECRET_MIN_LENGTH} characters`, { cause: error });
    }
    this.timer = setInterval(() => void this.refresh(), this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** A token of an unknown key arrived: re-read now unless that was done in the last MIN_REFRESH_GAP_MS. */
  refreshSoon(): Promise<void> | undefined {
    if ((this.options.now ?? Date.now)() - this.lastRefreshAt < MIN_REFRESH_GAP_MS) return undefined;
    return this.refresh();
  }

  /** One refresh; public for tests and for an operator-triggered reload. */
  async refresh(): Promise<void> {
    this.lastRefreshAt = (this.options.now ?? Date.now)();
    try {
      const keys = await this.read();
      if (keys[0] !== this.current[0]) this.options.logger.info('stream-token signing key rotated', { secret: this.options.secretArn, keys: keys.length });
      this.current = keys;
    } catch (error) {
      this.options.onRefreshFailed?.();
      this.options.logger.warn('refreshing the stream-token signing keys failed; the keys read before stay in use', { secret: this.options.secretArn, error: errorMessage(error) });
    }
  }

  private async read(): Promise<string[]> {
    const [current, previous] = await Promise.all([this.options.read('AWSCURRENT'), this.options.read('AWSPREVIOUS')]);
    if (current === undefined || current.length < TOKEN_SECRET_MIN_LENGTH) throw new Error(`AWSCURRENT ${current === undefined ? 'has no SecretString' : `is shorter than ${TOKEN_SECRET_MIN_LENGTH} characters`}`);
    return previous !== undefined && previous.length >= TOKEN_SECRET_MIN_LENGTH && previous !== current ? [current, previous] : [current];
  }
}
