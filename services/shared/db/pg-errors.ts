/**
 * What a database failure means for the caller:
 * - `credentials`: the server refused the role's password (a rotated secret); rebuild the connections with the secret read again.
 * - `timeout`: a bounded wait ran out (connect, statement, lock, reply).
 * - `retryable`: the connection or the server went away, or the transaction lost a race; the same work may succeed later.
 * - `constraint`: the data is refused (SQLSTATE classes 22 and 23) and would be refused again.
 * - `other`: anything else (a bug, a schema not migrated yet).
 */
export type PgErrorKind = 'credentials' | 'timeout' | 'retryable' | 'constraint' | 'other';

/** Errors raised by the socket under node-postgres, not by PostgreSQL. */
const RETRYABLE_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * node-postgres reports its own timeouts and lost connections as plain Errors
 * without a code; their messages are the only signal.
 */
const TIMEOUT_MESSAGE = /timeout exceeded when trying to connect|Query read timeout|Connection terminated due to connection timeout|connect ETIMEDOUT/i;
const LOST_CONNECTION_MESSAGE = /Connection terminated|Client has encountered a connection error and is not queryable|connection ended unexpectedly/i;

function kindOfCode(code: string): PgErrorKind | undefined {
  if (code === '28P01' || code === '28000') return 'credentials';
  // 57014 query_canceled (statement_timeout), 55P03 lock_not_available (lock_timeout).
  if (code === '57014' || code === '55P03' || code === 'ETIMEDOUT') return 'timeout';
  if (RETRYABLE_SOCKET_CODES.has(code)) return 'retryable';
  // 08 connection exception; 57P01-57P03 admin / crash shutdown, cannot connect now;
  // 53 insufficient resources (53300 too many connections); 40001 serialization; 40P01 deadlock.
  if (/^(08[0-9A-Z]{3}|57P0[1-3]|53[0-9A-Z]{3}|40001|40P01)$/.test(code)) return 'retryable';
  if (/^2[23][0-9A-Z]{3}$/.test(code)) return 'constraint';
  return undefined;
}

/** The error and what it wraps (the project's typed errors keep the original as `cause`), outermost first. */
function chainOf(error: unknown): Array<{ code?: unknown; message?: unknown }> {
  const chain: Array<{ code?: unknown; message?: unknown; cause?: unknown }> = [];
  let current: unknown = error;
  while (chain.length < 5 && typeof current === 'object' && current !== null) {
    chain.push(current as { code?: unknown; message?: unknown; cause?: unknown });
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

/**
 * Classifies a node-postgres error, or an error wrapping one. A SQLSTATE or
 * socket code anywhere in the chain decides before any message does: a wrapper's
 * message repeats the original's text, its code says more.
 */
export function classifyPgError(error: unknown): PgErrorKind {
  const chain = chainOf(error);
  for (const link of chain) {
    const kind = typeof link.code === 'string' ? kindOfCode(link.code) : undefined;
    if (kind) return kind;
  }
  for (const link of chain) {
    if (typeof link.message !== 'string') continue;
    if (TIMEOUT_MESSAGE.test(link.message)) return 'timeout';
    if (LOST_CONNECTION_MESSAGE.test(link.message)) return 'retryable';
  }
  return 'other';
}

/**
 * The connection itself is gone (terminated by the server, reset, or closed
 * under a pending query), as opposed to a statement that failed on a live one.
 */
export function isConnectionLost(error: unknown): boolean {
  for (const link of chainOf(error)) {
    if (typeof link.code === 'string' && (/^(08[0-9A-Z]{3}|57P0[1-3])$/.test(link.code) || RETRYABLE_SOCKET_CODES.has(link.code))) return true;
    if (typeof link.message === 'string' && LOST_CONNECTION_MESSAGE.test(link.message)) return true;
  }
  return false;
}
