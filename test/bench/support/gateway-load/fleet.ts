import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { spawnTs, stopProcess } from '../processes';
import type { ClientsConnected, ClientsReport } from './messages';

export const CLIENTS_ENTRY = 'test/bench/support/gateway-load/clients.ts';

export interface FleetOptions {
  url: string;
  /** Connections per process. */
  counts: number[];
  symbols: readonly string[];
  symbolsPerClient: number;
  moversWindow: string;
}

interface Member {
  child: ChildProcess;
  connected: Promise<ClientsConnected | undefined>;
  reports: ClientsReport[];
  /** Marks sent: report i answers mark i, so a late answer is never taken for a later mark. */
  marks: number;
  waiters: Array<() => void>;
}

/**
 * The client processes of one benchmark step (clients.ts each), driven by lines:
 * `mark` asks every process for what it measured since the previous mark. A
 * process that dies or stops answering is reported as missing, never waited
 * for without a bound.
 */
export class ClientFleet {
  private constructor(private readonly members: Member[]) {}

  static start(options: FleetOptions): ClientFleet {
    let offset = 0;
    const members = options.counts.map((count) => {
      const child = spawnTs(
        CLIENTS_ENTRY,
        [],
        {
          BENCH_GW_URL: options.url,
          BENCH_GW_CONNECTIONS: String(count),
          BENCH_GW_OFFSET: String(offset),
          BENCH_GW_SYMBOLS: options.symbols.join(','),
          BENCH_GW_SYMBOLS_PER_CLIENT: String(options.symbolsPerClient),
          BENCH_GW_MOVERS_WINDOW: options.moversWindow,
        },
        { stdin: true },
      );
      offset += count;
      // A process that died makes writes to its stdin fail; mark() sees the exit and counts it as silent.
      child.stdin?.on('error', () => undefined);
      const member: Member = { child, connected: Promise.resolve(undefined), reports: [], marks: 0, waiters: [] };
      member.connected = new Promise((resolve) => {
        child.once('exit', () => {
          resolve(undefined);
          for (const wake of member.waiters.splice(0)) wake();
        });
        createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
          if (!line.startsWith('{')) return;
          const message = JSON.parse(line) as ClientsConnected | ClientsReport;
          if (message.event === 'connected') resolve(message);
          else {
            member.reports.push(message);
            for (const wake of member.waiters.splice(0)) wake();
          }
        });
      });
      return member;
    });
    return new ClientFleet(members);
  }

  get pids(): number[] {
    return this.members.map((m) => m.child.pid).filter((pid): pid is number => pid !== undefined);
  }

  /** Every process's `connected` line; a process that did not finish connecting within the bound gives undefined. */
  async connected(timeoutMs: number): Promise<Array<ClientsConnected | undefined>> {
    return Promise.all(this.members.map((m) => withTimeout(m.connected, timeoutMs)));
  }

  /** Asks every process for a report; resolves with those that answered within the bound. */
  async mark(timeoutMs: number): Promise<{ reports: ClientsReport[]; silent: number }> {
    const answers = await Promise.all(
      this.members.map(async (member) => {
        if (member.child.exitCode !== null || !member.child.stdin?.writable) return undefined;
        const expected = ++member.marks;
        member.child.stdin.write('mark\n');
        const deadline = Date.now() + timeoutMs;
        while (member.reports.length < expected && Date.now() < deadline && member.child.exitCode === null) {
          await withTimeout(new Promise<void>((resolve) => member.waiters.push(resolve)), deadline - Date.now());
        }
        return member.reports[expected - 1];
      }),
    );
    const reports = answers.filter((r): r is ClientsReport => r !== undefined);
    return { reports, silent: answers.length - reports.length };
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => stopProcess(m.child)));
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), Math.max(0, ms));
    void promise.then((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}
