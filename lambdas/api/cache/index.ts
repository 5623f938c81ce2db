export { appliedCommit, readAppliedCommits, readHeartbeats } from './heartbeats';
export { parseRateHash, RatesReader } from './rates-reader';
export { SnapshotPublisher } from './snapshot-publisher';
