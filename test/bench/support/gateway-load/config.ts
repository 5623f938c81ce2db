import { z } from 'zod';
import { integerVariable as integer } from '../../../../services/shared/env-schema';
import { loadEnv } from '../../../../services/shared/load-env';

const integerList = (min: number, max: number) =>
  z
    .string()
    .transform((value) => value.split(',').map((part) => part.trim()).filter(Boolean).map(Number))
    .refine((list) => list.length > 0 && list.every((n) => Number.isInteger(n) && n >= min && n <= max), `a comma list of integers from ${min} to ${max}`);

/** The gateway benchmark's knobs (docs/stream.md, "Benchmark"); a bad value stops it naming the variable. */
const schema = z.object({
  BENCH_GATEWAY_CLIENTS: integerList(1, 100_000).default([1000, 5000, 10_000]),
  BENCH_GATEWAY_CONFLATE_MS: integerList(0, 60_000).default([0, 250]),
  BENCH_GATEWAY_SECONDS: integer(2, 3600).default(30),
  BENCH_GATEWAY_WARMUP_SECONDS: integer(0, 600).default(5),
  BENCH_GATEWAY_CONNECTIONS_PER_PROCESS: integer(1, 100_000).default(5000),
  BENCH_GATEWAY_CLIENT_PROCESSES: integer(1, 64).default(2),
  BENCH_GATEWAY_SYMBOLS: integer(20, 5000).default(2000),
  BENCH_GATEWAY_TRADES_PER_SECOND: integer(1, 200_000).default(20_000),
  BENCH_GATEWAY_PROFILE: z.enum(['0', '1']).default('1'),
  BENCH_REDIS_DB: integer(0, 15).default(14),
});

export interface GatewayBenchConfig {
  /** Connections per step. */
  clients: number[];
  /** GATEWAY_CONFLATE_MS of each round of steps. */
  conflateMs: number[];
  measureMs: number;
  warmupMs: number;
  /** Most connections one client process opens (each is a file descriptor). */
  connectionsPerProcess: number;
  /** Fewest client processes per step. */
  clientProcesses: number;
  symbols: number;
  tradesPerSecond: number;
  /** Run the largest step once more with the gateway under --cpu-prof. */
  profile: boolean;
  redisDb: number;
}

export function loadGatewayBenchConfig(env: NodeJS.ProcessEnv = process.env): GatewayBenchConfig {
  const e = loadEnv(schema, env, { component: 'gateway benchmark', emptyAsUnset: true });
  return {
    clients: e.BENCH_GATEWAY_CLIENTS,
    conflateMs: e.BENCH_GATEWAY_CONFLATE_MS,
    measureMs: e.BENCH_GATEWAY_SECONDS * 1000,
    warmupMs: e.BENCH_GATEWAY_WARMUP_SECONDS * 1000,
    connectionsPerProcess: e.BENCH_GATEWAY_CONNECTIONS_PER_PROCESS,
    clientProcesses: e.BENCH_GATEWAY_CLIENT_PROCESSES,
    symbols: e.BENCH_GATEWAY_SYMBOLS,
    tradesPerSecond: e.BENCH_GATEWAY_TRADES_PER_SECOND,
    profile: e.BENCH_GATEWAY_PROFILE === '1',
    redisDb: e.BENCH_REDIS_DB,
  };
}

/** The soft open-files limit of this process (children inherit it), from /proc; undefined when unknown or unlimited. */
export function openFilesLimit(limitsText: string): number | undefined {
  const line = limitsText.split('\n').find((l) => l.startsWith('Max open files'));
  const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
  return soft === undefined || soft === 'unlimited' ? undefined : Number(soft);
}

export interface CpuTimes {
  /** Jiffies of all cores together. */
  total: number;
  idle: number;
}

/** The machine's CPU times from the first line of /proc/stat (idle includes iowait). */
export function machineCpuTimes(statText: string): CpuTimes {
  const fields = (statText.split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user).
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  return { total: user + nice + system + idle + iowait + irq + softirq + steal, idle: idle + iowait };
}

/** Busy CPU between two readings, in percent of one core (so 2 cores run flat out are 200). */
export function machineBusyPercent(before: CpuTimes, after: CpuTimes, cores: number): number {
  const total = after.total - before.total;
  if (total <= 0) return Number.NaN;
  return ((total - (after.idle - before.idle)) / total) * cores * 100;
}
