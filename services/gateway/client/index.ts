export { Backoff } from './backoff';
export type { BackoffOptions } from './backoff';
export { RateBook } from './rate-book';
export type { StreamRate } from './rate-book';
export { StreamClient } from './stream-client';
export type { ChartMessage, ErrorMessage, HealthMessage, Mover, MoversMessage, RateWindow, SocketLike, StreamClientOptions, StreamState, Subscription } from './stream-client';
