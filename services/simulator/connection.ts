import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { MessageRateLimiter } from './limits';

export type DisconnectReason =
  | 'too-many-messages'
  | 'too-many-streams'
  | 'too-many-requests'
  | 'pong-timeout'
  | 'idle'
  | 'max-age'
  | 'slow-consumer'
  | 'shutdown-notice'
  | 'drop'
  | 'client'
  | 'stop';

/** One client WebSocket and what the server tracks about it; `state` belongs to the exchange plug-in. */
export class Connection<S = unknown> {
  readonly streams = new Set<string>();
  readonly limiter: MessageRateLimiter | undefined;
  lastPingAt: number;
  lastPongAt: number;
  /** Last frame from the client (text, ping or pong). */
  lastClientFrameAt: number;
  /** Last time a sweep saw frames leave or arrive: the "no traffic" idle rule's clock. */
  lastTrafficAt: number;
  /** `messagesSent` at the previous sweep, to notice outgoing traffic without a clock read per frame. */
  sentAtLastSweep = 0;
  stalled = false;
  shutdownNotified = false;
  corked = false;
  closed = false;
  messagesSent = 0;

  constructor(
    readonly id: number,
    readonly ws: WebSocket,
    readonly socket: Socket,
    readonly state: S,
    readonly createdAt: number,
    maxMessagesPerSecond: number | undefined,
  ) {
    this.lastPingAt = createdAt;
    this.lastPongAt = createdAt;
    this.lastClientFrameAt = createdAt;
    this.lastTrafficAt = createdAt;
    this.limiter = maxMessagesPerSecond === undefined ? undefined : new MessageRateLimiter(maxMessagesPerSecond);
  }

  /** Bytes accepted by ws but not yet written to the kernel. */
  get bufferedBytes(): number {
    return this.socket.writableLength;
  }
}
