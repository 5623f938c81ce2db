import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { LocalServiceError } from './errors';

export interface ManagedProcessOptions {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Output goes to this file instead of the terminal, so service chatter does not drown the pipeline's own logs. */
  logFile?: string;
  /** Prefix each output line with the name and write to the terminal. */
  prefixOutput?: boolean;
}

/** A child process this command started and therefore must stop again. */
export class ManagedProcess {
  readonly name: string;
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  constructor(options: ManagedProcessOptions) {
    this.name = options.name;
    this.child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: a terminal's Ctrl-C signals the whole foreground
      // group at once, which would stop the SQS endpoint while the ingest runner
      // still deletes its last batches. The command that started it stops it, in order.
      detached: true,
    });
    if (options.logFile) {
      mkdirSync(dirname(options.logFile), { recursive: true });
      const log = createWriteStream(options.logFile, { flags: 'a' });
      this.child.stdout?.pipe(log);
      this.child.stderr?.pipe(log);
    } else if (options.prefixOutput) {
      for (const stream of [this.child.stdout, this.child.stderr]) {
        let pending = '';
        stream?.on('data', (chunk: Buffer) => {
          const lines = (pending + chunk.toString('utf8')).split('\n');
          pending = lines.pop() ?? '';
          for (const line of lines) process.stdout.write(`${options.name.padEnd(10)}| ${line}\n`);
        });
      }
    } else {
      this.child.stdout?.resume();
      this.child.stderr?.resume();
    }
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code) => {
        this.exitCode = code;
        resolve(code);
      });
      this.child.once('error', () => {
        this.exitCode = -1;
        resolve(-1);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  waitForExit(): Promise<number | null> {
    return this.exited;
  }

  /** Polls `isReady` until it answers true; fails early if the process dies, naming its log. */
  async waitUntilReady(isReady: () => Promise<boolean>, timeoutMs: number, logHint: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new LocalServiceError(`${this.name} exited with code ${this.exitCode} during start-up; see ${logHint}`);
      if (await isReady()) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await this.stop();
    throw new LocalServiceError(`${this.name} did not become ready within ${timeoutMs} ms; see ${logHint}`);
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
