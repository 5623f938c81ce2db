import { parseArgs } from 'node:util';
import { createLogger, errorMessage, exitGracefullyOnSignals, runMain } from '../shared';
import { isExchangeId } from './exchanges';
import { type SimulatorOptions, SimulatorConfigError, startSimulator } from './index';

const USAGE = `usage: npm run simulator -- [--exchange binance|okx|bybit] [--port 9443] [--host 127.0.0.1]
  [--symbols 200 | --symbols BTCUSDT,ETHUSDT] [--rate 1000] [--seed 1]
  [--exchange-info FILE (binance)] [--instruments-file FILE (okx)] [--replay FILE --speed 1]
  [--ping-interval-ms 20000] [--pong-timeout-ms 60000] (binance) [--idle-timeout-ms 30000|600000] (okx|bybit)
  [--max-connection-age-ms 86400000]
  [--history-minutes 20] [--rest-weight-limit 6000] [--log-level INFO]`;

function numberFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new SimulatorConfigError(`--${name} must be a number, got ${value}`);
  return parsed;
}

export function parseCli(argv: string[]): SimulatorOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      exchange: { type: 'string' },
      'instruments-file': { type: 'string' },
      'idle-timeout-ms': { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      symbols: { type: 'string' },
      rate: { type: 'string' },
      seed: { type: 'string' },
      'exchange-info': { type: 'string' },
      replay: { type: 'string' },
      speed: { type: 'string' },
      'ping-interval-ms': { type: 'string' },
      'pong-timeout-ms': { type: 'string' },
      'max-connection-age-ms': { type: 'string' },
      'history-minutes': { type: 'string' },
      'rest-weight-limit': { type: 'string' },
      'tick-ms': { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const exchange = values.exchange;
  if (exchange !== undefined && !isExchangeId(exchange)) throw new SimulatorConfigError(`--exchange must be binance, okx or bybit, got ${exchange}`);
  const symbols = values.symbols === undefined ? undefined : /^\d+$/.test(values.symbols) ? Number(values.symbols) : values.symbols.split(',').map((s) => s.trim());
  return {
    exchange,
    instrumentsFile: values['instruments-file'],
    idleTimeoutMs: numberFlag('idle-timeout-ms', values['idle-timeout-ms']),
    port: numberFlag('port', values.port),
    host: values.host,
    symbols,
    rate: numberFlag('rate', values.rate),
    seed: numberFlag('seed', values.seed),
    exchangeInfoFile: values['exchange-info'],
    replayFile: values.replay,
    speed: numberFlag('speed', values.speed),
    pingIntervalMs: numberFlag('ping-interval-ms', values['ping-interval-ms']),
    pongTimeoutMs: numberFlag('pong-timeout-ms', values['pong-timeout-ms']),
    maxConnectionAgeMs: numberFlag('max-connection-age-ms', values['max-connection-age-ms']),
    historyMinutes: numberFlag('history-minutes', values['history-minutes']),
    restWeightLimit: numberFlag('rest-weight-limit', values['rest-weight-limit']),
    tickMs: numberFlag('tick-ms', values['tick-ms']),
    logLevel: values['log-level'],
  };
}

async function main(): Promise<void> {
  const logger = createLogger({ serviceName: 'simulator' });
  let options: SimulatorOptions;
  try {
    options = parseCli(process.argv.slice(2));
  } catch (error) {
    console.error(`${errorMessage(error)}\n${USAGE}`);
    process.exit(2);
  }
  const simulator = await startSimulator(options);
  // One machine-readable line so scripts (npm start, benchmarks) can find the URLs.
  console.log(JSON.stringify({ event: 'listening', exchange: simulator.exchange, port: simulator.port, wsUrl: simulator.wsUrl, restUrl: simulator.restUrl }));
  exitGracefullyOnSignals({ logger, message: 'stopping simulator', stop: () => simulator.stop() });
}

if (require.main === module) runMain(main);
