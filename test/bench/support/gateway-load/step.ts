import { MsHistogram } from './histogram';
import type { ClientsReport } from './messages';

/** What the client processes measured over one step, summed over processes and seconds. */
export interface ClientTotals {
  latency: MsHistogram;
  age: MsHistogram;
  bytes: number;
  updates: number;
  rates: number;
  movers: number;
  closedByCode: Record<string, number>;
  /** p50 of each second's latency samples (NaN for a second without any). */
  p50BySecond: number[];
  /** Open connections in the last second every process answered. */
  openAtEnd: number;
  /** The worst event-loop delay p99 of any client process in any second, ms. */
  loopDelayP99Ms: number;
}

/**
 * Sums the reports of one step: `bySecond[i]` holds the reports the client
 * processes gave for mark i (a process that did not answer is missing from it).
 */
export function sumReports(bySecond: readonly (readonly ClientsReport[])[]): ClientTotals {
  const totals: ClientTotals = { latency: new MsHistogram(), age: new MsHistogram(), bytes: 0, updates: 0, rates: 0, movers: 0, closedByCode: {}, p50BySecond: [], openAtEnd: 0, loopDelayP99Ms: 0 };
  for (const reports of bySecond) {
    const second = new MsHistogram();
    for (const report of reports) {
      second.add(report.latency);
      totals.latency.add(report.latency);
      totals.age.add(report.age);
      totals.bytes += report.bytes;
      totals.updates += report.updates;
      totals.rates += report.rates;
      totals.movers += report.movers;
      for (const [code, count] of Object.entries(report.closedByCode)) totals.closedByCode[code] = (totals.closedByCode[code] ?? 0) + count;
      totals.loopDelayP99Ms = Math.max(totals.loopDelayP99Ms, report.loopDelayP99Ms);
    }
    totals.p50BySecond.push(second.quantile(0.5));
  }
  const last = bySecond[bySecond.length - 1];
  totals.openAtEnd = last ? last.reduce((sum, report) => sum + report.open, 0) : 0;
  return totals;
}

/** Splits `clients` connections over processes of at most `perProcess` each, and at least `minProcesses`. */
export function splitClients(clients: number, perProcess: number, minProcesses: number): number[] {
  const processes = Math.max(minProcesses, Math.ceil(clients / perProcess));
  const counts = Array.from({ length: Math.min(processes, clients) }, (_, i) => Math.floor(clients / processes) + (i < clients % processes ? 1 : 0));
  return counts.filter((count) => count > 0);
}
