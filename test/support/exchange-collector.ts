import type { SimulatorHandle } from '../../services/simulator';

const PREFIX = { binance: 'BINANCE', okx: 'OKX', bybit: 'BYBIT' } as const;

/** The collector environment of `exchange` pointed at its simulator `sim` (EXCHANGE and that exchange's endpoint variables). */
export function exchangeCollectorEnv(exchange: keyof typeof PREFIX, sim: SimulatorHandle, env: Record<string, string>): Record<string, string> {
  return {
    EXCHANGE: exchange,
    [`${PREFIX[exchange]}_WS_URL`]: sim.wsUrl,
    [`${PREFIX[exchange]}_REST_URL`]: sim.restUrl,
    HTTP_PORT: '0',
    LOG_LEVEL: 'ERROR',
    ...env,
  };
}
