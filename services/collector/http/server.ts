import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { errorMessage, type Logger } from '../../shared';

export interface Readiness {
  ready: boolean;
  /** Why not ready, for operators reading `/ready`. */
  reasons: string[];
}

export interface HttpEndpoints {
  /** Liveness: false only when the process can no longer do its work. */
  healthy(): boolean;
  readiness(): Readiness;
  status(): unknown;
  registry: Registry;
  logger?: Logger;
}

/** `/health`, `/ready`, `/status` and `/metrics` of the design's contract. */
export class CollectorHttpServer {
  private readonly server: Server;

  constructor(private readonly endpoints: HttpEndpoints) {
    this.server = createServer((req, res) => void this.handle(req, res));
    // Prometheus scrapers and ALB health checks keep connections alive; bound idle sockets.
    this.server.keepAliveTimeout = 5000;
  }

  async listen(port: number, host = '0.0.0.0'): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : port;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: 'method not allowed' });
      switch (path) {
        case '/health': {
          const healthy = this.endpoints.healthy();
          return send(res, healthy ? 200 : 503, { status: healthy ? 'ok' : 'unhealthy' });
        }
        case '/ready': {
          const readiness = this.endpoints.readiness();
          return send(res, readiness.ready ? 200 : 503, readiness);
        }
        case '/status':
          return send(res, 200, this.endpoints.status());
        case '/metrics': {
          const body = await this.endpoints.registry.metrics();
          res.writeHead(200, { 'content-type': this.endpoints.registry.contentType });
          res.end(body);
          return;
        }
        default:
          return send(res, 404, { error: `no route ${path}; try /health, /ready, /status or /metrics` });
      }
    } catch (error) {
      this.endpoints.logger?.error('HTTP handler failed', { path, error: errorMessage(error) });
      send(res, 500, { error: errorMessage(error) });
    }
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
