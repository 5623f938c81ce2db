import type { KeepalivePolicy } from '../exchange';
import { KeepaliveTimer } from './keepalive';
import { type LivenessOptions, LivenessMonitor } from './liveness';
import type { RequestBody } from './pacer';
import type { Scheduler } from './scheduler';

export interface HeartbeatHooks {
  /** Queues a text message in the connection's pacer; false when it had no room. */
  enqueue(body: RequestBody): boolean;
  /** Queues a WebSocket ping frame in the pacer. */
  sendWebSocketPing(): void;
  /** Queues an idempotent SUBSCRIBE of a held stream; false when the server holds none. */
  probeSubscription(): boolean;
  onDead(silentForMs: number): void;
}

export interface HeartbeatOptions {
  keepalive: KeepalivePolicy;
  liveness?: Omit<LivenessOptions, 'scheduler'>;
  scheduler: Scheduler;
}

/**
 * Liveness and keepalive of one socket at a time, per the exchange's
 * KeepalivePolicy. Liveness is the LivenessMonitor's rule for every exchange: any
 * frame in proves the connection alive, silence past its bound kills it. A
 * `client-ping` exchange also gets its ping after `intervalMs` without traffic
 * either way, so the server does not cut an idle connection.
 *
 * The liveness probe: a WebSocket pong only proves the transport, and a stream server
 * that has stopped processing (the "silent stall" users complain about, and the
 * simulator's /_sim/stall) still answers pings from its WebSocket layer. So a
 * `server-ping` exchange (Binance) holding an acknowledged stream is probed with an
 * idempotent SUBSCRIBE of it, whose reply proves the server still handles this
 * connection; holding none, with a WebSocket ping. A `client-ping` exchange answers
 * its own ping in the application (OKX's `pong`, Bybit's `{"op":"pong"}`), which
 * proves as much, so its probe is that ping.
 */
export class ConnectionHeartbeat {
  private readonly liveness: LivenessMonitor;
  private readonly keepalive: KeepaliveTimer | undefined;
  /** False where the exchange wants pings however busy the stream (Bybit): received frames do not postpone them. */
  private readonly pingsWhenSilentOnly: boolean;
  private epoch = 0;
  private pingQueued = false;

  constructor(
    private readonly options: HeartbeatOptions,
    private readonly hooks: HeartbeatHooks,
  ) {
    this.liveness = new LivenessMonitor(
      () => this.probe(),
      (silentForMs) => hooks.onDead(silentForMs),
      { ...options.liveness, scheduler: options.scheduler },
    );
    const policy = options.keepalive;
    this.pingsWhenSilentOnly = policy.kind !== 'client-ping' || policy.quietWhen !== 'sent';
    this.keepalive = policy.kind === 'client-ping' ? new KeepaliveTimer(() => this.sendClientPing(), { intervalMs: policy.intervalMs, scheduler: options.scheduler }) : undefined;
  }

  /** A socket opened. */
  start(): void {
    this.epoch += 1;
    this.pingQueued = false;
    this.liveness.start();
    this.keepalive?.start();
  }

  /** The socket is gone or closing; a ping still waiting in the pacer is void. */
  stop(): void {
    this.epoch += 1;
    this.pingQueued = false;
    this.liveness.stop();
    this.keepalive?.stop();
  }

  /** A frame of any kind arrived. Runs for every message. */
  received(): void {
    this.liveness.frame();
    if (this.pingsWhenSilentOnly) this.keepalive?.activity();
  }

  /** A message left. Runs for every message. */
  sent(): void {
    this.keepalive?.activity();
  }

  private probe(): void {
    if (this.options.keepalive.kind === 'client-ping') this.sendClientPing();
    else if (!this.hooks.probeSubscription()) this.hooks.sendWebSocketPing();
  }

  /** The exchange's text ping goes through the pacer, as it counts against the outgoing message rate; one at a time. */
  private sendClientPing(): void {
    const policy = this.options.keepalive;
    if (policy.kind !== 'client-ping' || this.pingQueued) return;
    this.pingQueued = true;
    const epoch = this.epoch;
    const queued = this.hooks.enqueue(() => {
      if (epoch !== this.epoch) return undefined;
      this.pingQueued = false;
      return policy.encodePing();
    });
    if (!queued) this.pingQueued = false;
  }
}
