/** The lines a client process (clients.ts) prints for the bench. */
import type { MsCounts } from './histogram';

export interface ClientsReport {
  event: 'report';
  /** Connections open now. */
  open: number;
  /** Closes seen since the previous mark, by close code. */
  closedByCode: Record<string, number>;
  updates: number;
  rates: number;
  movers: number;
  bytes: number;
  latency: MsCounts;
  age: MsCounts;
  /** This process's event-loop delay p99 since the previous mark: a saturated client inflates the latency it measures. */
  loopDelayP99Ms: number;
}

export interface ClientsConnected {
  event: 'connected';
  open: number;
  failed: number;
  /** Why connections failed, by reason (HTTP status or error code). */
  failures: Record<string, number>;
  connectMs: number;
}
