import { createChart, LineSeries, type IChartApi, type ISeriesApi, type UTCTimestamp } from 'lightweight-charts';
import { StreamClient, type ChartMessage, type HealthMessage, type MoversMessage, type RateWindow, type StreamRate, type StreamState, type Subscription } from '../client';
import { choosePair, comparePair, exchangeStatus, formatSpreadPercent, pairOptions, tabKeyTarget, type ExchangeRates, type ExchangeStatus } from './compare';
import { flagList, formatAge, formatChange, LatencyWindow, signClass, visibleRates, visibleWindow, type SortColumn, type SortOrder } from './view-model';

/**
 * The live dashboard: a tab per exchange the gateway serves (movers and a
 * virtual grid of every symbol of the chosen one), a chart of the selected
 * pair, the pair side by side on every exchange with their spread, collector
 * health and the page's own trade-to-paint latency. Updates are applied to the
 * client's books as they arrive and painted once per animation frame, so
 * thousands of symbols at the gateway's rate cost one render a frame, of the
 * visible rows only.
 */
const params = new URLSearchParams(location.search);
const requested = params.get('exchange') ?? undefined;
const token = params.get('token') ?? undefined;
const WINDOWS: readonly RateWindow[] = ['1m', '5m', '15m'];
/** The pair picker suggests at most this many pairs (a datalist of every pair of three exchanges would be thousands). */
const MAX_PAIR_OPTIONS = 3_000;
const ROW_HEIGHT = 28;
const MOVERS_LIMIT = 10;
const STALE_AFTER_MS = 5_000;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const gridBody = $<HTMLDivElement>('grid');
const spacer = $<HTMLDivElement>('grid-spacer');
const latency = new LatencyWindow();
const pendingPaint: number[] = [];
/** Keyed by `exchange:symbol`: the same pair moves differently on each exchange. */
const flashes = new Map<string, { direction: 'up' | 'down'; until: number }>();
const lastPrices = new Map<string, string>();
const lastTradeTs = new Map<string, string>();
/** Exchanges whose `"*"` snapshot arrived: an empty book after it means no data, before it still loading. */
const snapshotSeen = new Set<string>();
/** The newest movers of every exchange and window, so a tab shows its movers as soon as it is chosen. */
const moversSeen = new Map<string, MoversMessage>();
let exchanges: string[] = [];
let exchange = '';
let exchangeNotice: string | undefined;
let client: StreamClient;
let pairOptionsKey = '';
let order: SortOrder = { column: 'symbol', descending: false };
let filter = '';
let selected: string | undefined;
let lastUpdateAt = 0;
let renderQueued = false;
let everOpened = false;
let chart: IChartApi | undefined;
let series: ISeriesApi<'Line'> | undefined;
let lastChartSecond = 0;

void boot();

/** The exchanges the gateway serves; a gateway without /v1/exchanges is asked only for the one in the address. */
async function servedExchanges(): Promise<string[]> {
  try {
    const response = await fetch('/v1/exchanges');
    if (response.ok) {
      const body = (await response.json()) as { exchanges?: unknown };
      if (Array.isArray(body.exchanges) && body.exchanges.length > 0 && body.exchanges.every((e) => typeof e === 'string')) return body.exchanges as string[];
    }
  } catch {
    // Not reachable yet: the stream client says so and retries.
  }
  return [requested ?? 'binance'];
}

async function boot(): Promise<void> {
  exchanges = await servedExchanges();
  exchange = requested !== undefined && exchanges.includes(requested) ? requested : exchanges[0]!;
  if (requested !== undefined && requested !== exchange) {
    exchangeNotice = `"${requested}" is not served by this gateway (it serves ${exchanges.join(', ')}); showing ${exchange}.`;
    showNotice(undefined);
  }
  renderTabs();
  buildComparisonRows();
  showExchange();
  const subscriptions: Subscription[] = [];
  // Every exchange's rates, not just the shown one's: the comparison and the tab counts need them all.
  for (const name of exchanges) subscriptions.push({ channel: 'rates', exchange: name, symbols: '*' });
  for (const name of exchanges) for (const window of WINDOWS) subscriptions.push({ channel: 'movers', exchange: name, window, limit: MOVERS_LIMIT });
  subscriptions.push({ channel: 'health' });
  client = new StreamClient({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v1/stream`,
    token,
    subscriptions,
    onRates,
    onSnapshot: (name) => {
      snapshotSeen.add(name);
      queueRender();
    },
    onMovers: (message) => {
      moversSeen.set(`${message.exchange}:${message.window}`, message);
      if (message.exchange === exchange) renderMovers(message);
    },
    onHealth: renderHealth,
    onChart: renderChart,
    onState: showState,
    onError: (message) => showNotice(`${message.code}: ${message.message}`),
  });
  client.start();
}

function onRates(changed: StreamRate[], _book: unknown, kind: 'snapshot' | 'update', from: string): void {
  lastUpdateAt = Date.now();
  for (const rate of changed) {
    const key = `${from}:${rate.symbol}`;
    const before = lastPrices.get(key);
    if (before !== undefined && before !== rate.price) {
      flashes.set(key, { direction: Number(rate.price) > Number(before) ? 'up' : 'down', until: lastUpdateAt + 600 });
    }
    lastPrices.set(key, rate.price);
    // Only a new trade of the shown exchange measures the page's latency (only it is painted in the grid): a
    // snapshot's trades are as old as they are, and an update without a trade carries the last trade's time.
    if (kind === 'update' && from === exchange && lastTradeTs.get(key) !== rate.tradeTs) pendingPaint.push(Number(rate.tradeTs));
    lastTradeTs.set(key, rate.tradeTs);
    if (from === exchange && rate.symbol === selected) updateSelected(rate);
  }
  queueRender();
}

function statusOf(name: string): ExchangeStatus {
  return exchangeStatus(snapshotSeen.has(name), client?.bookOf(name).size ?? 0);
}

function exchangeRates(): ExchangeRates[] {
  return exchanges.map((name) => {
    const book = client?.bookOf(name);
    return {
      exchange: name,
      status: statusOf(name),
      get: (symbol) => book?.get(symbol),
      *symbols() {
        if (book) for (const rate of book.values()) yield rate.symbol;
      },
    };
  });
}

function renderTabs(): void {
  const list = $('exchange-tabs');
  list.replaceChildren(
    ...exchanges.map((name, index) => {
      const tab = document.createElement('button');
      tab.type = 'button';
      tab.id = `tab-${name}`;
      tab.dataset.exchange = name;
      tab.setAttribute('role', 'tab');
      tab.setAttribute('aria-controls', 'exchange-panel');
      tab.innerHTML = '<span class="tab-name"></span><span class="tab-count"></span>';
      tab.firstElementChild!.textContent = name;
      tab.addEventListener('click', () => chooseExchange(name));
      tab.addEventListener('keydown', (event) => {
        const target = tabKeyTarget(event.key, index, exchanges.length);
        if (target === undefined) return;
        event.preventDefault();
        chooseExchange(exchanges[target]!);
        $(`tab-${exchanges[target]!}`).focus();
      });
      return tab;
    }),
  );
}

/** Tab counts: symbols held, "no data" for an exchange whose snapshot was empty. */
function renderTabCounts(): void {
  for (const name of exchanges) {
    const count = document.querySelector<HTMLElement>(`#tab-${name} .tab-count`);
    if (!count) continue;
    const status = statusOf(name);
    const text = status === 'live' ? String(client.bookOf(name).size) : status === 'empty' ? 'no data' : '…';
    if (count.textContent !== text) count.textContent = text;
    count.classList.toggle('no-data', status === 'empty');
  }
}

function chooseExchange(name: string): void {
  if (name === exchange) return;
  const previous = exchange;
  exchange = name;
  const url = new URL(location.href);
  url.searchParams.set('exchange', name);
  history.replaceState(null, '', url);
  showExchange();
  if (selected) {
    client.unsubscribe({ channel: 'chart', exchange: previous, symbol: selected });
    openChart(selected);
  }
  gridBody.scrollTop = 0;
  gridBody.replaceChildren(spacer);
  queueRender();
}

/** Shows the chosen exchange on the tabs, the header and the movers (from the movers already received). */
function showExchange(): void {
  $('exchange').textContent = exchange;
  for (const tab of Array.from(document.querySelectorAll<HTMLButtonElement>('#exchange-tabs [role="tab"]'))) {
    const chosen = tab.dataset.exchange === exchange;
    tab.setAttribute('aria-selected', String(chosen));
    tab.tabIndex = chosen ? 0 : -1;
  }
  $('exchange-panel').setAttribute('aria-labelledby', `tab-${exchange}`);
  for (const window of WINDOWS) {
    const held = moversSeen.get(`${exchange}:${window}`);
    renderMovers(held ?? { type: 'movers', exchange, window, gainers: [], losers: [] });
  }
}

function queueRender(): void {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    // Scrolling or typing before the served exchanges are known: nothing to paint yet.
    if (!client) return;
    renderGrid();
    renderTabCounts();
    renderComparison();
    // What was applied before this frame is on screen now: trade time to paint.
    const paintedAt = Date.now();
    for (const tradeTs of pendingPaint.splice(0)) latency.add(paintedAt - tradeTs);
    const p50 = latency.percentile(50);
    const p99 = latency.percentile(99);
    $('latency-p50').textContent = p50 === undefined ? '–' : `${Math.round(p50)} ms`;
    $('latency-p99').textContent = p99 === undefined ? '–' : `${Math.round(p99)} ms`;
    $('symbol-count').textContent = String(client.bookOf(exchange).size);
    if (flashes.size > 0) setTimeout(queueRender, 120);
  });
}

function renderGrid(): void {
  const status = statusOf(exchange);
  const empty = $('grid-empty');
  empty.hidden = status === 'live';
  if (status === 'empty') empty.innerHTML = `no data from ${escapeHtml(exchange)}<small>The gateway holds no rates:${escapeHtml(exchange)}:* hashes: no collector runs with EXCHANGE=${escapeHtml(exchange)}, or its rates expired.</small>`;
  else if (status === 'waiting') empty.textContent = `waiting for ${exchange}…`;
  for (const note of Array.from(document.querySelectorAll<HTMLElement>('.mover-note'))) {
    note.hidden = status !== 'empty';
    note.textContent = `no data from ${exchange}`;
  }
  const rows = visibleRates(client.bookOf(exchange).values(), filter, order);
  spacer.style.height = `${rows.length * ROW_HEIGHT}px`;
  $('grid-count').textContent = `${rows.length} shown`;
  const { first, last } = visibleWindow(gridBody.scrollTop, gridBody.clientHeight, ROW_HEIGHT, rows.length);
  const now = Date.now();
  const existing = new Map<string, HTMLDivElement>();
  for (const element of Array.from(gridBody.querySelectorAll<HTMLDivElement>('.row'))) existing.set(element.dataset.symbol!, element);
  for (let index = first; index < last; index += 1) {
    const rate = rows[index]!;
    let row = existing.get(rate.symbol);
    if (row) existing.delete(rate.symbol);
    else {
      row = document.createElement('div');
      row.className = 'row';
      row.dataset.symbol = rate.symbol;
      row.setAttribute('role', 'row');
      row.tabIndex = 0;
      row.innerHTML = '<span role="gridcell" class="symbol"></span><span role="gridcell" class="price"></span><span role="gridcell" class="c1"></span><span role="gridcell" class="c5"></span><span role="gridcell" class="c15"></span><span role="gridcell" class="flags"></span><span role="gridcell" class="age muted"></span>';
      const symbol = rate.symbol;
      row.addEventListener('click', () => select(symbol));
      row.addEventListener('keydown', (event) => {
        if (event.key !== 'Enter' && event.key !== ' ') return;
        event.preventDefault();
        select(symbol);
      });
      gridBody.appendChild(row);
    }
    row.style.top = `${index * ROW_HEIGHT}px`;
    row.classList.toggle('selected', rate.symbol === selected);
    row.setAttribute('aria-selected', String(rate.symbol === selected));
    fillRow(row, rate, now);
  }
  for (const stale of existing.values()) stale.remove();
  for (const [key, flash] of flashes) if (flash.until <= now) flashes.delete(key);
}

function fillRow(row: HTMLDivElement, rate: StreamRate, now: number): void {
  const cells = row.children;
  cells[0]!.textContent = rate.symbol;
  const price = cells[1] as HTMLElement;
  if (price.textContent !== rate.price) {
    price.textContent = rate.price;
    const flash = flashes.get(`${exchange}:${rate.symbol}`);
    price.classList.remove('flash-up', 'flash-down');
    if (flash && flash.until > now) {
      void price.offsetWidth; // restart the animation
      price.classList.add(`flash-${flash.direction}`);
    }
  }
  const changes: Array<[number, string | undefined]> = [[2, rate.change_1m], [3, rate.change_5m], [4, rate.change_15m]];
  for (const [index, value] of changes) {
    const cell = cells[index] as HTMLElement;
    cell.textContent = formatChange(value);
    cell.className = signClass(value);
  }
  const flags = flagList(rate.flags);
  const flagsCell = cells[5] as HTMLElement;
  const flagsHtml = flags.map((flag) => `<span class="flag ${flag}">${flag}</span>`).join('');
  if (flagsCell.innerHTML !== flagsHtml) flagsCell.innerHTML = flagsHtml;
  cells[6]!.textContent = formatAge(Number(rate.ts), now);
}

function renderMovers(message: MoversMessage): void {
  if (message.exchange !== exchange) return;
  const panel = document.querySelector<HTMLElement>(`.mover-window[data-window="${message.window}"]`);
  if (!panel) return;
  const fill = (list: HTMLOListElement, movers: MoversMessage['gainers']) => {
    list.replaceChildren(
      ...movers.map((mover) => {
        const item = document.createElement('li');
        item.innerHTML = `<button type="button"><span></span><span class="${signClass(mover.change)}">${formatChange(mover.change)}</span></button>`;
        item.querySelector('span')!.textContent = mover.symbol;
        item.firstElementChild!.addEventListener('click', () => select(mover.symbol));
        return item;
      }),
    );
  };
  fill(panel.querySelector<HTMLOListElement>('.gainers')!, message.gainers);
  fill(panel.querySelector<HTMLOListElement>('.losers')!, message.losers);
}

function renderHealth(message: HealthMessage): void {
  const now = Date.now();
  $('health').replaceChildren(
    ...message.collectors.map((collector) => {
      const row = document.createElement('tr');
      const lastMessage = collector.lastMessageAt ? Date.parse(collector.lastMessageAt) : Date.parse(collector.heartbeatAt ?? '');
      const cells = [
        collector.collectorId ?? '?',
        collector.state ?? '?',
        `${collector.connectionsOpen ?? '?'}/${collector.connections ?? '?'}`,
        collector.symbols ?? '?',
        Number.isFinite(lastMessage) ? formatAge(lastMessage, now) : '–',
        collector.configVersion || '–',
      ];
      for (const text of cells) {
        const cell = document.createElement('td');
        cell.textContent = text;
        row.appendChild(cell);
      }
      return row;
    }),
  );
}

function select(symbol: string): void {
  if (selected === symbol) return;
  if (selected) client.unsubscribe({ channel: 'chart', exchange, symbol: selected });
  selected = symbol;
  openChart(symbol);
}

/** The chart of `symbol` on the shown exchange: its recent points, then the live rates. */
function openChart(symbol: string): void {
  $('chart-title').textContent = `${symbol} · ${exchange}`;
  for (const id of ['chart-1m', 'chart-5m', 'chart-15m']) {
    $(id).textContent = '–';
    $(id).className = 'flat';
  }
  if (!chart) {
    chart = createChart($('chart'), {
      layout: { background: { color: 'transparent' }, textColor: '#7d8894' },
      grid: { vertLines: { color: '#1b222a' }, horzLines: { color: '#1b222a' } },
      timeScale: { timeVisible: true, secondsVisible: true },
      autoSize: true,
    });
    series = chart.addSeries(LineSeries, { color: '#4c9aff', lineWidth: 2 });
  }
  series!.setData([]);
  lastChartSecond = 0;
  const current = client.bookOf(exchange).get(symbol);
  // The axis shows as many decimals as the exchange quotes, not a fixed eight.
  const decimals = Math.min(8, (current?.price.split('.')[1] ?? '').replace(/0+$/, '').length || 2);
  series!.applyOptions({ priceFormat: { type: 'price', precision: decimals, minMove: 10 ** -decimals } });
  if (current) updateSelected(current);
  client.subscribe({ channel: 'chart', exchange, symbol });
  queueRender();
}

function renderChart(message: ChartMessage): void {
  if (message.symbol !== selected || message.exchange !== exchange || !series) return;
  // One point per second: the chart's time scale is in whole seconds.
  const bySecond = new Map<number, number>();
  for (const [ts, price] of message.points) bySecond.set(Math.floor(ts / 1000), Number(price));
  const held = client.bookOf(exchange).get(message.symbol);
  if (held) bySecond.set(Math.floor(Number(held.ts) / 1000), Number(held.price));
  const data = [...bySecond].sort((a, b) => a[0] - b[0]).map(([time, value]) => ({ time: time as UTCTimestamp, value }));
  series.setData(data);
  lastChartSecond = data.length > 0 ? data[data.length - 1]!.time : 0;
}

function updateSelected(rate: StreamRate): void {
  $('chart-1m').textContent = formatChange(rate.change_1m);
  $('chart-1m').className = signClass(rate.change_1m);
  $('chart-5m').textContent = formatChange(rate.change_5m);
  $('chart-5m').className = signClass(rate.change_5m);
  $('chart-15m').textContent = formatChange(rate.change_15m);
  $('chart-15m').className = signClass(rate.change_15m);
  const second = Math.floor(Number(rate.ts) / 1000);
  if (series && second >= lastChartSecond) {
    series.update({ time: second as UTCTimestamp, value: Number(rate.price) });
    lastChartSecond = second;
  }
}

function showState(state: StreamState, detail?: string): void {
  const badge = $('connection');
  badge.textContent = state;
  badge.className = `badge ${state}`;
  if (state === 'open') {
    everOpened = true;
    showNotice(undefined);
  } else if (state === 'reconnecting' && !everOpened) {
    void explainRefusal(detail);
  } else if (state === 'reconnecting') {
    showNotice(`Disconnected from the gateway (${detail ?? 'connection lost'}); reconnecting…`);
  }
}

/** A browser hides why an upgrade failed; the SSE endpoint answers the same auth check with a status. */
async function explainRefusal(detail?: string): Promise<void> {
  try {
    const controller = new AbortController();
    const url = `/v1/stream/sse?channel=health${token ? `&token=${encodeURIComponent(token)}` : ''}`;
    const response = await fetch(url, { signal: controller.signal });
    controller.abort();
    if (response.status === 401) {
      const badge = $('connection');
      badge.textContent = 'refused';
      badge.className = 'badge refused';
      showNotice('The gateway refused the token (missing, expired or forged). Open the page with ?token=<a token from POST /v1/stream-tokens>.');
      return;
    }
  } catch {
    // The gateway is not reachable at all: say so below.
  }
  showNotice(`Cannot reach the gateway (${detail ?? 'no connection'}); retrying…`);
}

/** A connection notice, or (none) the standing exchange notice, or nothing. */
function showNotice(text: string | undefined): void {
  const notice = $('notice');
  const shown = text ?? exchangeNotice;
  notice.hidden = shown === undefined;
  notice.textContent = shown ?? '';
}

/** The pair the comparison shows: the selected one, else the one most exchanges quote. */
function comparedPair(all: readonly ExchangeRates[]): string | undefined {
  return selected ?? choosePair(all);
}

/** One row per exchange, made once: renders then only change text, so focus on an exchange button survives updates. */
function buildComparisonRows(): void {
  $('compare').replaceChildren(
    ...exchanges.map((name) => {
      const row = document.createElement('tr');
      row.dataset.exchange = name;
      row.innerHTML = '<th scope="row"><button type="button"></button></th><td class="price"></td><td class="c1"></td><td class="c5"></td><td class="c15"></td><td class="note" colspan="4" hidden></td>';
      const button = row.querySelector('button')!;
      button.textContent = name;
      button.title = `Show ${name}`;
      button.addEventListener('click', () => chooseExchange(name));
      return row;
    }),
  );
}

function renderComparison(): void {
  const all = exchangeRates();
  const symbol = comparedPair(all);
  const input = $<HTMLInputElement>('pair');
  if (document.activeElement !== input && input.value !== (symbol ?? '')) input.value = symbol ?? '';
  const comparison = symbol === undefined ? undefined : comparePair(symbol, all);
  for (const row of Array.from($('compare').querySelectorAll<HTMLTableRowElement>('tr'))) {
    const name = row.dataset.exchange!;
    const entry = comparison?.rows.find((r) => r.exchange === name);
    const cells = row.querySelectorAll<HTMLElement>('td');
    const quoted = entry?.kind === 'quoted';
    row.classList.toggle('current', name === exchange);
    for (let index = 0; index < 4; index += 1) cells[index]!.hidden = !quoted;
    cells[4]!.hidden = quoted;
    if (entry?.kind === 'quoted') {
      const badge = entry.extreme ? `<span class="extreme ${entry.extreme}">${entry.extreme}</span>` : '';
      const html = `${escapeHtml(entry.rate.price)}${badge}`;
      if (cells[0]!.innerHTML !== html) cells[0]!.innerHTML = html;
      const changes: Array<[number, string | undefined]> = [[1, entry.rate.change_1m], [2, entry.rate.change_5m], [3, entry.rate.change_15m]];
      for (const [index, value] of changes) {
        cells[index]!.textContent = formatChange(value);
        cells[index]!.className = signClass(value);
      }
    } else {
      const status = statusOf(name);
      cells[4]!.textContent = status === 'empty' ? `no data from ${name}` : status === 'waiting' ? `waiting for ${name}…` : `no ${symbol ?? 'pair'} on ${name}`;
    }
  }
  const spread = comparison?.spread;
  const line = $('spread');
  if (spread) {
    const html = `spread <b>${escapeHtml(spread.absolute)}</b> (<b>${formatSpreadPercent(spread.percent)}</b>) · high ${escapeHtml(spread.high.exchange)} · low ${escapeHtml(spread.low.exchange)}`;
    if (line.innerHTML !== html) line.innerHTML = html;
  } else {
    line.textContent = symbol === undefined ? 'no pair quoted yet' : `the spread needs ${symbol} on two exchanges`;
  }
}

/** Suggestions of the pair picker, rebuilt only when the set of pairs changed. */
function renderPairOptions(): void {
  const options = pairOptions(exchangeRates(), MAX_PAIR_OPTIONS);
  const key = `${options.length}:${options[0] ?? ''}:${options[options.length - 1] ?? ''}`;
  if (key === pairOptionsKey) return;
  pairOptionsKey = key;
  $('pair-options').replaceChildren(
    ...options.map((symbol) => {
      const option = document.createElement('option');
      option.value = symbol;
      return option;
    }),
  );
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

gridBody.addEventListener('scroll', queueRender, { passive: true });
$<HTMLInputElement>('pair').addEventListener('change', (event) => {
  const symbol = (event.target as HTMLInputElement).value.trim().toUpperCase();
  // The stream names pairs as 2-20 letters or digits; anything else is not a pair to chart.
  if (/^[A-Z0-9]{2,20}$/.test(symbol)) select(symbol);
  queueRender();
});
$<HTMLInputElement>('filter').addEventListener('input', (event) => {
  filter = (event.target as HTMLInputElement).value;
  queueRender();
});
for (const button of Array.from(document.querySelectorAll<HTMLButtonElement>('.grid-head button'))) {
  button.addEventListener('click', () => {
    const column = button.dataset.sort as SortColumn;
    order = { column, descending: order.column === column ? !order.descending : column !== 'symbol' };
    for (const other of Array.from(document.querySelectorAll('.grid-head button'))) other.classList.toggle('sorted', other === button);
    queueRender();
  });
}

// Ages and the stale marker move on with the clock even when nothing arrives.
setInterval(() => {
  if (!client) return;
  renderPairOptions();
  $('last-update').textContent = lastUpdateAt ? formatAge(lastUpdateAt, Date.now()) : '–';
  if (client.state === 'open' && lastUpdateAt && Date.now() - lastUpdateAt > STALE_AFTER_MS) {
    const badge = $('connection');
    badge.textContent = 'stale';
    badge.className = 'badge stale';
  } else if (client.state === 'open') {
    $('connection').textContent = 'open';
    $('connection').className = 'badge open';
  }
  queueRender();
}, 1_000);
