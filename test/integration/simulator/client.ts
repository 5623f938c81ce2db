import WebSocket from 'ws';

/** A test client that records every text frame and how the connection ended. */
export class TestClient {
  readonly messages: string[] = [];
  pongs = 0;
  closed: { code: number } | undefined;
  private readonly ws: WebSocket;

  constructor(url: string, options: { autoPong?: boolean } = {}) {
    this.ws = new WebSocket(url, { autoPong: options.autoPong ?? true });
    this.ws.on('message', (data, isBinary) => {
      if (!isBinary) this.messages.push(data.toString());
    });
    this.ws.on('pong', () => {
      this.pongs += 1;
    });
    this.ws.on('close', (code) => {
      this.closed = { code };
    });
    this.ws.on('error', () => undefined);
  }

  async open(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    return this;
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  ping(): void {
    this.ws.ping();
  }

  json(): Array<Record<string, unknown>> {
    return this.messages.flatMap((m) => {
      try {
        return [JSON.parse(m) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  }

  async waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.ws.terminate();
    await this.waitFor(() => this.closed !== undefined);
  }
}
