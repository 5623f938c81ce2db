import { createServer } from 'node:net';
import { join } from 'node:path';
import { httpOk, ManagedProcess, redisAnswers, REPO_ROOT } from '../../localstack/env';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Every child still running, killed when this process exits whatever the
 * reason (a jest timeout abandons the harness before its `finally` runs), so
 * no Redis, fauxqs or collector outlives the run.
 */
const children = new Set<ManagedProcess>();
process.once('exit', () => {
  for (const child of children) if (child.running && child.pid) process.kill(child.pid, 'SIGKILL');
});

function tracked(child: ManagedProcess): ManagedProcess {
  children.add(child);
  void child.waitForExit().then(() => children.delete(child));
  return child;
}

/** A port nothing listens on right now, on the loopback interface. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * A redis-server of the harness's own, without persistence, so a restart loses
 * every key, as an ElastiCache node replacement does; the shared test Redis
 * must not be restarted under other tests.
 */
export class RedisServerProcess {
  private process: ManagedProcess | undefined;
  private constructor(
    readonly port: number,
    private readonly logFile: string,
  ) {}

  static async start(logDir: string): Promise<RedisServerProcess> {
    const server = new RedisServerProcess(await freePort(), join(logDir, 'redis.log'));
    await server.launch();
    return server;
  }

  /** Kills the server (no shutdown save: there is nothing to save) and starts an empty one on the same port. */
  async restart(downMs: number): Promise<void> {
    await this.stop('SIGKILL');
    await sleep(downMs);
    await this.launch();
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.process?.stop(signal, 5000);
    this.process = undefined;
  }

  private async launch(): Promise<void> {
    this.process = tracked(new ManagedProcess({
      name: 'redis-faults',
      command: 'redis-server',
      args: ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'],
      logFile: this.logFile,
    }));
    await this.process.waitUntilReady(() => redisAnswers(`redis://127.0.0.1:${this.port}`), 15_000, this.logFile);
  }
}

/**
 * fauxqs of the harness's own (its queues and their receive counts are
 * in-memory state the run depends on). fauxqs always listens on every
 * interface; the pipeline reaches it only through loopback proxies.
 */
export class FauxqsProcess {
  private constructor(
    readonly port: number,
    private readonly process: ManagedProcess,
  ) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(logDir: string): Promise<FauxqsProcess> {
    const port = await freePort();
    const logFile = join(logDir, 'fauxqs.log');
    const process = tracked(new ManagedProcess({
      name: 'fauxqs-faults',
      command: globalThis.process.execPath,
      args: [join(REPO_ROOT, 'node_modules', 'fauxqs', 'dist', 'cli.js')],
      env: { ...globalThis.process.env, FAUXQS_PORT: String(port), FAUXQS_LOGGER: 'false' },
      logFile,
    }));
    await process.waitUntilReady(() => httpOk(`http://127.0.0.1:${port}/health`), 20_000, logFile);
    return new FauxqsProcess(port, process);
  }

  stop(): Promise<void> {
    return this.process.stop('SIGTERM', 5000);
  }
}

/** One run of `services/collector/main.ts` as a child process, so it can be SIGKILLed like a task. */
export class CollectorProcess {
  readonly spawnedAt = Date.now();
  readyAt: number | undefined;
  endedAt: number | undefined;

  private constructor(
    readonly id: string,
    readonly httpPort: number,
    private readonly process: ManagedProcess,
  ) {}

  static async spawn(id: string, env: Record<string, string>, logDir: string): Promise<CollectorProcess> {
    const httpPort = await freePort();
    const process = tracked(new ManagedProcess({
      name: `collector-${id}`,
      command: globalThis.process.execPath,
      args: ['--import', 'tsx', join(REPO_ROOT, 'services', 'collector', 'main.ts')],
      cwd: REPO_ROOT,
      env: { ...globalThis.process.env, ...env, COLLECTOR_ID: id, HTTP_PORT: String(httpPort) },
      logFile: join(logDir, `collector-${id}.log`),
    }));
    return new CollectorProcess(id, httpPort, process);
  }

  get running(): boolean {
    return this.process.running;
  }

  /** True when `/ready` answers 200 now. */
  async ready(): Promise<boolean> {
    if (!this.process.running) return false;
    const ok = await httpOk(`http://127.0.0.1:${this.httpPort}/ready`, 1000);
    if (ok) this.readyAt ??= Date.now();
    return ok;
  }

  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.process.running) throw new Error(`collector ${this.id} exited before it was ready`);
      if (await this.ready()) return;
      await sleep(200);
    }
    throw new Error(`collector ${this.id} not ready within ${timeoutMs} ms`);
  }

  /** SIGTERM stops gracefully (everything flushed); SIGKILL is a crash. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.process.running) this.endedAt = Date.now();
    await this.process.stop(signal, 15_000);
  }
}
