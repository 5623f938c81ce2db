export {
  connectionStatusSchema,
  HISTORY_MESSAGE_VERSION,
  historyMessageSchema,
  rateRowSchema,
  ratesBatchSchema,
  statusSnapshotSchema,
} from './messages';
export type { ConnectionStatusEntry, HistoryMessage, RateRow, RatesBatch, StatusSnapshot } from './messages';
