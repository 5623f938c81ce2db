import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * What `heal` does with the connections a blackhole left stuck:
 * - `destroy` (default): both ends are closed, as when a partition heals and the far
 *   side, long since given up, answers the client's retransmission with a reset;
 * - `keep`: they stay stuck for good, as after a failover to a new primary: only new
 *   connections reach the service, and a client must notice and drop the old one itself;
 * - `resume`: forwarding resumes with the bytes held meanwhile, as TCP does when a
 *   short partition heals before either side gave up.
 */
export type StuckConnections = 'destroy' | 'keep' | 'resume';

interface Pair {
  client: Socket;
  upstream: Socket;
  /** Held by a blackhole; stays true for `keep`d pairs after the heal. */
  held: boolean;
}

/**
 * A TCP forwarder on 127.0.0.1 that a test can take down and bring back, to
 * simulate a service outage (Redis failover, database restart) without touching
 * the real service other tests share; or blackhole, to simulate a peer that stops
 * answering without closing anything (an AZ failure, a dropped route).
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly pairs = new Set<Pair>();
  private blackholed = false;
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** Open connection pairs, stuck ones included. */
  get connections(): number {
    return this.pairs.size;
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

  /**
   * Stops forwarding in both directions, on open connections and on those accepted
   * from now on, while every socket stays open: connects succeed, writes are
   * accepted, nothing ever arrives. Closes are not passed on either (the held bytes,
   * FIN included, wait unread), so neither side learns anything from the proxy.
   */
  blackhole(): void {
    this.blackholed = true;
    for (const pair of this.pairs) hold(pair);
  }

  /** Forwards new connections again; `stuck` says what happens to the held ones. */
  heal(stuck: StuckConnections = 'destroy'): void {
    this.blackholed = false;
    for (const pair of this.pairs) {
      if (!pair.held) continue;
      if (stuck === 'destroy') destroy(pair);
      else if (stuck === 'resume') forward(pair);
    }
  }

  /** Cuts every connection and stops listening: the service is "down". */
  async stop(): Promise<void> {
    for (const pair of this.pairs) destroy(pair);
    this.pairs.clear();
    this.blackholed = false;
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    const upstream = createConnection({ host: this.targetHost, port: this.targetPort });
    const pair: Pair = { client, upstream, held: false };
    this.pairs.add(pair);
    for (const socket of [client, upstream]) {
      // A reset from either side ends the pair; the test sees it as the peer's close.
      socket.on('error', () => destroy(pair));
      socket.once('close', () => {
        destroy(pair);
        this.pairs.delete(pair);
      });
    }
    if (this.blackholed) hold(pair);
    else forward(pair);
  }
}

function forward(pair: Pair): void {
  pair.held = false;
  pair.client.pipe(pair.upstream);
  pair.upstream.pipe(pair.client);
}

function hold(pair: Pair): void {
  pair.held = true;
  pair.client.unpipe(pair.upstream);
  pair.upstream.unpipe(pair.client);
  pair.client.pause();
  pair.upstream.pause();
}

function destroy(pair: Pair): void {
  pair.client.destroy();
  pair.upstream.destroy();
}
