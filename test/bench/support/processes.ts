import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

export const repoRoot = path.resolve(__dirname, '../../..');

export interface ProcessSample {
  cpuSeconds: number;
  rssBytes: number;
}

/** CPU time and resident memory of a process from /proc (Linux). */
export function sampleProcess(pid: number): ProcessSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return { cpuSeconds: ticks / 100, rssBytes: rssKb * 1024 };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface SpawnTsOptions {
  /** Flags for node itself (e.g. --cpu-prof), before the entry point. */
  nodeArgs?: string[];
  /** A pipe to the child's stdin (for line commands); otherwise stdin is closed. */
  stdin?: boolean;
}

/** Runs a TypeScript entry point of the repository in its own Node process. */
export function spawnTs(entry: string, args: string[], env: NodeJS.ProcessEnv = {}, options: SpawnTsOptions = {}): ChildProcess {
  return spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', path.join(repoRoot, entry), ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'inherit'],
  });
}

/** Starts the simulator in its own process, resolving with its URLs once it listens. */
export async function startSimulatorProcess(args: string[]): Promise<{ child: ChildProcess; wsUrl: string; restUrl: string }> {
  const child = spawnTs('services/simulator/cli.ts', ['--port', '0', '--log-level', 'WARN', ...args]);
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  for await (const line of lines) {
    if (!line.startsWith('{"event":"listening"')) continue;
    const { wsUrl, restUrl } = JSON.parse(line) as { wsUrl: string; restUrl: string };
    return { child, wsUrl, restUrl };
  }
  throw new Error('simulator exited before listening');
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
