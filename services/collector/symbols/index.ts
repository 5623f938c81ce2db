export { SymbolSource } from './symbol-source';
export type { DesiredConfiguration, SymbolSourceOptions } from './symbol-source';
