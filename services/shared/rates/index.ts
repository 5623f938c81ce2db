export { CHANGE_FIELDS, EXCHANGE_PATTERN, isRateWindow, parseRateKey, rankKey, RATE_WINDOWS, RATE_WINDOWS_MS, rateKey, rateKeyPattern, ratesChannel, STATUS_KEY_PREFIX, statusKey, SYMBOL_PATTERN, symbolIndexKey } from './keys';
export type { ChangeField, RateWindow } from './keys';
export { decodeFlags, encodeFlags, isRateFlag, RATE_FLAGS } from './flags';
export type { RateFlag } from './flags';
export { decodePreviousState, decodeRateHash, encodeRateHash, formatChange, rateFieldsFromHash, rateScriptArgs, rateStateFromHash } from './hash';
export type { Rate, RateFields, RateState } from './hash';
export { decodeRatesMessage, MAX_RATES_PER_MESSAGE, RatesMessageError } from './channel';
export type { DecodedRatesMessage } from './channel';
