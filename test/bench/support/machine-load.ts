import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** Busy and total CPU time of the whole machine from /proc/stat (Linux), in clock ticks. */
export interface MachineCpuSample {
  busyTicks: number;
  totalTicks: number;
}

export function sampleMachineCpu(): MachineCpuSample {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: idle and iowait are not busy.
  const total = fields.slice(0, 8).reduce((sum, value) => sum + value, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busyTicks: total - idle, totalTicks: total };
}

/**
 * CPU the whole machine used between two samples, in percent of one core (so a
 * 2-core machine tops out at 200), comparable with the per-process figures.
 */
export function machineCpuPercent(before: MachineCpuSample, after: MachineCpuSample): number {
  const total = after.totalTicks - before.totalTicks;
  if (total <= 0) return Number.NaN;
  return ((after.busyTicks - before.busyTicks) / total) * cpus().length * 100;
}
