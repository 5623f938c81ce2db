import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ERROR_CODES } from './errors';

/** Every metric of the gateway, on a registry of its own (tests start several gateways in one process). */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly connections = new Gauge({ name: 'gateway_connections', help: 'Open client connections', labelNames: ['transport'], registers: [this.registry] });
  readonly connectionsRefused = new Counter({ name: 'gateway_connections_refused_total', help: 'Connections refused before the upgrade, by reason (ip_limit, capacity, not_found, bad_request)', labelNames: ['reason'], registers: [this.registry] });
  readonly subscriptions = new Gauge({ name: 'gateway_subscriptions', help: 'Subscriptions of all clients (one per symbol, per "*", per movers window, per health)', registers: [this.registry] });
  readonly messagesSent = new Counter({ name: 'gateway_messages_sent_total', help: 'Messages written to clients, by type', labelNames: ['type'], registers: [this.registry] });
  readonly bytesSent = new Counter({ name: 'gateway_bytes_sent_total', help: 'Bytes of messages written to clients', registers: [this.registry] });
  readonly ratesSent = new Counter({ name: 'gateway_rates_sent_total', help: 'Rates written to clients in updates', registers: [this.registry] });
  readonly conflated = new Counter({ name: 'gateway_updates_conflated_total', help: 'Updates replaced by a newer one of the same symbol before they went out', registers: [this.registry] });
  readonly staleDropped = new Counter({ name: 'gateway_updates_stale_total', help: 'Updates dropped because the client already held that symbol at that ts or newer', registers: [this.registry] });
  readonly slowDisconnects = new Counter({ name: 'gateway_slow_client_disconnects_total', help: 'Clients closed with 1013 because they stayed behind', labelNames: ['reason'], registers: [this.registry] });
  readonly authRefusals = new Counter({ name: 'gateway_auth_refusals_total', help: 'Requests refused with 401, by reason (missing, malformed, forged, expired)', labelNames: ['reason', 'transport'], registers: [this.registry] });
  readonly badClientMessages = new Counter({ name: 'gateway_bad_client_messages_total', help: 'Client messages answered with an error, by reason', labelNames: ['reason'], registers: [this.registry] });
  readonly fanoutLatency = new Histogram({
    name: 'gateway_fanout_latency_seconds',
    help: 'From the tradeTs of a new trade (exchange clock) to the write of the frame carrying it to a client socket; one observation per frame, its oldest new trade',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly redisMessages = new Counter({ name: 'gateway_redis_messages_total', help: 'rates:{exchange} messages received', labelNames: ['exchange'], registers: [this.registry] });
  readonly redisInvalid = new Counter({ name: 'gateway_redis_invalid_total', help: 'rates messages or elements that were not rates hashes (skipped)', registers: [this.registry] });
  readonly redisErrors = new Counter({ name: 'gateway_redis_errors_total', help: 'Redis commands that failed, by operation', labelNames: ['operation'], registers: [this.registry] });
  readonly chartRefused = new Counter({ name: 'gateway_chart_rates_refused_total', help: 'Rates of new symbols not recorded for charts because GATEWAY_CHART_MAX_SYMBOLS was reached', registers: [this.registry] });
  readonly tokenKeyRefreshFailures = new Counter({ name: 'gateway_token_key_refresh_failures_total', help: 'Reads of the token signing secret that failed (the keys read before stay in use)', registers: [this.registry] });
  readonly redisSubscribed = new Gauge({ name: 'gateway_redis_subscribed', help: '1 while the subscriber connection holds its channels', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Every reason appears from the start, so dashboards and alarms see zeros, not gaps.
    for (const reason of ERROR_CODES) this.badClientMessages.inc({ reason }, 0);
    for (const transport of ['ws', 'sse']) this.connections.set({ transport }, 0);
  }
}
