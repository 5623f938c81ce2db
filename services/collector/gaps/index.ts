export { TradeSequencer } from './trade-sequencer';
export type { BackfillFunction, SequencerCounts, TradeSequencerOptions } from './trade-sequencer';
