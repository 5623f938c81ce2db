export { TradeSequencer } from './trade-sequencer';
export type { BackfillFunction, ClosedGap, SequencerCounts, TradeSequencerOptions } from './trade-sequencer';
