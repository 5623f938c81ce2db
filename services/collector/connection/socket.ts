import WebSocket, { type RawData } from 'ws';

/**
 * The part of a `ws` WebSocket the connection uses; unit tests pass an
 * EventEmitter-based fake that implements it.
 */
export interface SocketLike {
  readonly readyState: number;
  on(event: 'open', listener: () => void): unknown;
  on(event: 'message', listener: (data: RawData, isBinary: boolean) => void): unknown;
  on(event: 'ping', listener: (data: Buffer) => void): unknown;
  on(event: 'pong', listener: (data: Buffer) => void): unknown;
  on(event: 'close', listener: (code: number, reason: Buffer) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  send(data: string, callback?: (error?: Error) => void): void;
  ping(data?: Buffer | string): void;
  pong(data?: Buffer): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  removeAllListeners(): unknown;
}

export type SocketFactory = (url: string) => SocketLike;

export const SOCKET_OPEN = 1;

export interface WsSocketOptions {
  /** Opening handshake deadline. Default 5 s, well inside the 15 s replacement budget. */
  handshakeTimeoutMs?: number;
  /**
   * Largest frame accepted before ws closes the connection. Generous (4 MiB) so an
   * oversized frame reaches the parser and is rejected and counted there instead of
   * killing a connection that carries 200 healthy streams.
   */
  maxPayloadBytes?: number;
}

/**
 * `ws` sockets with automatic pongs off: Binance counts pongs against the 5
 * messages a second of a connection, so they go through the connection's pacer.
 */
export function wsSocketFactory(options: WsSocketOptions = {}): SocketFactory {
  return (url) =>
    new WebSocket(url, {
      autoPong: false,
      perMessageDeflate: false,
      handshakeTimeout: options.handshakeTimeoutMs ?? 5_000,
      maxPayload: options.maxPayloadBytes ?? 4 * 1024 * 1024,
    });
}
