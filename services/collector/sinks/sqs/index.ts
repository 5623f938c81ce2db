export { createCollectorSqsClient, SQS_MAX_ATTEMPTS, type CollectorSqsClientSettings } from './client';
export { packRateRows } from './encode';
export type { BatchHeader } from './encode';
export { HistoryBatcher } from './history-batcher';
export { HistoryPersister } from './history-persister';
export type { HistoryPersisterOptions } from './history-persister';
export { SpillStore } from './spill-store';
export { SqsHistorySender } from './sqs-sender';
export type { SqsSenderOptions } from './sqs-sender';
