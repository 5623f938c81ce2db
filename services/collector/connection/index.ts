export { Backoff, type BackoffOptions } from './backoff';
export { MessagePacer, type PacedMessage, type PacerOptions, type RequestBody } from './pacer';
export { ConnectionAttemptLimiter, type AttemptLimiterOptions } from './attempt-limiter';
export { LivenessMonitor, DEFAULT_LIVENESS, type LivenessOptions } from './liveness';
export { KeepaliveTimer, type KeepaliveOptions } from './keepalive';
export { ConnectionHeartbeat, type HeartbeatHooks, type HeartbeatOptions } from './heartbeat';
export { SubscriptionSender, type SubscriptionSenderHooks } from './subscription-sender';
export { rotationDueAt, type RotationTiming } from './rotation';
export { LogLimiter } from './log-limiter';
export {
  SubscriptionLedger,
  type AdvanceOutcome,
  type LedgerReply,
  type ReplyError,
  type ReplyOutcome,
  type SubscriptionLedgerOptions,
  type SubscriptionMethod,
  type SubscriptionRequest,
} from './subscription-ledger';
export { planShards, type ShardPlan, type PlanOptions } from './sharding';
export {
  StreamConnection,
  CONNECTION_STATES,
  streamType,
  type ConnectionState,
  type ConnectionStatus,
  type DisconnectReason,
  type RotationReason,
  type StreamConnectionEvents,
  type StreamConnectionOptions,
} from './stream-connection';
export {
  ConnectionPool,
  type ConnectionPoolEvents,
  type ConnectionPoolOptions,
  type ConnectionRole,
  type ConnectionSettings,
  type PoolConnection,
  type PoolConnectionStatus,
  type PoolState,
  type PoolStatus,
} from './pool';
export { wsSocketFactory, type SocketFactory, type SocketLike, type WsSocketOptions } from './socket';
export { systemScheduler, type ExchangeClock, type Scheduler, type TimerHandle } from './scheduler';
export { ConnectionError, ConnectionOptionsError, PacerQueueFullError, type ConnectionErrorCode } from './errors';
