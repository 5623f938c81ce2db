import { CollectorError, ConfigError } from '../shared/errors';

/** Invalid simulator option (CLI flag or library option); the message names it. */
export class SimulatorConfigError extends ConfigError {}

/** A replay file line that is not a recorded combined-stream aggTrade/trade message. */
export class ReplayFormatError extends CollectorError {
  readonly line: number;

  constructor(line: number, message: string, options?: { cause?: unknown }) {
    super('SIMULATOR_REPLAY_FORMAT', `replay line ${line}: ${message}`, options);
    this.line = line;
  }
}

/** An exchangeInfo file that does not have the shape of `GET /api/v3/exchangeInfo`. */
export class ExchangeInfoFormatError extends CollectorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SIMULATOR_EXCHANGE_INFO_FORMAT', message, options);
  }
}

/** A fault-injection request with bad parameters (answered 400 by `/_sim`). */
export class FaultRequestError extends CollectorError {
  constructor(message: string) {
    super('SIMULATOR_FAULT_REQUEST', message);
  }
}

/** An OKX instruments file that does not have the shape of `GET /api/v5/public/instruments`. */
export class InstrumentsFormatError extends CollectorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SIMULATOR_INSTRUMENTS_FORMAT', message, options);
  }
}
