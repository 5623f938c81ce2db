import type { Logger } from '../../shared';
import type { Trade } from '../domain';
import type { ExchangeStreamProtocol } from '../exchange';
import type { CollectorMetrics } from '../metrics';
import type { ConnectionAttemptLimiter } from './attempt-limiter';
import type { BackoffOptions } from './backoff';
import type { LivenessOptions } from './liveness';
import type { PacerOptions } from './pacer';
import type { ExchangeClock, Scheduler } from './scheduler';
import type { SocketFactory } from './socket';
import type { ReplyError } from './subscription-ledger';

export type ConnectionState = 'connecting' | 'subscribing' | 'open' | 'reconnecting' | 'closing' | 'closed';
export const CONNECTION_STATES: readonly ConnectionState[] = ['connecting', 'subscribing', 'open', 'reconnecting', 'closing', 'closed'];

/** Why a socket was replaced; the label of `collector_reconnects_total{reason}`. */
export type DisconnectReason = 'liveness' | 'server_close' | 'socket_error' | 'connect_failed';
/** Why the owner should replace this connection make-before-break. */
export type RotationReason = 'server_shutdown' | 'max_age';

export interface ConnectionStatus {
  id: string;
  state: ConnectionState;
  /** Streams this connection is meant to carry. */
  streams: number;
  /** Of those, not yet acknowledged by the server on the current socket (refused ones excluded). */
  pendingStreams: number;
  /** Epoch ms of the last text message, null before the first. */
  lastMessageAt: number | null;
  reconnects: number;
  /** Epoch ms the current socket opened, null while there is none. */
  connectedAt: number | null;
  messages: number;
  /** Frames refused as invalid since the connection was created (all sockets). */
  rejected: number;
}

export interface StreamConnectionEvents {
  state: [state: ConnectionState, previous: ConnectionState];
  /** Every stream meant for this connection is acknowledged (or refused) on the current socket. */
  acknowledged: [];
  /** The server refused these streams `maxRequestRejections` times; they are not retried until the next reconnect. */
  refused: [streams: string[], error: ReplyError];
  rotate: [reason: RotationReason];
  closed: [];
}

export interface StreamConnectionOptions {
  id: string;
  protocol: ExchangeStreamProtocol;
  baseWsUrl: string;
  streams?: Iterable<string>;
  /**
   * Called synchronously for every accepted trade, in socket order. There is no
   * queue between socket and sink on purpose: the sink is synchronous and bounds
   * its own buffers, so backpressure is its decision and memory stays flat here.
   */
  onTrade: (trade: Trade) => void;
  clock: ExchangeClock;
  metrics?: CollectorMetrics;
  /** `connection` label of the message counter; a stable shard id keeps series bounded across rotations. Default `id`. */
  metricsLabel?: string;
  logger?: Logger;
  scheduler?: Scheduler;
  socketFactory?: SocketFactory;
  /** Share one per process so all connections stay under the exchange's per-IP attempt limit. */
  attemptLimiter?: ConnectionAttemptLimiter;
  backoff?: BackoffOptions;
  /** Default rate: the protocol's limit minus one. */
  pacer?: Omit<PacerOptions, 'scheduler'>;
  liveness?: Omit<LivenessOptions, 'scheduler'>;
  /** Streams this connection may hold. Default and ceiling: the protocol's limit. */
  maxStreams?: number;
  /** A SUBSCRIBE / UNSUBSCRIBE without a reply after this is retried. Default 10 s. */
  requestTimeoutMs?: number;
  /** First retry delay of a failed request, doubled per consecutive failure up to 30 s. Default 1 s. */
  requestRetryMs?: number;
  /** Requests awaiting a reply at once; the rest wait merged in pending sets. Default 4. */
  maxOutstandingRequests?: number;
  /**
   * Refusals of one stream's SUBSCRIBE on one socket before it is given up (event `refused`).
   * Default unbounded: a refused stream is retried with backoff and keeps the connection
   * from counting as open, so `CollectorConnectionsNotOpen` tells the operator.
   */
  maxRequestRejections?: number;
  /** Largest tolerated |trade time - exchange clock|. Default 10 min. */
  maxClockDistanceMs?: number;
  /** Ask for rotation this long before the protocol's connection age limit. Default 10 min. */
  rotateBeforeMs?: number;
  /** Up to this much earlier again, at random, so connections opened together do not rotate together. Default 5 min. */
  rotateJitterMs?: number;
  random?: () => number;
}
