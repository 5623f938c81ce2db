export { ConfigStore } from './config-store';
export type { Preconditions, WriteResult } from './config-store';
export { checkPairAdmission } from './pair-admission';
export type { PairListing } from './pair-admission';
export { decodeCursor, encodeCursor, HistoryStore, INTERVAL_MS } from './history-store';
export type { HistoryInterval, HistoryPage, HistoryPageRequest } from './history-store';
export { readConnectionStatus } from './status-store';
export type { ConnectionStatusRow } from './status-store';
