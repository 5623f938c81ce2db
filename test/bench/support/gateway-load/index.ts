/** The pieces of the gateway benchmark that are not the orchestration (test/bench/gateway.bench.ts). */
export { summarizeProfile, type CpuProfile, type HotSpot, type ProfileSummary } from './cpu-profile';
export { scanFrame, type ScannedFrame, type ScannedRate } from './frames';
export { HISTOGRAM_CAP_MS, mergeHistograms, MsHistogram, type MsCounts } from './histogram';
export { judgeStep, type StepObservation, type StepVerdict } from './verdict';
export type { ClientsConnected, ClientsReport } from './messages';
export { ClientFleet, CLIENTS_ENTRY, type FleetOptions } from './fleet';
export { splitClients, sumReports, type ClientTotals } from './step';
export { loadGatewayBenchConfig, machineBusyPercent, machineCpuTimes, openFilesLimit, type CpuTimes, type GatewayBenchConfig } from './config';
