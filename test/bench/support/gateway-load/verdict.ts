/**
 * Whether a benchmark step held, from what was measured: every client
 * connected and stayed, and the latency did not keep growing. A step that did
 * not hold is a result, not a failure: the bench records why and goes on.
 */
export interface StepObservation {
  targetClients: number;
  /** Open connections when the measurement started. */
  connectedAtStart: number;
  /** Open connections when it ended. */
  connectedAtEnd: number;
  /** Connections the clients saw closed during the measurement, by close code. */
  closedByCode: Record<string, number>;
  /** Per-second p50 trade->client latency over the measurement, in order (NaN for a second without samples). */
  p50BySecond: number[];
  /** Client processes that did not answer a report request in time. */
  silentClientProcesses: number;
}

export interface StepVerdict {
  held: boolean;
  reasons: string[];
}

/** Latency counts as growing when the last quarter's median is this many times the first quarter's ... */
const GROWTH_FACTOR = 2;
/** ... and at least this many ms above it (a few ms of noise on a small median is not growth). */
const GROWTH_MARGIN_MS = 50;

function median(values: number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : sorted[Math.floor(sorted.length / 2)]!;
}

export function judgeStep(observation: StepObservation): StepVerdict {
  const reasons: string[] = [];
  if (observation.connectedAtStart < observation.targetClients) reasons.push(`${observation.targetClients - observation.connectedAtStart} of ${observation.targetClients} clients never connected`);
  const closed = Object.entries(observation.closedByCode).filter(([, count]) => count > 0);
  if (closed.length > 0) reasons.push(`clients disconnected during the measurement: ${closed.map(([code, count]) => `${count} × ${code}`).join(', ')}`);
  else if (observation.connectedAtEnd < observation.connectedAtStart) reasons.push(`${observation.connectedAtStart - observation.connectedAtEnd} clients lost during the measurement`);
  if (observation.silentClientProcesses > 0) reasons.push(`${observation.silentClientProcesses} client processes did not report in time (saturated)`);
  const quarter = Math.floor(observation.p50BySecond.length / 4);
  if (quarter > 0) {
    const first = median(observation.p50BySecond.slice(0, quarter));
    const last = median(observation.p50BySecond.slice(-quarter));
    if (Number.isFinite(first) && Number.isFinite(last) && last > GROWTH_FACTOR * first && last - first > GROWTH_MARGIN_MS) {
      reasons.push(`latency kept growing: per-second p50 ${first} ms in the first quarter, ${last} ms in the last`);
    }
  }
  if (observation.p50BySecond.length > 0 && observation.p50BySecond.every((v) => !Number.isFinite(v))) reasons.push('no trade update reached a client');
  return { held: reasons.length === 0, reasons };
}
