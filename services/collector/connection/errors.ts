import { CollectorError } from '../../shared';

/** Codes of the connection layer, also the `code` label of `collector_errors_total{component="connection"}`. */
export type ConnectionErrorCode =
  | 'INVALID_OPTIONS'
  | 'PACER_QUEUE_FULL'
  | 'SUBSCRIBE_REJECTED'
  | 'SUBSCRIBE_TIMEOUT'
  /** A stream refused on every attempt allowed on one socket; given up until the next reconnect. */
  | 'SUBSCRIBE_REFUSED'
  | 'SOCKET_ERROR'
  | 'SINK_ERROR'
  | 'CONNECTION_CLOSED'
  | 'STREAM_LIMIT';

export class ConnectionError extends CollectorError {
  declare readonly code: ConnectionErrorCode;

  constructor(code: ConnectionErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** A connection, pool or pacer option is out of range: at construction, or a run-time change (maxStreamsPerConnection) refused. */
export class ConnectionOptionsError extends ConnectionError {
  constructor(message: string) {
    super('INVALID_OPTIONS', message);
  }
}

/** The pacer's bounded request queue is full; the caller must coalesce and retry, nothing was queued. */
export class PacerQueueFullError extends ConnectionError {
  constructor(limit: number) {
    super('PACER_QUEUE_FULL', `outgoing request queue full (${limit} queued); coalesce and retry later`);
  }
}

export function positiveOption(name: string, value: number, allowZero = false): number {
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new ConnectionOptionsError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} finite number, got ${value}`);
  }
  return value;
}
