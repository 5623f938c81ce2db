import { combinedMessage } from './format';

/** Size of the oversized frame in a garbage burst: far above any real event. */
export const HUGE_FRAME_BYTES = 1024 * 1024;

/**
 * A burst of frames a collector must survive without crashing or storing anything:
 * broken JSON, wrong types, impossible prices, unknown streams, a ~1 MiB frame,
 * missing fields. `stream` is one the connection subscribed to so the frames look
 * like they belong to it.
 */
export function garbageFrames(stream: string, symbol: string, combined: boolean, now: number): string[] {
  const wrap = (payload: string): string => (combined ? combinedMessage(stream, payload) : payload);
  const trade = (p: string, extra = ''): string =>
    `{"e":"aggTrade","E":${now},"s":"${symbol}","a":1,"p":${p},"q":"1.00000000","f":1,"l":1,"T":${now},"m":false,"M":true${extra}}`;
  return [
    '{"stream":',
    'not json at all',
    'null',
    '[]',
    wrap(`{"e":"aggTrade","E":"yesterday","s":42,"a":"x","p":1.5,"q":true,"f":null,"l":{},"T":"now","m":"no","M":1}`),
    wrap(trade('"-1.00000000"')),
    wrap(trade('"NaN"')),
    wrap(trade('"0.00000000"')),
    wrap(trade('"Infinity"')),
    wrap(trade('"1e400"')),
    combinedMessage(`${symbol.toLowerCase()}@bogusStream`, `{"e":"bogus","E":${now}}`),
    combinedMessage('zzzzzzusdt@aggTrade', trade('"1.00000000"').replace(symbol, 'ZZZZZZUSDT')),
    wrap(`{"e":"aggTrade","s":"${symbol}"}`),
    wrap(`{"e":"aggTrade","E":${now},"s":"${symbol}","a":1,"p":"1.00000000","q":"1.00000000","f":1,"l":1,"T":${now},"m":false,"M":true,"pad":"${'x'.repeat(HUGE_FRAME_BYTES)}"}`),
  ];
}
