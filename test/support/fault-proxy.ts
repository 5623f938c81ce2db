import { createConnection, createServer, type Server, type Socket } from 'node:net';

interface Pair {
  client: Socket;
  upstream: Socket | undefined;
}

/**
 * A TCP forwarder on 127.0.0.1 with the two ways a network path fails:
 *
 * - `down()`: every connection is cut and nothing listens (refused), like a
 *   stopped service or a closed security group: clients learn at once.
 * - `blackhole()`: connections stay open but no byte moves either way, and new
 *   connections are accepted and then hang, like a partition or a dead NAT
 *   entry: clients learn only from their own timeouts. Bytes are held, not
 *   dropped (the sockets are paused, so the kernel buffers fill and writers see
 *   back-pressure), because after a real partition heals TCP retransmits what
 *   was in flight; `restore()` lets it through.
 *
 * A local helper rather than a mode of TcpProxy: TcpProxy is shared by other
 * tests and is being extended elsewhere.
 */
export class FaultProxy {
  private server: Server | undefined;
  private readonly pairs = new Set<Pair>();
  private holding = false;
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  get url(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(port = this.port): Promise<number> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : port;
    return this.port;
  }

  /** Stops moving bytes; connections stay open and new ones hang. */
  blackhole(): void {
    this.holding = true;
    for (const pair of this.pairs) {
      if (!pair.upstream) continue;
      pair.client.unpipe(pair.upstream);
      pair.upstream.unpipe(pair.client);
      pair.client.pause();
      pair.upstream.pause();
    }
  }

  /** Ends a blackhole: held bytes flow, hanging connections reach the target. */
  restore(): void {
    this.holding = false;
    for (const pair of this.pairs) {
      if (pair.client.destroyed) continue;
      if (pair.upstream) this.forward(pair);
      else this.connectUpstream(pair);
    }
  }

  /** Cuts every connection and stops listening: refused until `up()`. */
  async down(): Promise<void> {
    for (const pair of this.pairs) {
      pair.client.destroy();
      pair.upstream?.destroy();
    }
    this.pairs.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens again on the same port. */
  async up(): Promise<void> {
    this.holding = false;
    await this.start(this.port);
  }

  private accept(client: Socket): void {
    const pair: Pair = { client, upstream: undefined };
    this.pairs.add(pair);
    client.on('error', () => client.destroy());
    client.once('close', () => {
      pair.upstream?.destroy();
      this.pairs.delete(pair);
    });
    if (this.holding) client.pause();
    else this.connectUpstream(pair);
  }

  private connectUpstream(pair: Pair): void {
    const upstream = createConnection({ host: this.targetHost, port: this.targetPort });
    pair.upstream = upstream;
    upstream.on('error', () => upstream.destroy());
    upstream.once('close', () => pair.client.destroy());
    this.forward(pair);
  }

  private forward(pair: Pair): void {
    // pipe() resumes the source, releasing what was held in its buffer first.
    pair.client.pipe(pair.upstream!);
    pair.upstream!.pipe(pair.client);
  }
}
