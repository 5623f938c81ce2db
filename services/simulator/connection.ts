import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { MessageRateLimiter } from './limits';

export type DisconnectReason = 'too-many-messages' | 'too-many-streams' | 'pong-timeout' | 'max-age' | 'slow-consumer' | 'shutdown-notice' | 'drop' | 'client' | 'stop';

/** One client WebSocket and what the server tracks about it. */
export class Connection {
  readonly streams = new Set<string>();
  readonly limiter: MessageRateLimiter;
  lastPingAt: number;
  lastPongAt: number;
  stalled = false;
  shutdownNotified = false;
  corked = false;
  closed = false;
  messagesSent = 0;

  constructor(
    readonly id: number,
    readonly ws: WebSocket,
    readonly socket: Socket,
    public combined: boolean,
    readonly timeFactor: number,
    readonly createdAt: number,
    maxMessagesPerSecond: number,
  ) {
    this.lastPingAt = createdAt;
    this.lastPongAt = createdAt;
    this.limiter = new MessageRateLimiter(maxMessagesPerSecond);
  }

  /** Index into a per-event cache of the four encodings (raw/combined x ms/µs). */
  get variant(): number {
    return (this.combined ? 1 : 0) + (this.timeFactor === 1 ? 0 : 2);
  }

  /** Bytes accepted by ws but not yet written to the kernel. */
  get bufferedBytes(): number {
    return this.socket.writableLength;
  }
}
