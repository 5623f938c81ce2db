import { Backoff, type BackoffOptions } from './backoff';
import { RateBook, type StreamRate } from './rate-book';

/**
 * A browser client of the stream gateway (docs/stream.md), with no framework
 * and no dependency beyond WebSocket: connects, resubscribes after every
 * reconnect, reconnects with jittered backoff, keeps the newest value per
 * exchange and symbol (one book per exchange: BTCUSDT on binance and on okx are
 * two rates), and notices a connection that went silent. Frontends can copy this
 * folder as it is.
 */
export type RateWindow = '1m' | '5m' | '15m';

export type Subscription =
  | { channel: 'rates'; exchange: string; symbols: string[] | '*' }
  | { channel: 'movers'; exchange: string; window: RateWindow; limit: number }
  | { channel: 'health' }
  | { channel: 'chart'; exchange: string; symbol: string };

export interface Mover {
  symbol: string;
  change: string;
}

export interface MoversMessage {
  type: 'movers';
  exchange: string;
  window: RateWindow;
  gainers: Mover[];
  losers: Mover[];
}

export interface HealthMessage {
  type: 'health';
  collectors: Array<Record<string, string>>;
}

/** The last minutes of one symbol's price, oldest first, as `[ts, price]` (epoch ms, exchange string). */
export interface ChartMessage {
  type: 'chart';
  exchange: string;
  symbol: string;
  points: Array<[number, string]>;
}

export interface ErrorMessage {
  type: 'error';
  id: number | null;
  code: string;
  message: string;
}

export type StreamState = 'connecting' | 'open' | 'stale' | 'reconnecting' | 'closed';

/** What the client needs of a WebSocket: the browser's and `ws`'s both fit. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export interface StreamClientOptions {
  /** `ws(s)://host/v1/stream`. */
  url: string;
  /** A token, or a function that fetches a fresh one before each connection (tokens are short-lived). */
  token?: string | (() => Promise<string>);
  subscriptions: Subscription[];
  /** Default: the global WebSocket. */
  socketFactory?: (url: string) => SocketLike;
  backoff?: BackoffOptions;
  /** A ping goes out this often; it keeps load balancers from closing an idle connection. Default 15 s. */
  pingIntervalMs?: number;
  /** Nothing received for this long: the connection is treated as dead and replaced. Default 45 s. */
  silenceTimeoutMs?: number;
  /** `kind` tells a snapshot (values as they were, possibly old) from a live update; `book` is the exchange's. */
  onRates?: (changed: StreamRate[], book: RateBook, kind: 'snapshot' | 'update', exchange: string) => void;
  /**
   * Every rates snapshot, even an empty one (onRates only sees rates that changed the book):
   * an empty snapshot of `"*"` says the exchange has no data, not that it is still loading.
   */
  onSnapshot?: (exchange: string, book: RateBook) => void;
  onMovers?: (message: MoversMessage) => void;
  onHealth?: (message: HealthMessage) => void;
  onChart?: (message: ChartMessage) => void;
  onState?: (state: StreamState, detail?: string) => void;
  onError?: (message: ErrorMessage) => void;
}

const OPEN = 1;

export class StreamClient {
  private readonly books = new Map<string, RateBook>();
  private socket: SocketLike | undefined;
  private readonly backoff: Backoff;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private lastMessageAt = 0;
  private nextId = 1;
  private stopped = false;
  private stateValue: StreamState = 'connecting';
  private readonly subscriptions: Subscription[];

  constructor(private readonly options: StreamClientOptions) {
    this.backoff = new Backoff(options.backoff);
    this.subscriptions = [...options.subscriptions];
  }

  /** Adds a subscription now (when connected) and after every reconnect. */
  subscribe(subscription: Subscription): void {
    this.subscriptions.push(subscription);
    this.send({ op: 'subscribe', id: this.nextId++, ...subscription });
  }

  /** Drops a subscription added before (matched by its keys). */
  unsubscribe(subscription: Subscription): void {
    const key = JSON.stringify(subscription);
    const index = this.subscriptions.findIndex((held) => JSON.stringify(held) === key);
    if (index >= 0) this.subscriptions.splice(index, 1);
    this.send({ op: 'unsubscribe', id: this.nextId++, ...subscription });
  }

  /** The latest rates of one exchange (empty until its snapshot arrives). */
  bookOf(exchange: string): RateBook {
    let book = this.books.get(exchange);
    if (!book) this.books.set(exchange, (book = new RateBook()));
    return book;
  }

  get state(): StreamState {
    return this.stateValue;
  }

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.pingTimer);
    this.socket?.close(1000, 'client stopped');
    this.socket = undefined;
    this.setState('closed');
  }

  private setState(state: StreamState, detail?: string): void {
    if (state === this.stateValue && detail === undefined) return;
    this.stateValue = state;
    this.options.onState?.(state, detail);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.setState(this.stateValue === 'connecting' ? 'connecting' : 'reconnecting');
    let url = this.options.url;
    try {
      const token = typeof this.options.token === 'function' ? await this.options.token() : this.options.token;
      if (token) url += `${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
    } catch (error) {
      this.scheduleReconnect(`token: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    if (this.stopped) return;
    const factory = this.options.socketFactory ?? ((target: string) => new (globalThis as unknown as { WebSocket: new (url: string) => SocketLike }).WebSocket(target));
    let socket: SocketLike;
    try {
      socket = factory(url);
    } catch (error) {
      this.scheduleReconnect(error instanceof Error ? error.message : String(error));
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      this.lastMessageAt = Date.now();
      this.setState('open');
      for (const subscription of this.subscriptions) this.send({ op: 'subscribe', id: this.nextId++, ...subscription });
      this.startPings();
    };
    socket.onmessage = (event) => this.receive(event.data);
    socket.onerror = () => undefined; // onclose follows and says why
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      clearInterval(this.pingTimer);
      this.scheduleReconnect(`closed ${event.code}${event.reason ? ` ${event.reason}` : ''}`);
    };
  }

  private scheduleReconnect(detail: string): void {
    if (this.stopped) return;
    this.setState('reconnecting', detail);
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.connect(), this.backoff.next());
  }

  private startPings(): void {
    clearInterval(this.pingTimer);
    const interval = this.options.pingIntervalMs ?? 15_000;
    const silence = this.options.silenceTimeoutMs ?? 45_000;
    this.pingTimer = setInterval(() => {
      const socket = this.socket;
      if (!socket || socket.readyState !== OPEN) return;
      if (Date.now() - this.lastMessageAt > silence) {
        // Half-open: the network went away without a close. Replace the connection.
        this.setState('stale', `nothing received for ${silence} ms`);
        this.socket = undefined;
        socket.close(4000, 'silent');
        clearInterval(this.pingTimer);
        this.scheduleReconnect('silent connection replaced');
        return;
      }
      this.send({ op: 'ping', id: this.nextId++ });
    }, interval);
  }

  private send(message: object): void {
    if (this.socket?.readyState === OPEN) this.socket.send(JSON.stringify(message));
  }

  private receive(data: unknown): void {
    this.lastMessageAt = Date.now();
    let message: { type?: unknown; exchange?: unknown; rates?: unknown };
    try {
      message = JSON.parse(typeof data === 'string' ? data : String(data)) as typeof message;
    } catch {
      return;
    }
    switch (message.type) {
      case 'snapshot':
      case 'update': {
        // A subscription was answered and has held: later failures start the backoff anew.
        this.backoff.reset();
        if (!Array.isArray(message.rates) || typeof message.exchange !== 'string') return;
        const book = this.bookOf(message.exchange);
        const changed = book.apply(message.rates as StreamRate[]);
        if (changed.length > 0) this.options.onRates?.(changed, book, message.type, message.exchange);
        if (message.type === 'snapshot') this.options.onSnapshot?.(message.exchange, book);
        return;
      }
      case 'movers':
        this.options.onMovers?.(message as unknown as MoversMessage);
        return;
      case 'health':
        this.options.onHealth?.(message as unknown as HealthMessage);
        return;
      case 'chart':
        this.options.onChart?.(message as unknown as ChartMessage);
        return;
      case 'error':
        this.options.onError?.(message as unknown as ErrorMessage);
        return;
      default:
        return;
    }
  }
}
