import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every Prometheus series the collector exposes on `/metrics`. Names of the
 * design's contract are fixed (dashboards and alarms query them); the rest are
 * additions documented in the README. One instance per collector, on its own
 * registry, so tests can create several without clashing.
 */
export class CollectorMetrics {
  readonly registry: Registry;
  readonly messages: Counter<'connection'>;
  readonly rejectedMessages: Counter<'reason'>;
  readonly ignoredMessages: Counter<'stream_type'>;
  readonly connections: Gauge<'state'>;
  readonly reconnects: Counter<'reason'>;
  readonly connectionRotations: Counter<'reason'>;
  readonly tradeGaps: Counter;
  readonly backfilledTrades: Counter;
  readonly duplicateTrades: Counter;
  readonly unrecoverableGapTrades: Counter;
  readonly subscribeLatency: Histogram;
  readonly eventLag: Histogram;
  readonly updateLatency: Histogram;
  readonly sqsBatches: Counter<'result'>;
  readonly spillBytes: Gauge;
  readonly spillOldestAge: Gauge;
  readonly spillTornLines: Counter;
  readonly spillAdoptedSegments: Counter;
  readonly sqsSenderState: Gauge<'state'>;
  readonly sqsRefused: Counter<'code'>;
  readonly restRequests: Counter<'endpoint' | 'status'>;
  readonly restWeightUsed: Gauge;
  readonly redisErrors: Counter<'operation'>;
  readonly redisFlushSize: Histogram;
  readonly symbols: Gauge;
  readonly errors: Counter<'component' | 'code'>;

  constructor(options: { collectDefaults?: boolean; labels?: Record<string, string> } = {}) {
    this.registry = new Registry();
    if (options.labels) this.registry.setDefaultLabels(options.labels);
    if (options.collectDefaults ?? true) collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.messages = new Counter({ name: 'collector_messages_total', help: 'WebSocket messages received, by connection', labelNames: ['connection'], registers });
    this.rejectedMessages = new Counter({ name: 'collector_rejected_messages_total', help: 'Messages refused as invalid, by reason', labelNames: ['reason'], registers });
    this.ignoredMessages = new Counter({ name: 'collector_ignored_messages_total', help: 'Well-formed messages of streams the collector does not use', labelNames: ['stream_type'], registers });
    this.connections = new Gauge({ name: 'collector_connections', help: 'Exchange connections by state', labelNames: ['state'], registers });
    this.reconnects = new Counter({ name: 'collector_reconnects_total', help: 'Connections re-established after a loss, by reason', labelNames: ['reason'], registers });
    this.connectionRotations = new Counter({ name: 'collector_connection_rotations_total', help: 'Make-before-break replacements (24 h cut, serverShutdown)', labelNames: ['reason'], registers });
    this.tradeGaps = new Counter({ name: 'collector_trade_gaps_total', help: 'Jumps in a symbol\'s aggregate trade ids', registers });
    this.backfilledTrades = new Counter({ name: 'collector_backfilled_trades_total', help: 'Missing trades fetched over REST', registers });
    this.duplicateTrades = new Counter({ name: 'collector_duplicate_trades_total', help: 'Trades dropped because their id was already seen', registers });
    this.unrecoverableGapTrades = new Counter({ name: 'collector_unrecoverable_gap_trades_total', help: 'Missing trades the exchange could no longer return', registers });
    this.subscribeLatency = new Histogram({ name: 'collector_subscribe_latency_seconds', help: 'SUBSCRIBE request to acknowledgement', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers });
    this.eventLag = new Histogram({ name: 'collector_event_lag_seconds', help: 'Exchange event time to local receipt (includes clock skew)', buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5], registers });
    this.updateLatency = new Histogram({ name: 'collector_update_latency_seconds', help: 'Receipt of a trade to Redis acknowledgement of its update', buckets: [0.0005, 0.001, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.05, 0.1, 0.25, 1], registers });
    this.sqsBatches = new Counter({ name: 'collector_sqs_batches_total', help: 'History batches sent to SQS, by result', labelNames: ['result'], registers });
    this.spillBytes = new Gauge({ name: 'collector_sqs_spill_bytes', help: 'History batches waiting on local disk while SQS is unreachable', registers });
    this.spillOldestAge = new Gauge({ name: 'collector_sqs_spill_oldest_age_seconds', help: 'Age of the oldest spilled history batch (0 when none)', registers });
    this.spillTornLines = new Counter({ name: 'collector_sqs_spill_torn_lines_total', help: 'Spill lines skipped on replay because a crash or a full disk cut them short', registers });
    this.spillAdoptedSegments = new Counter({ name: 'collector_sqs_spill_adopted_segments_total', help: 'Spill segments taken over from tasks that stopped (deploy, scale-in, crash) and replayed here', registers });
    this.sqsSenderState = new Gauge({ name: 'collector_sqs_sender_state', help: 'State of the SQS history sender (1 for the current state): sending, retrying, refused, closed', labelNames: ['state'], registers });
    this.sqsRefused = new Counter({ name: 'collector_sqs_refused_total', help: 'SendMessageBatch calls SQS refused for this collector (IAM, queue, KMS), by error code: an operator must act', labelNames: ['code'], registers });
    this.restRequests = new Counter({ name: 'collector_rest_requests_total', help: 'Exchange REST requests, by endpoint and HTTP status', labelNames: ['endpoint', 'status'], registers });
    this.restWeightUsed = new Gauge({ name: 'collector_rest_weight_used', help: 'Request weight used in the current minute, as reported by the exchange', registers });
    this.redisErrors = new Counter({ name: 'collector_redis_errors_total', help: 'Failed Redis operations, by operation', labelNames: ['operation'], registers });
    this.redisFlushSize = new Histogram({ name: 'collector_redis_flush_symbols', help: 'Symbols written per Redis flush', buckets: [1, 5, 10, 50, 100, 250, 500, 1000, 2500], registers });
    this.symbols = new Gauge({ name: 'collector_symbols', help: 'Symbols this collector is assigned', registers });
    this.errors = new Counter({ name: 'collector_errors_total', help: 'Errors handled and recovered from, by component and code', labelNames: ['component', 'code'], registers });
  }
}
