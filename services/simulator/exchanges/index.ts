import { SimulatorConfigError } from '../errors';
import type { SimulatorConfig } from '../options';
import { createBinanceProtocol } from './binance';
import { createBybitProtocol } from './bybit';
import { createOkxProtocol } from './okx';
import { type ExchangeId, type ExchangeProtocol, isExchangeId } from './types';

export { EXCHANGE_IDS, isExchangeId } from './types';
export type { CloseAction, ConnectionView, ControlOutcome, ExchangeId, ExchangeProtocol, KeepaliveRule, PeriodicEvent, Render, TradeEvent, UpgradeDecision } from './types';

/** The plug-in speaking `exchange`'s public spot protocol. */
export function createProtocol(exchange: ExchangeId, config: SimulatorConfig): ExchangeProtocol<unknown> {
  if (!isExchangeId(exchange)) throw new SimulatorConfigError(`exchange must be one of binance, okx, bybit, got ${String(exchange)}`);
  switch (exchange) {
    case 'binance':
      return createBinanceProtocol(config) as ExchangeProtocol<unknown>;
    case 'okx':
      return createOkxProtocol(config) as ExchangeProtocol<unknown>;
    case 'bybit':
      return createBybitProtocol(config) as ExchangeProtocol<unknown>;
  }
}
