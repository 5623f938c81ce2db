import { createChart, LineSeries, type IChartApi, type ISeriesApi, type UTCTimestamp } from 'lightweight-charts';
import { StreamClient, type ChartMessage, type HealthMessage, type MoversMessage, type StreamRate, type StreamState } from '../client';
import { flagList, formatAge, formatChange, LatencyWindow, signClass, visibleRates, visibleWindow, type SortColumn, type SortOrder } from './view-model';

/**
 * The live dashboard: movers, a virtual grid of every symbol, a chart of the
 * selected one, collector health and the page's own trade-to-paint latency.
 * Updates are applied to the client's book as they arrive and painted once per
 * animation frame, so 2,000 symbols at the gateway's rate cost one render a
 * frame, of the visible rows only.
 */
const params = new URLSearchParams(location.search);
const exchange = params.get('exchange') ?? 'binance';
const token = params.get('token') ?? undefined;
const ROW_HEIGHT = 28;
const MOVERS_LIMIT = 10;
const STALE_AFTER_MS = 5_000;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const gridBody = $<HTMLDivElement>('grid');
const spacer = $<HTMLDivElement>('grid-spacer');
const latency = new LatencyWindow();
const pendingPaint: number[] = [];
const flashes = new Map<string, { direction: 'up' | 'down'; until: number }>();
const lastPrices = new Map<string, string>();
const lastTradeTs = new Map<string, string>();
let order: SortOrder = { column: 'symbol', descending: false };
let filter = '';
let selected: string | undefined;
let lastUpdateAt = 0;
let renderQueued = false;
let everOpened = false;
let chart: IChartApi | undefined;
let series: ISeriesApi<'Line'> | undefined;
let lastChartSecond = 0;

$('exchange').textContent = exchange;

const streamUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v1/stream`;
const client = new StreamClient({
  url: streamUrl,
  token,
  subscriptions: [
    { channel: 'rates', exchange, symbols: '*' },
    { channel: 'movers', exchange, window: '1m', limit: MOVERS_LIMIT },
    { channel: 'movers', exchange, window: '5m', limit: MOVERS_LIMIT },
    { channel: 'movers', exchange, window: '15m', limit: MOVERS_LIMIT },
    { channel: 'health' },
  ],
  onRates: (changed, _book, kind) => {
    lastUpdateAt = Date.now();
    for (const rate of changed) {
      const before = lastPrices.get(rate.symbol);
      if (before !== undefined && before !== rate.price) {
        flashes.set(rate.symbol, { direction: Number(rate.price) > Number(before) ? 'up' : 'down', until: lastUpdateAt + 600 });
      }
      lastPrices.set(rate.symbol, rate.price);
      // Only a new trade measures the page's latency: a snapshot's trades are as old as they are, and an
      // update without a trade (the windows moved on) carries the last trade's time.
      if (kind === 'update' && lastTradeTs.get(rate.symbol) !== rate.tradeTs) pendingPaint.push(Number(rate.tradeTs));
      lastTradeTs.set(rate.symbol, rate.tradeTs);
      if (rate.symbol === selected) updateSelected(rate);
    }
    queueRender();
  },
  onMovers: renderMovers,
  onHealth: renderHealth,
  onChart: renderChart,
  onState: showState,
  onError: (message) => showNotice(`${message.code}: ${message.message}`),
});
client.start();

function queueRender(): void {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    renderGrid();
    // What was applied before this frame is on screen now: trade time to paint.
    const paintedAt = Date.now();
    for (const tradeTs of pendingPaint.splice(0)) latency.add(paintedAt - tradeTs);
    const p50 = latency.percentile(50);
    const p99 = latency.percentile(99);
    $('latency-p50').textContent = p50 === undefined ? '–' : `${Math.round(p50)} ms`;
    $('latency-p99').textContent = p99 === undefined ? '–' : `${Math.round(p99)} ms`;
    $('symbol-count').textContent = String(client.book.size);
    if (flashes.size > 0) setTimeout(queueRender, 120);
  });
}

function renderGrid(): void {
  const rows = visibleRates(client.book.values(), filter, order);
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
      row.innerHTML = '<span class="symbol"></span><span class="price"></span><span class="c1"></span><span class="c5"></span><span class="c15"></span><span class="flags"></span><span class="age muted"></span>';
      row.addEventListener('click', () => select(rate.symbol));
      gridBody.appendChild(row);
    }
    row.style.top = `${index * ROW_HEIGHT}px`;
    row.classList.toggle('selected', rate.symbol === selected);
    fillRow(row, rate, now);
  }
  for (const stale of existing.values()) stale.remove();
  for (const [symbol, flash] of flashes) if (flash.until <= now) flashes.delete(symbol);
}

function fillRow(row: HTMLDivElement, rate: StreamRate, now: number): void {
  const cells = row.children;
  cells[0]!.textContent = rate.symbol;
  const price = cells[1] as HTMLElement;
  if (price.textContent !== rate.price) {
    price.textContent = rate.price;
    const flash = flashes.get(rate.symbol);
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
        item.innerHTML = `<span></span><span class="${signClass(mover.change)}">${formatChange(mover.change)}</span>`;
        item.firstElementChild!.textContent = mover.symbol;
        item.addEventListener('click', () => select(mover.symbol));
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
  $('chart-title').textContent = `${symbol} · ${exchange}`;
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
  const current = client.book.get(symbol);
  // The axis shows as many decimals as the exchange quotes, not a fixed eight.
  const decimals = Math.min(8, (current?.price.split('.')[1] ?? '').replace(/0+$/, '').length || 2);
  series!.applyOptions({ priceFormat: { type: 'price', precision: decimals, minMove: 10 ** -decimals } });
  if (current) updateSelected(current);
  client.subscribe({ channel: 'chart', exchange, symbol });
  queueRender();
}

function renderChart(message: ChartMessage): void {
  if (message.symbol !== selected || !series) return;
  // One point per second: the chart's time scale is in whole seconds.
  const bySecond = new Map<number, number>();
  for (const [ts, price] of message.points) bySecond.set(Math.floor(ts / 1000), Number(price));
  const held = client.book.get(message.symbol);
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

function showNotice(text: string | undefined): void {
  const notice = $('notice');
  notice.hidden = text === undefined;
  notice.textContent = text ?? '';
}

gridBody.addEventListener('scroll', queueRender, { passive: true });
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
