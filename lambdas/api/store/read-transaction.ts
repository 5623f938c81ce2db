import type { Pool, PoolClient } from 'pg';
import { isConnectionLost } from '../../../services/shared/db';
import { QueryTimeoutError } from '../errors';

/** SQLSTATE 57014 with this message is PostgreSQL's statement_timeout (a cancel request says "user request"). */
const STATEMENT_TIMEOUT_MESSAGE = /statement timeout/i;

export function isStatementTimeout(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  return e?.code === '57014' && typeof e.message === 'string' && STATEMENT_TIMEOUT_MESSAGE.test(e.message);
}

/**
 * Runs `work` in a READ ONLY transaction whose statements PostgreSQL cancels
 * after `timeoutMs`: a read route's own bound, below the pool's connection-wide
 * one. `set_config(..., true)` is transaction-local like `SET LOCAL`, and being a
 * function call it does not pin the session in RDS Proxy the way a SET does.
 * BEGIN and the setting travel in one simple-protocol round trip; the value is a
 * validated integer, never client input.
 *
 * A cancelled statement becomes a QueryTimeoutError (503 QUERY_TIMEOUT) naming
 * the route's limit. `readOnly: false` is for a read that stores derived data
 * through a SECURITY DEFINER function (day files); the role's privileges, not
 * the transaction mode, are what keep it from writing anything else.
 */
export async function withReadTransaction<T>(pool: Pool, options: { timeoutMs: number; route: string; readOnly?: boolean }, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const timeoutMs = Math.trunc(options.timeoutMs);
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) throw new RangeError(`statement timeout must be a positive integer of ms, got ${options.timeoutMs}`);
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query(`BEGIN${options.readOnly === false ? '' : ' READ ONLY'}; SELECT set_config('statement_timeout', '${timeoutMs}', true)`);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    if (isConnectionLost(error)) {
      broken = error as Error;
    } else {
      // Best effort: a failed ROLLBACK means the connection is unusable, so it is destroyed instead of reused.
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError as Error;
      });
    }
    if (isStatementTimeout(error)) throw new QueryTimeoutError(options.route, timeoutMs, { cause: error });
    throw error;
  } finally {
    client.release(broken);
  }
}
