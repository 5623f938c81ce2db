import type { RateWindow } from '../shared/rates';
import { ProtocolError, type MessageId } from './errors';
import type { HeldTopic } from './protocol';

interface RatesInterest {
  all: boolean;
  symbols: Set<string>;
}

interface ClientState {
  rates: Map<string, RatesInterest>;
  /** `${exchange}:${window}` -> limit. */
  movers: Map<string, { exchange: string; window: RateWindow; limit: number }>;
  health: boolean;
  count: number;
}

interface ExchangeIndex<C> {
  all: Set<C>;
  bySymbol: Map<string, Set<C>>;
}

export const moversKey = (exchange: string, window: RateWindow) => `${exchange}:${window}`;

/** What a subscribe changed: for rates the symbols now followed that were not before (or '*'). */
export type SubscribeResult = { channel: 'rates'; exchange: string; added: '*' | string[] } | { channel: 'movers'; key: string } | { channel: 'health' };

/**
 * Every client's subscriptions and the index the fan-out reads: exchange ->
 * symbol -> clients, plus the clients of `"*"`. No sockets here; `C` is whatever
 * the caller uses to identify a client.
 *
 * A connection's subscriptions count: one per symbol named, one for `"*"` of an
 * exchange, one per movers window, one for health; bounded by `maxPerClient`.
 */
export class SubscriptionRegistry<C> {
  private readonly clients = new Map<C, ClientState>();
  private readonly index = new Map<string, ExchangeIndex<C>>();
  private readonly moversClients = new Map<string, Map<C, number>>();
  private readonly healthClients = new Set<C>();
  private total = 0;

  constructor(private readonly maxPerClient: number) {}

  /** Subscriptions of every client together (the gauge). */
  get size(): number {
    return this.total;
  }

  countOf(client: C): number {
    return this.clients.get(client)?.count ?? 0;
  }

  subscribe(client: C, topic: HeldTopic, id: MessageId | null): SubscribeResult {
    const state = this.stateOf(client);
    switch (topic.channel) {
      case 'rates': {
        const interest = state.rates.get(topic.exchange) ?? { all: false, symbols: new Set<string>() };
        const added = topic.symbols === '*' ? (interest.all ? [] : ['*']) : topic.symbols.filter((s) => !interest.symbols.has(s));
        this.ensureRoom(state, added.length, id);
        state.rates.set(topic.exchange, interest);
        const entry = this.exchangeIndex(topic.exchange);
        if (topic.symbols === '*') {
          interest.all = true;
          entry.all.add(client);
        } else {
          for (const symbol of added) {
            interest.symbols.add(symbol);
            let set = entry.bySymbol.get(symbol);
            if (!set) entry.bySymbol.set(symbol, (set = new Set()));
            set.add(client);
          }
        }
        this.grow(state, added.length);
        return { channel: 'rates', exchange: topic.exchange, added: topic.symbols === '*' ? '*' : added };
      }
      case 'movers': {
        const key = moversKey(topic.exchange, topic.window);
        const isNew = !state.movers.has(key);
        if (isNew) this.ensureRoom(state, 1, id);
        state.movers.set(key, { exchange: topic.exchange, window: topic.window, limit: topic.limit });
        let set = this.moversClients.get(key);
        if (!set) this.moversClients.set(key, (set = new Map()));
        set.set(client, topic.limit);
        if (isNew) this.grow(state, 1);
        return { channel: 'movers', key };
      }
      case 'health': {
        if (!state.health) {
          this.ensureRoom(state, 1, id);
          state.health = true;
          this.healthClients.add(client);
          this.grow(state, 1);
        }
        return { channel: 'health' };
      }
    }
  }

  /** Ends what `topic` names; returns the rates symbols no longer followed ('*' for all of the exchange), or false when nothing matched. */
  unsubscribe(client: C, topic: HeldTopic): { removed: '*' | string[] } | false {
    const state = this.clients.get(client);
    if (!state) return false;
    switch (topic.channel) {
      case 'rates': {
        const interest = state.rates.get(topic.exchange);
        if (!interest) return false;
        const entry = this.exchangeIndex(topic.exchange);
        if (topic.symbols === '*') {
          const removed = interest.symbols.size + (interest.all ? 1 : 0);
          for (const symbol of interest.symbols) this.dropFromIndex(entry, symbol, client);
          entry.all.delete(client);
          state.rates.delete(topic.exchange);
          this.grow(state, -removed);
          return removed > 0 ? { removed: '*' } : false;
        }
        const removed = topic.symbols.filter((symbol) => interest.symbols.delete(symbol));
        for (const symbol of removed) this.dropFromIndex(entry, symbol, client);
        if (interest.symbols.size === 0 && !interest.all) state.rates.delete(topic.exchange);
        this.grow(state, -removed.length);
        return removed.length > 0 ? { removed } : false;
      }
      case 'movers': {
        const key = moversKey(topic.exchange, topic.window);
        if (!state.movers.delete(key)) return false;
        this.moversClients.get(key)?.delete(client);
        if (this.moversClients.get(key)?.size === 0) this.moversClients.delete(key);
        this.grow(state, -1);
        return { removed: [] };
      }
      case 'health': {
        if (!state.health) return false;
        state.health = false;
        this.healthClients.delete(client);
        this.grow(state, -1);
        return { removed: [] };
      }
    }
  }

  /** Drops every subscription of a client (it disconnected). */
  remove(client: C): void {
    const state = this.clients.get(client);
    if (!state) return;
    for (const exchange of [...state.rates.keys()]) this.unsubscribe(client, { channel: 'rates', exchange, symbols: '*' });
    for (const { exchange, window } of [...state.movers.values()]) this.unsubscribe(client, { channel: 'movers', exchange, window, limit: 1 });
    if (state.health) this.unsubscribe(client, { channel: 'health' });
    this.clients.delete(client);
  }

  /** Whether the client follows the symbol (explicitly or through `"*"`). */
  follows(client: C, exchange: string, symbol: string): boolean {
    const interest = this.clients.get(client)?.rates.get(exchange);
    return interest !== undefined && (interest.all || interest.symbols.has(symbol));
  }

  /** Whether the client follows the exchange through `"*"`. */
  followsAll(client: C, exchange: string): boolean {
    return this.clients.get(client)?.rates.get(exchange)?.all === true;
  }

  /** Calls `visit` once per client following the symbol. */
  forEachFollower(exchange: string, symbol: string, visit: (client: C) => void): void {
    const entry = this.index.get(exchange);
    if (!entry) return;
    for (const client of entry.all) visit(client);
    const set = entry.bySymbol.get(symbol);
    // A client of "*" that also named the symbol is visited once.
    if (set) for (const client of set) if (!entry.all.has(client)) visit(client);
  }

  /** Clients of a movers window with their limit. */
  moversSubscribers(key: string): ReadonlyMap<C, number> {
    return this.moversClients.get(key) ?? new Map();
  }

  /** Movers windows someone follows. */
  moversKeys(): { key: string; exchange: string; window: RateWindow }[] {
    return [...this.moversClients.keys()].map((key) => {
      const [exchange, window] = key.split(':') as [string, RateWindow];
      return { key, exchange, window };
    });
  }

  healthSubscribers(): ReadonlySet<C> {
    return this.healthClients;
  }

  /** The rates topics of a client, for a fresh snapshot after Redis came back. */
  ratesTopicsOf(client: C): { exchange: string; symbols: '*' | string[] }[] {
    const state = this.clients.get(client);
    if (!state) return [];
    return [...state.rates].map(([exchange, interest]) => ({ exchange, symbols: interest.all ? '*' : [...interest.symbols] }));
  }

  private stateOf(client: C): ClientState {
    let state = this.clients.get(client);
    if (!state) this.clients.set(client, (state = { rates: new Map(), movers: new Map(), health: false, count: 0 }));
    return state;
  }

  private ensureRoom(state: ClientState, adding: number, id: MessageId | null): void {
    if (state.count + adding > this.maxPerClient) {
      throw new ProtocolError('too_many_subscriptions', `this subscribe adds ${adding} subscriptions to ${state.count}; at most ${this.maxPerClient} per connection (one per symbol, per "*", per movers window, for health)`, id);
    }
  }

  private grow(state: ClientState, by: number): void {
    state.count += by;
    this.total += by;
  }

  private exchangeIndex(exchange: string): ExchangeIndex<C> {
    let entry = this.index.get(exchange);
    if (!entry) this.index.set(exchange, (entry = { all: new Set(), bySymbol: new Map() }));
    return entry;
  }

  private dropFromIndex(entry: ExchangeIndex<C>, symbol: string, client: C): void {
    const set = entry.bySymbol.get(symbol);
    if (!set) return;
    set.delete(client);
    if (set.size === 0) entry.bySymbol.delete(symbol);
  }
}
