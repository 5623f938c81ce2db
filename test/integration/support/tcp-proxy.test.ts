import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { TcpProxy } from '../../support';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Long enough for a forwarded echo on loopback (well under a millisecond) many times over. */
const SILENCE_MS = 300;

async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** A client socket that records what it receives and whether it closed. */
interface Probe {
  socket: Socket;
  received: () => string;
  closed: () => boolean;
}

async function connect(port: number): Promise<Probe> {
  const socket = createConnection({ host: '127.0.0.1', port });
  let received = '';
  let closed = false;
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  socket.on('error', () => undefined); // a reset from the proxy shows as `closed`
  socket.on('close', () => (closed = true));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, received: () => received, closed: () => closed };
}

async function echoed(probe: Probe, text: string): Promise<void> {
  const before = probe.received().length;
  probe.socket.write(text);
  await waitFor(() => probe.received().slice(before).includes(text), 2000, `the echo of ${text}`);
}

describe('TcpProxy', () => {
  let echo: Server;
  let proxy: TcpProxy;
  const probes: Probe[] = [];
  const open = async () => {
    const probe = await connect(proxy.port);
    probes.push(probe);
    return probe;
  };

  beforeEach(async () => {
    echo = createServer((socket) => {
      socket.on('error', () => socket.destroy());
      socket.pipe(socket);
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const address = echo.address();
    proxy = new TcpProxy('127.0.0.1', typeof address === 'object' && address ? address.port : 0);
    await proxy.start();
  });

  afterEach(async () => {
    for (const probe of probes.splice(0)) probe.socket.destroy();
    await proxy.stop();
    await new Promise<void>((resolve) => echo.close(() => resolve()));
  });

  it('forwards both ways, and a blackhole holds every byte while connections stay open and new ones are accepted', async () => {
    // Prepare
    const old = await open();
    await echoed(old, 'before');

    // Act
    proxy.blackhole();
    old.socket.write('held');
    const fresh = await open();
    fresh.socket.write('also held');
    await sleep(SILENCE_MS);

    // Assert
    expect(old.received()).toBe('before');
    expect(fresh.received()).toBe('');
    expect(old.closed() || fresh.closed()).toBe(false);
    expect(proxy.connections).toBe(2);
  });

  it('heals by default by closing the stuck connections and forwarding new ones', async () => {
    // Prepare
    const old = await open();
    proxy.blackhole();
    old.socket.write('held');

    // Act
    proxy.heal();
    const fresh = await open();

    // Assert
    await waitFor(() => old.closed(), 2000, 'the stuck connection to close');
    expect(old.received()).toBe('');
    await echoed(fresh, 'after');
  });

  it('can keep the stuck connections stuck after healing, like a failover to a new primary', async () => {
    // Prepare
    const old = await open();
    proxy.blackhole();

    // Act
    proxy.heal('keep');
    old.socket.write('never');
    const fresh = await open();
    await echoed(fresh, 'after');
    await sleep(SILENCE_MS);

    // Assert
    expect(old.received()).toBe('');
    expect(old.closed()).toBe(false);
  });

  it('can resume the stuck connections with the bytes held meanwhile, like a short partition', async () => {
    // Prepare
    const old = await open();
    proxy.blackhole();
    old.socket.write('held');
    await sleep(50);

    // Act
    proxy.heal('resume');

    // Assert
    await waitFor(() => old.received() === 'held', 2000, 'the held bytes to arrive');
    await echoed(old, 'after');
  });
});
