import { parseE8 } from './decimal';
import { ReplayFormatError } from './errors';
import type { AggTradeRecord } from './history';

/** One recorded event, with the original text kept so it is re-sent byte for byte. */
export interface ReplayEvent {
  stream: string;
  symbol: string;
  eventTime: number;
  trade: AggTradeRecord;
  /** The recorded line, as sent to combined-stream connections. */
  combined: string;
  /** The recorded `data` object, as sent to raw connections. */
  payload: string;
}

function field<T>(data: Record<string, unknown>, key: string, type: 'number' | 'string' | 'boolean', line: number): T {
  const value = data[key];
  if (typeof value !== type || (type === 'number' && !Number.isFinite(value))) throw new ReplayFormatError(line, `field ${key} must be a ${type}`);
  return value as T;
}

/**
 * Parses one line of a recorded combined stream: `{"stream":"btcusdt@aggTrade","data":{...}}`
 * with an aggTrade or trade payload. Prices and quantities must be plain decimals.
 */
export function parseReplayLine(text: string, line: number): ReplayEvent {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch (cause) {
    throw new ReplayFormatError(line, 'not JSON', { cause });
  }
  const { stream, data } = (message ?? {}) as { stream?: unknown; data?: unknown };
  if (typeof stream !== 'string' || typeof data !== 'object' || data === null) throw new ReplayFormatError(line, 'not a combined-stream message {"stream","data"}');
  const record = data as Record<string, unknown>;
  const kind = field<string>(record, 'e', 'string', line);
  const symbol = field<string>(record, 's', 'string', line);
  const eventTime = field<number>(record, 'E', 'number', line);
  let priceE8: number;
  let qtyE8: number;
  try {
    priceE8 = parseE8(field<string>(record, 'p', 'string', line));
    qtyE8 = parseE8(field<string>(record, 'q', 'string', line));
  } catch (cause) {
    if (cause instanceof ReplayFormatError) throw cause;
    throw new ReplayFormatError(line, 'price or quantity is not a decimal', { cause });
  }
  const T = field<number>(record, 'T', 'number', line);
  const m = field<boolean>(record, 'm', 'boolean', line);
  let trade: AggTradeRecord;
  if (kind === 'aggTrade') {
    trade = { a: field(record, 'a', 'number', line), f: field(record, 'f', 'number', line), l: field(record, 'l', 'number', line), T, priceE8, qtyE8, m };
  } else if (kind === 'trade') {
    const t = field<number>(record, 't', 'number', line);
    trade = { a: t, f: t, l: t, T, priceE8, qtyE8, m };
  } else {
    throw new ReplayFormatError(line, `event type ${kind} cannot be replayed (aggTrade or trade only)`);
  }
  return { stream, symbol, eventTime, trade, combined: text, payload: JSON.stringify(data) };
}

/** Parses a whole recording; blank lines are skipped, at most `maxEvents` are accepted. */
export function parseReplay(content: string, maxEvents: number): ReplayEvent[] {
  const events: ReplayEvent[] = [];
  const lines = content.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const text = (lines[i] as string).trim();
    if (text === '') continue;
    if (events.length === maxEvents) throw new ReplayFormatError(i + 1, `more than ${maxEvents} events; raise maxReplayEvents`);
    events.push(parseReplayLine(text, i + 1));
  }
  if (events.length === 0) throw new ReplayFormatError(0, 'the recording is empty');
  return events;
}

/**
 * Pacing of a recording: event i is due when (E_i - E_0) / speed has elapsed since
 * `start`. The exchange clock reads E_0 before the start and follows the recording
 * after it, never ahead of an event that is due but not yet sent.
 */
export class ReplayCursor {
  private startedAt: number | undefined;
  private next = 0;
  private readonly firstTime: number;

  constructor(
    private readonly events: readonly ReplayEvent[],
    private readonly speed: number,
  ) {
    this.firstTime = (events[0] as ReplayEvent).eventTime;
  }

  get started(): boolean {
    return this.startedAt !== undefined;
  }

  get position(): number {
    return this.next;
  }

  get total(): number {
    return this.events.length;
  }

  start(now: number): void {
    this.startedAt ??= now;
  }

  /** Events due at `now`, at most `max` (the rest stay due for the next call). */
  due(now: number, max: number): ReplayEvent[] {
    if (this.startedAt === undefined) return [];
    const horizon = this.firstTime + (now - this.startedAt) * this.speed;
    const out: ReplayEvent[] = [];
    while (this.next < this.events.length && out.length < max) {
      const event = this.events[this.next] as ReplayEvent;
      if (event.eventTime > horizon) break;
      out.push(event);
      this.next += 1;
    }
    return out;
  }

  /** Exchange time (ms) at wall time `now`. */
  clock(now: number): number {
    if (this.startedAt === undefined) return this.firstTime;
    const horizon = Math.floor(this.firstTime + (now - this.startedAt) * this.speed);
    const pending = this.events[this.next];
    if (pending && pending.eventTime <= horizon) return (this.events[this.next - 1] ?? pending).eventTime;
    return horizon;
  }
}
