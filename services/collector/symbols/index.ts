export { SymbolSource } from './symbol-source';
export type { DesiredConfiguration, SymbolSourceOptions } from './symbol-source';
export { decideApply } from './apply-rule';
export type { ApplyDecision } from './apply-rule';
