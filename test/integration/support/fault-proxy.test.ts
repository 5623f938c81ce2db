import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { FaultProxy } from '../../support/fault-proxy';

/** Collects what a socket receives, and resolves once `text` has arrived. */
function reader(socket: Socket): { received: () => string; waitFor: (text: string, timeoutMs: number) => Promise<boolean> } {
  let data = '';
  socket.on('data', (chunk: Buffer) => (data += chunk.toString('utf8')));
  return {
    received: () => data,
    waitFor: async (text, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (data.includes(text)) return true;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return data.includes(text);
    },
  };
}

async function connect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('FaultProxy', () => {
  let echo: Server;
  let echoPort: number;
  let proxy: FaultProxy;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    echo = createServer((socket) => socket.pipe(socket));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', () => resolve()));
    echoPort = (echo.address() as { port: number }).port;
    proxy = new FaultProxy('127.0.0.1', echoPort);
    await proxy.start();
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await proxy.down();
    await new Promise<void>((resolve) => echo.close(() => resolve()));
  });

  it('holds bytes in both directions during a blackhole, also on new connections, and delivers them after it', async () => {
    // Prepare
    const open = await connect(proxy.port);
    sockets.push(open);
    const openReader = reader(open);
    open.write('before;');
    expect(await openReader.waitFor('before;', 2000)).toBe(true);

    // Act
    proxy.blackhole();
    open.write('during;');
    const late = await connect(proxy.port);
    sockets.push(late);
    const lateReader = reader(late);
    late.write('late;');
    const leakedDuring = (await openReader.waitFor('during;', 300)) || (await lateReader.waitFor('late;', 300));
    proxy.restore();

    // Assert
    expect(leakedDuring).toBe(false);
    expect(await openReader.waitFor('during;', 2000)).toBe(true);
    expect(await lateReader.waitFor('late;', 2000)).toBe(true);
    expect(openReader.received()).toBe('before;during;');
  });

  it('refuses connections while down and forwards again after up', async () => {
    // Act
    await proxy.down();
    const refused = await connect(proxy.port).then(
      (socket) => {
        socket.destroy();
        return false;
      },
      () => true,
    );
    await proxy.up();
    const again = await connect(proxy.port);
    sockets.push(again);
    const againReader = reader(again);
    again.write('back;');

    // Assert
    expect(refused).toBe(true);
    expect(await againReader.waitFor('back;', 2000)).toBe(true);
  });
});
