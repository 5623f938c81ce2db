export { appliedCommit, readAppliedCommits, readHeartbeats } from './heartbeats';
export { parseRateHash, RATE_EXCHANGES, RatesReader, symbolIndexKey } from './rates-reader';
export { SnapshotPublisher } from './snapshot-publisher';
export { InstrumentsReader } from './instruments-reader';
export type { InstrumentLookup } from './instruments-reader';
