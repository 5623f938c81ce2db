export { RequestWeightBudget } from './weight-budget';
export type { RequestWeightBudgetOptions, WeightBudgetState } from './weight-budget';
export { WeightBudgetClosedError, WeightQueueFullError, WeightTooLargeError, WeightWaitAbortedError } from './errors';
