import type { Conflator } from './conflation';
import type { TokenBucket } from './rate-limit';

/** What a session writes to: a WebSocket or an SSE response. No protocol logic here. */
export interface Transport {
  readonly kind: 'ws' | 'sse';
  /** Writes one message; `type` is its `type` field (the SSE event name). */
  write(type: string, text: string): void;
  /** Bytes written but not yet taken by the kernel: ws bufferedAmount, or the response's writableLength. */
  bufferedAmount(): number;
  /** Closes the connection; `code` is a WebSocket close code (SSE just ends the response). */
  close(code: number, reason: string): void;
}

/** One client connection's state held by the hub. */
export class Session {
  readonly conflators = new Map<string, Conflator>();
  /** Last movers text sent per `${exchange}:${window}`, so only changes go out. */
  readonly lastMovers = new Map<string, string>();
  lastHealth: string | undefined;
  closed = false;
  /** When the last rate_limited error went out: at most one per second, the rest are only counted. */
  lastRateLimitedAt = -Infinity;

  constructor(
    readonly id: number,
    readonly transport: Transport,
    readonly address: string,
    readonly bucket: TokenBucket,
  ) {}
}
