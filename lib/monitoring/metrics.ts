/**
 * The metric contract between the producers (the collector's ADOT sidecar, the
 * ingest function's Powertools EMF output) and the Monitoring construct's
 * dashboard and alarms. Names, namespaces and dimension sets here must match
 * what is published byte for byte: CloudWatch matches a metric only on the
 * exact namespace, name and full dimension set.
 */

/**
 * EMF namespace of the ingest function. Set `POWERTOOLS_METRICS_NAMESPACE` to
 * this value on the function (the handler falls back to `MarketDataCollector`
 * when unset, which would mix ingest metrics with the collector's).
 */
export const INGEST_METRICS_NAMESPACE = 'MarketDataIngest';

/**
 * Powertools adds a `service` dimension to every EMF metric: the `serviceName`
 * given to `new Metrics(...)` in lambdas/ingest/handler.ts (`ingest`), which
 * takes precedence over `POWERTOOLS_SERVICE_NAME`.
 */
export const INGEST_METRICS_SERVICE = 'ingest';

/** EMF metric names written by lambdas/ingest/handler.ts once per batch. */
export const INGEST_METRICS = {
  /** Count: rows inserted or replaced by a newer state. */
  rowsInserted: 'RowsInserted',
  /** Count: rows that were duplicates or already stored as new or newer. */
  rowsUnchanged: 'RowsUnchanged',
  /** Count: SQS records reported back as batch item failures (redelivered, then DLQ). */
  recordsFailed: 'RecordsFailed',
  /** Count: collector status snapshots in the batch. */
  statusSnapshots: 'StatusSnapshots',
  /** Milliseconds: handler time per batch (individual values, so percentiles work). */
  batchLatency: 'BatchLatency',
} as const;

/**
 * EMF namespace of the config API function (lambdas/api). Set
 * `POWERTOOLS_METRICS_NAMESPACE` to this value on the function (the handler falls
 * back to `MarketDataCollector` when unset).
 */
export const API_METRICS_NAMESPACE = 'MarketDataApi';

/**
 * The `service` dimension Powertools adds to the config API's metrics: the
 * `serviceName` given to `new Metrics(...)` in lambdas/api/lambda.ts (`config-api`,
 * also its POWERTOOLS_SERVICE_NAME).
 */
export const API_METRICS_SERVICE = 'config-api';

/** EMF metric names written by the config API function. */
export const API_METRICS = {
  /** Count: scheduled reconciliations of the Redis config snapshot with PostgreSQL that failed. */
  reconcileFailures: 'ConfigReconcileFailures',
} as const;

/**
 * Collector metrics as they reach CloudWatch through the ADOT sidecar's
 * `awsemf` exporter: Prometheus names unchanged (the prometheus receiver's
 * `pkg.translator.prometheus.NormalizeName` feature gate left off, so
 * `_total` stays), namespace `COLLECTOR_METRICS_NAMESPACE`.
 *
 * Conversion assumptions (awsemf exporter of opentelemetry-collector-contrib):
 * - Cumulative counters are turned into deltas per export by the exporter, so
 *   `Sum` over a period is the number of events in it.
 * - Classic (explicit-bucket) Prometheus histograms are exported as a
 *   statistic set (SampleCount, Sum, Min, Max), NOT as values/counts: CloudWatch
 *   percentiles (`p99`) are not available for them, and Min/Max are 0 because
 *   Prometheus histograms carry no min/max. Only values/counts are produced for
 *   exponential histograms, which prom-client does not expose. The exporter does
 *   not delta-convert histogram count/sum either, so the sidecar's EMF pipeline
 *   must run the `cumulativetodelta` processor for the histogram; then
 *   `Average` (Sum / SampleCount) is the mean latency of the period. The p99
 *   is read from Amazon Managed Service for Prometheus (Grafana dashboard).
 */
export const COLLECTOR_METRICS = {
  messages: 'collector_messages_total',
  rejectedMessages: 'collector_rejected_messages_total',
  reconnects: 'collector_reconnects_total',
  updateLatency: 'collector_update_latency_seconds',
  sqsBatches: 'collector_sqs_batches_total',
} as const;

/**
 * Dimensions of every collector metric in CloudWatch. The sidecar adds them as
 * labels of the scrape target (prometheus receiver `static_configs.labels`,
 * values from the sidecar's environment: the cluster name and the service's
 * explicit `serviceName`), and `metric_declarations` keeps only these, so
 * per-connection and per-reason labels never become CloudWatch dimensions.
 */
export const COLLECTOR_DIMENSIONS = ['ClusterName', 'ServiceName'] as const;

/**
 * Label the sidecar adds to every collector series in Prometheus: the
 * service's exchange (`binance`, `okx`, `bybit`), so rules and Grafana select
 * and group by exchange. Not a CloudWatch dimension: there `ServiceName` already
 * names the exchange, and adding a dimension would start new metrics and break
 * the continuity of the existing ones.
 */
export const COLLECTOR_EXCHANGE_LABEL = 'exchange';

/** `result` label values of `collector_sqs_batches_total` (services/collector/sinks/sqs/sqs-sender.ts). */
export const SQS_BATCH_RESULTS = ['sent', 'replayed', 'failed', 'spilled', 'dropped'] as const;

/** One entry of the awsemf exporter's `metric_declarations` (YAML keys kept as is). */
export interface EmfMetricDeclaration {
  readonly dimensions: string[][];
  readonly metric_name_selectors: string[];
}

/**
 * The awsemf `metric_declarations` the collector sidecar must use (with
 * `dimension_rollup_option: NoDimensionRollup`), so that exactly the series the
 * dashboard reads are published: totals per service, plus SQS batches per
 * result. Anything not selected here stays in Prometheus only.
 */
export const COLLECTOR_EMF_METRIC_DECLARATIONS: readonly EmfMetricDeclaration[] = [
  {
    dimensions: [[...COLLECTOR_DIMENSIONS]],
    metric_name_selectors: [COLLECTOR_METRICS.messages, COLLECTOR_METRICS.rejectedMessages, COLLECTOR_METRICS.reconnects, COLLECTOR_METRICS.updateLatency].map((name) => `^${name}$`),
  },
  {
    dimensions: [[...COLLECTOR_DIMENSIONS, 'result']],
    metric_name_selectors: [`^${COLLECTOR_METRICS.sqsBatches}$`],
  },
];

/** CloudWatch namespace of the stream gateway's Prometheus metrics (its ADOT sidecar, awsemf exporter). */
export const GATEWAY_METRICS_NAMESPACE = 'MarketDataGateway';

/**
 * Gateway metrics (services/gateway/metrics.ts) as they reach CloudWatch, with
 * the same conversion as the collector's (see COLLECTOR_METRICS): counters as
 * deltas per export, the fan-out histogram as a statistic set whose Average is
 * the mean latency; its p99 is evaluated in Amazon Managed Service for
 * Prometheus (lib/monitoring/prometheus/gateway-rules.yml). Open connections
 * come from the load balancer (ActiveConnectionCount), not from the gauge,
 * whose per-transport series would not add up under one dimension set.
 */
export const GATEWAY_METRICS = {
  slowDisconnects: 'gateway_slow_client_disconnects_total',
  authRefusals: 'gateway_auth_refusals_total',
  fanoutLatency: 'gateway_fanout_latency_seconds',
  messagesSent: 'gateway_messages_sent_total',
  conflated: 'gateway_updates_conflated_total',
  redisErrors: 'gateway_redis_errors_total',
} as const;

/** Dimensions of every gateway metric in CloudWatch: the scrape target's labels, as for the collector. */
export const GATEWAY_DIMENSIONS = ['ClusterName', 'ServiceName'] as const;

/** Totals per service only: per-reason and per-type labels stay in Prometheus. */
export const GATEWAY_EMF_METRIC_DECLARATIONS: readonly EmfMetricDeclaration[] = [
  {
    dimensions: [[...GATEWAY_DIMENSIONS]],
    metric_name_selectors: Object.values(GATEWAY_METRICS).map((name) => `^${name}$`),
  },
];
