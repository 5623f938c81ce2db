export type { Kline, SymbolInfo, Trade } from './trade';
